/* CMD and CMD-SHELL probes: a process in the container (rt_container_exec:
 * its namespaces, cgroup, capabilities, no_new_privs, seccomp), its
 * stdout and stderr read on the loop into one bounded output, its exit
 * seen on its pidfd (or, without one, by a timer that asks), killed at
 * the timeout.
 *
 * The probe ends when the process is reaped, not when its pipes close: a
 * child it left in the background may hold them open for good.  What
 * the process wrote before it exited is in the pipes already, so they
 * are drained once at that point.  At the timeout the whole process
 * group goes (the exec'd process leads a session of its own, so `sh -c
 * 'sleep 1000 & wait'` leaves no sleep behind); a process that made a
 * group of its own is left to the container's end. */
#include "supervisor/health_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REAP_POLL_MS 20     /* without a pidfd */
#define DRAIN_MAX (1 << 20) /* bytes read from the pipes once the process exited */

struct exec_probe {
	struct sup_probe p; /* first: the ops get a struct sup_probe * */
	struct rt_exec *x;
	uv_poll_t io[2];    /* stdout, stderr */
	int fd[2];          /* ours, closed with io[i] */
	bool io_on[2];      /* io[i] initialised and not closed yet */
	uv_poll_t pid;      /* the pidfd (owned by x), or unused */
	bool pid_on;
	uv_timer_t timer;   /* the timeout */
	uv_timer_t reap;    /* without a pidfd: asks whether it exited */
	int open;           /* handles not yet closed */
	bool timed_out, killed, reaped, closing;
	int64_t timeout_ns;
	size_t n;
	char out[SUP_HEALTH_OUTPUT_MAX];
};

static void exec_closed(uv_handle_t *hd)
{
	struct exec_probe *ep = hd->data;
	if (--ep->open > 0)
		return;
	for (int i = 0; i < 2; i++)
		if (ep->fd[i] >= 0)
			close(ep->fd[i]);
	rt_exec_free(ep->x); /* reaped: only its fds are left to close */
	free(ep->p.res.output);
	free(ep);
}

static void close_io(struct exec_probe *ep, int i)
{
	if (!ep->io_on[i])
		return;
	ep->io_on[i] = false;
	uv_close((uv_handle_t *)&ep->io[i], exec_closed);
}

static void exec_close(struct exec_probe *ep)
{
	if (ep->closing)
		return;
	ep->closing = true;
	close_io(ep, 0);
	close_io(ep, 1);
	if (ep->pid_on)
		uv_close((uv_handle_t *)&ep->pid, exec_closed);
	uv_close((uv_handle_t *)&ep->timer, exec_closed);
	uv_close((uv_handle_t *)&ep->reap, exec_closed);
}

/* Read what fd has now into the output (the first bytes are kept, the
 * rest read and dropped, so the writer is never stuck on a full pipe).
 * Returns false at EOF or error. */
