#include "cli/run_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* While in the background of its terminal, stdin is looked at again after
 * this long (a read there fails with EIO: the thread blocks SIGTTIN, so
 * `stack run -T s cmd &` is not stopped by us reading). */
#define RELAY_BACKGROUND_RECHECK_MS 250

void run_relay_init(struct run_relay *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 3; i++) {
		r->child[i] = r->child_end[i] = -1;
		r->s[i].from = r->s[i].to = -1;
	}
	r->wake[0] = r->wake[1] = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* What our fd may be for the container to get it as it is: a pipe, a
 * socket or a character device that is not a terminal.  A terminal would
 * let it TIOCSTI into the user's shell; a directory (or an O_PATH fd),
 * `stack run s < /`, would hand it the host's file tree through
 * /proc/self/fd/0 (CVE-2024-21626's class); a regular file is reopened
 * through /proc/self/fd/N with the inode's permissions, not our fd's (`<
 * notes.txt` written, `>> log` truncated, its host path shown).  Reopening
 * a pipe or /dev/null gains nothing, and a socket cannot be reopened.
 * Closed fds are left alone (main() opens /dev/null on them). */
static bool must_relay(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return false;
	if ((fl & O_PATH) || isatty(fd))
		return true;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return true;
	return !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode));
}

int run_relay_prepare(struct run_relay *r, st_error_t *err)
{
	for (int i = 0; i < 3; i++) {
		/* The container keeps our fd i (see must_relay). */
		if (!must_relay(i))
			continue;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			st_error(err, errno, "pipe for fd %d (a terminal or a directory, not handed to the container)", i);
			run_relay_end(r);
			return -1;
		}
		struct run_relay_stream *s = &r->s[i];
		/* Our pipe end is non-blocking (the terminal is left as it is:
		 * its file description is shared with the user's shell). */
		int ours = i == 0 ? p[1] : p[0];
		fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK);
		r->child[i] = r->child_end[i] = i == 0 ? p[0] : p[1];
		s->from = i == 0 ? 0 : p[0];
		s->to = i == 0 ? p[1] : i;
		s->open = true;
	}
	return 0;
}

void run_relay_close_child_ends(struct run_relay *r)
{
	for (int i = 0; i < 3; i++)
		close_fd(&r->child_end[i]);
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = ENOSPC;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* Container output -> our terminal.  false once nothing more is there:
 * for now (EAGAIN) or for good (EOF, error). */
static bool pump_output(struct run_relay_stream *s)
{
	ssize_t n = read(s->from, s->buf, sizeof(s->buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) {
		s->open = false;
		close_fd(&s->from);
		return false;
	}
	/* Output that cannot be written (a terminal gone, a full file
	 * system): keep reading, so the container does not block on a full
	 * pipe, and drop the output; a file that filled up is said at the
	 * end (run_relay_lost_output). */
	if (s->to >= 0 && !write_all(s->to, s->buf, (size_t)n)) {
		if (errno != EIO && errno != EPIPE && !s->lost)
			s->lost = errno ? errno : EIO;
		s->to = -1;
	}
	return true;
}

static bool background_of(int tty)
{
	pid_t fg = tcgetpgrp(tty);
	return fg > 0 && fg != getpgrp();
}

static void stdin_close(struct run_relay_stream *s)
{
	s->open = false;
	s->len = 0;
	close_fd(&s->to); /* the container reads EOF */
}

/* Our terminal -> the container's stdin.  Returns true when we are in the
 * background of the terminal and must not read it for a while. */
static bool pump_input(struct run_relay_stream *s, short revents)
{
	if (s->len == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(s->from, s->buf, sizeof(s->buf));
		if (n > 0) {
			s->off = 0;
			s->len = (size_t)n;
		} else if (n < 0 && errno == EIO && background_of(s->from)) {
			return true;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			stdin_close(s);
			return false;
		}
	}
	while (s->len > 0) {
		ssize_t w = write(s->to, s->buf + s->off, s->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break; /* the container is not reading: POLLOUT */
		if (w < 0) {
			stdin_close(s); /* EPIPE: nobody will read it */
			break;
		}
		s->off += (size_t)w;
		s->len -= (size_t)w;
	}
	return false;
}

static void *relay_main(void *arg)
{
	struct run_relay *r = arg;
	struct run_relay_stream *in = &r->s[0];
	bool background = false;
	for (;;) {
		struct pollfd p[4] = {{.fd = -1}, {.fd = -1}, {.fd = -1}, {.fd = r->wake[0], .events = POLLIN}};
		if (in->open && in->len > 0)
			p[0] = (struct pollfd){.fd = in->to, .events = POLLOUT};
		else if (in->open && !background)
			p[0] = (struct pollfd){.fd = in->from, .events = POLLIN};
		for (int i = 1; i < 3; i++)
			if (r->s[i].open)
				p[i] = (struct pollfd){.fd = r->s[i].from, .events = POLLIN};
		int n = poll(p, 4, background ? RELAY_BACKGROUND_RECHECK_MS : -1);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0)
			background = false;
		if (n <= 0)
			continue;
		if (p[3].revents)
			break;
		if (p[0].revents)
			background = pump_input(in, p[0].fd == in->from ? p[0].revents : POLLOUT);
		for (int i = 1; i < 3; i++)
			if (p[i].revents)
				pump_output(&r->s[i]);
	}
	/* The container is gone: what it wrote last is still in the pipes. */
	for (int i = 1; i < 3; i++)
		while (r->s[i].open && pump_output(&r->s[i]))
			;
	return NULL;
}

int run_relay_begin(struct run_relay *r, st_error_t *err)
{
	if (!r->s[0].open && !r->s[1].open && !r->s[2].open)
		return 0;
	if (pipe2(r->wake, O_CLOEXEC) < 0)
		return st_error(err, errno, "pipe for the terminal relay");
	/* Every signal is for the main thread (its signalfd); the relay's
	 * mask is inherited from ours at creation. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&r->thread, NULL, relay_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		return st_error(err, e, "start the terminal relay thread");
	r->running = true;
	return 0;
}

int run_relay_lost_output(const struct run_relay *r, int *fd)
{
	for (int i = 1; i < 3; i++)
		if (r->s[i].lost) {
			*fd = i;
			return r->s[i].lost;
		}
	return 0;
}

void run_relay_end(struct run_relay *r)
{
	if (r->running) {
		char b = 0;
		while (write(r->wake[1], &b, 1) < 0 && errno == EINTR)
			;
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	run_relay_close_child_ends(r);
	for (int i = 0; i < 3; i++) {
		struct run_relay_stream *s = &r->s[i];
		/* Our own fds 0-2 stay open. */
		if (i == 0)
			close_fd(&s->to);
		else
			close_fd(&s->from);
		s->open = false;
		s->from = s->to = -1;
	}
	close_fd(&r->wake[0]);
	close_fd(&r->wake[1]);
}
