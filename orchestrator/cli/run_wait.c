#include "cli/run_wait.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* What is waited for: a container's first process, or an exec'd one. */
struct target {
	void *obj;
	int (*kill)(void *obj, int sig);
	int (*try_wait)(void *obj, struct rt_exit *st, st_error_t *err);
	int pidfd;
};

struct stopper {
	const struct target *t;
	const struct run_wait_opts *o;
	int requests;     /* stop signals and output loss seen so far */
	int64_t first;    /* monotonic ms of the first */
	int64_t deadline; /* monotonic ms of the SIGKILL, -1: none pending */
};

/* One ^C can reach us twice: from the terminal, and again from a wrapper
 * in the same process group that forwards what it got (timeout(1), make,
 * a shell script's trap).  A repeat this soon is that, not a person
 * pressing ^C again to force the stop. */
#define REPEAT_IS_SAME_MS 300

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_stop_signal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT; }

/* A stop request reached the container (sent by us or not): the first
 * starts the grace period, the next one ends it. */
static void stop_requested(struct stopper *s)
{
	int64_t now = now_ms();
	if (s->requests > 0 && now - s->first < REPEAT_IS_SAME_MS)
		return;
	if (++s->requests == 1) {
		s->first = now;
		s->deadline = now + s->o->grace_ms;
	} else if (s->deadline >= 0) {
		s->t->kill(s->t->obj, SIGKILL);
		s->deadline = -1;
	}
}

static void on_signal(struct stopper *s, const struct signalfd_siginfo *si, struct run_tty *tty)
{
	int sig = (int)si->ssi_signo;
	if (sig == SIGCHLD)
		return; /* no pidfd: the wake-up to try_wait again */
	if (sig == SIGWINCH) {
		if (tty)
			run_tty_resize(tty);
		return;
	}
	/* Every container process is in a session of its own (spawn.c), never
	 * in our terminal's process group: a ^C reaches only us, and is
	 * forwarded like kill(1)'s signals. */
	s->t->kill(s->t->obj, sig);
	if (is_stop_signal(sig))
		stop_requested(s);
}

static int wait_target(const struct target *t, struct run_tty *tty, const struct run_wait_opts *o,
		       struct rt_exit *st, st_error_t *err)
{
	sigset_t mask, old;
	st_interrupt_sigset(&mask);
	sigaddset(&mask, SIGWINCH);
	/* Without a pidfd (valgrind, kernels before 5.3) SIGCHLD wakes us:
	 * blocked before the first try_wait, it cannot be missed. */
	int pidfd = t->pidfd;
	if (pidfd < 0)
		sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		/* Blocked and never read, SIGTERM would be lost: do not wait so. */
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return st_error(err, e, "signalfd for forwarding signals to the container");
	}
	struct stopper s = {.t = t, .o = o, .deadline = -1};
	bool master_open = tty != NULL, output_lost = false;
	int r = 0;
	for (;;) {
		r = t->try_wait(t->obj, st, err);
		if (r != 0)
			break;
		if (tty && !output_lost && run_tty_output_gone(tty)) {
			/* The reader of our output left (`| head`): stop the
			 * container as a stop would, not die of SIGPIPE. */
			output_lost = true;
			t->kill(t->obj, o->stop_signal);
			stop_requested(&s);
		}
		int timeout = -1;
		if (s.deadline >= 0) {
			int64_t left = s.deadline - now_ms();
			if (left <= 0) {
				t->kill(t->obj, SIGKILL);
				s.deadline = -1;
				continue;
			}
			timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		struct pollfd p[4] = {
			{.fd = pidfd, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
			{.fd = tty && run_tty_wants_stdin(tty) ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = master_open ? tty->master : -1, .events = master_open ? run_tty_master_events(tty) : 0},
		};
		if (poll(p, ARRAY_SIZE(p), timeout) < 0 && errno != EINTR) {
			r = st_error(err, errno, "poll");
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				on_signal(&s, &si, tty);
				struct pollfd more = {.fd = sfd, .events = POLLIN};
				if (poll(&more, 1, 0) != 1)
					break;
			}
		}
		if (tty)
			master_open = run_tty_pump(tty, p[2].revents, p[3].revents) && master_open;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r < 0 ? -1 : 0;
}

static int ct_kill(void *obj, int sig) { return rt_container_kill(obj, sig, NULL); }
static int ct_try_wait(void *obj, struct rt_exit *st, st_error_t *err) { return rt_container_try_wait(obj, st, err); }
static int x_kill(void *obj, int sig) { return rt_exec_kill(obj, sig, NULL); }
static int x_try_wait(void *obj, struct rt_exit *st, st_error_t *err) { return rt_exec_try_wait(obj, st, err); }

int run_wait(struct rt_container *ct, struct run_tty *tty, const struct run_wait_opts *o, struct rt_exit *st,
	     st_error_t *err)
{
	struct target t = {.obj = ct, .kill = ct_kill, .try_wait = ct_try_wait, .pidfd = rt_container_pidfd(ct)};
	return wait_target(&t, tty, o, st, err);
}

int run_wait_exec(struct rt_exec *x, struct run_tty *tty, const struct run_wait_opts *o, struct rt_exit *st,
		  st_error_t *err)
{
	struct target t = {.obj = x, .kill = x_kill, .try_wait = x_try_wait, .pidfd = rt_exec_pidfd(x)};
	return wait_target(&t, tty, o, st, err);
}