static bool read_some(struct exec_probe *ep, int fd, size_t *budget)
{
	char scratch[16384];
	for (;;) {
		char *dst = ep->n < sizeof(ep->out) ? ep->out + ep->n : scratch;
		size_t room = ep->n < sizeof(ep->out) ? sizeof(ep->out) - ep->n : sizeof(scratch);
		if (budget && *budget < room)
			room = *budget;
		if (room == 0)
			return true;
		ssize_t r = read(fd, dst, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN;
		if (r == 0)
			return false;
		if (dst != scratch)
			ep->n += (size_t)r;
		if (budget)
			*budget -= (size_t)r;
		else
			return true; /* one read per wakeup: others get the loop too */
	}
}

static void io_cb(uv_poll_t *hd, int status, int events)
{
	struct exec_probe *ep = hd->data;
	int i = hd == &ep->io[0] ? 0 : 1;
	(void)events;
	if (status < 0 || !read_some(ep, ep->fd[i], NULL))
		close_io(ep, i);
}

static void kill_group(struct exec_probe *ep)
{
	if (ep->killed || ep->reaped)
		return;
	ep->killed = true;
	/* Unreaped, the exec'd process keeps its pid, and so its session's
	 * process group id, from being reused: -pid names that group only. */
	kill(-rt_exec_pid(ep->x), SIGKILL);
	rt_exec_kill(ep->x, SIGKILL, NULL);
}

static void reaped(struct exec_probe *ep, const struct rt_exit *st)
{
	ep->reaped = true;
	size_t budget = DRAIN_MAX;
	for (int i = 0; i < 2; i++)
		if (ep->io_on[i])
			read_some(ep, ep->fd[i], &budget);
	struct sup_probe *p = &ep->p;
	exec_close(ep);
	if (ep->timed_out) {
		_cleanup_free_ char *msg = sup_probe_timeout_text(ep->timeout_ns);
		sup_probe_report(p, -1, "%s", msg);
	} else {
		sup_probe_report_raw(p, st->exit_code, ep->out, ep->n);
	}
}

static void try_reap(struct exec_probe *ep)
{
	/* Exited?  Asked without reaping (WNOWAIT), so that rt_exec_wait()
	 * then reaps it at once and the runtime knows it is gone. */
	siginfo_t si = {0};
	if (waitid(P_PID, (id_t)rt_exec_pid(ep->x), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
		return;
	struct rt_exit st;
	st_error_t err = NULL;
	if (rt_exec_wait(ep->x, &st, &err) < 0) {
		/* Not our child any more (someone's waitpid(-1)): its status
		 * is lost, and so is the probe. */
		st_error_free(&err);
		st = (struct rt_exit){.exit_code = -1};
	}
	reaped(ep, &st);
}

static void pid_cb(uv_poll_t *hd, int status, int events)
{
	(void)status;
	(void)events;
	try_reap(hd->data);
}

static void reap_poll_cb(uv_timer_t *t)
{
	struct exec_probe *ep = t->data;
	try_reap(ep);
}

static void timeout_cb(uv_timer_t *t)
{
	struct exec_probe *ep = t->data;
	ep->timed_out = true;
	kill_group(ep);
}

static void exec_cancel(struct sup_probe *p)
{
	struct exec_probe *ep = (struct exec_probe *)p;
	/* Killed now, closed once reaped: rt_exec_free would block on it. */
	kill_group(ep);
	uv_timer_stop(&ep->timer);
}

static const struct sup_probe_ops exec_ops = {.cancel = exec_cancel};

static int watch_fd(struct exec_probe *ep, uv_poll_t *hd, int fd, uv_poll_cb cb)
{
	int r = uv_poll_init(ep->p.loop, hd, fd);
	if (r < 0)
		return r;
	hd->data = ep;
	ep->open++;
	return uv_poll_start(hd, UV_READABLE, cb);
}

struct sup_probe *sup_probe_exec_start(uv_loop_t *loop, struct sup_health *h, struct rt_container *ct,
				       const struct spec_health *spec, const struct sup_health_exec *exec,
				       st_error_t *err)
{
	const char *shell[] = {"/bin/sh", "-c", spec->test.n ? spec->test.v[0] : "", NULL};
	struct rt_process proc = {
		.argv = spec->kind == SPEC_HEALTH_SHELL ? shell : (const char *const *)spec->test.v,
		.env = exec ? exec->env : NULL,
		.user = exec ? exec->user : NULL,
		.stdio = RT_STDIO_PIPES,
		.fds = {-1, -1, -1},
	};
	struct rt_exec *x = NULL;
	if (rt_container_exec(ct, &proc, &x, err) < 0)
		return NULL;
	struct exec_probe *ep = xzalloc(sizeof(*ep));
	sup_probe_init(&ep->p, &exec_ops, h, loop);
	ep->x = x;
	ep->timeout_ns = spec->timeout;
	close(rt_exec_take_stdio(x, 0)); /* stdin at EOF */
	uv_timer_init(loop, &ep->timer);
	uv_timer_init(loop, &ep->reap);
	ep->timer.data = ep->reap.data = ep;
	ep->open = 2;
	int r = 0;
	for (int i = 0; i < 2; i++) {
		ep->fd[i] = rt_exec_take_stdio(x, i + 1);
		if (r == 0 && fcntl(ep->fd[i], F_SETFL, fcntl(ep->fd[i], F_GETFL) | O_NONBLOCK) < 0)
			r = -errno;
		if (r == 0 && (r = watch_fd(ep, &ep->io[i], ep->fd[i], io_cb)) == 0)
			ep->io_on[i] = true;
	}
	int pidfd = rt_exec_pidfd(x);
	if (r == 0 && pidfd >= 0 && (r = watch_fd(ep, &ep->pid, pidfd, pid_cb)) == 0)
		ep->pid_on = true;
	if (!ep->pid_on)
		uv_timer_start(&ep->reap, reap_poll_cb, REAP_POLL_MS, REAP_POLL_MS);
	if (r < 0) {
		st_error(err, -r, "health check: watch the probe's pipes");
		ep->p.h = NULL;
		exec_cancel(&ep->p);
		return NULL;
	}
	uint64_t ms = (uint64_t)(spec->timeout / 1000000);
	uv_timer_start(&ep->timer, timeout_cb, ms ? ms : 1, 0);
	return &ep->p;
}
