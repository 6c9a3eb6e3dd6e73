#include "cli/run_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* The payload's output to ours.  -1: the master is closed, 0: nothing
 * now, 1: copied.  Once our stdout fails (EPIPE: its reader left) the
 * master is still drained, so the payload never blocks on a full pty
 * while it is being stopped. */
static int copy_out(struct run_tty *t)
{
	char buf[8192];
	ssize_t n = read(t->master, buf, sizeof(buf));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	if (!t->output_gone && !write_all(STDOUT_FILENO, buf, (size_t)n))
		t->output_gone = true;
	return 1;
}

void run_tty_begin(struct run_tty *t, int master)
{
	t->master = master;
	t->raw = false;
	t->stdin_open = true;
	t->output_gone = false;
	t->pending_off = t->pending_len = 0;
	/* The master is read until it would block; the payload may still be
	 * writing when we look. */
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		struct termios raw = t->saved;
		cfmakeraw(&raw);
		t->raw = tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0;
	}
	run_tty_resize(t);
}

void run_tty_resize(struct run_tty *t)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

bool run_tty_output_gone(const struct run_tty *t) { return t->output_gone; }

bool run_tty_wants_stdin(const struct run_tty *t) { return t->stdin_open && t->pending_len == 0; }

short run_tty_master_events(const struct run_tty *t) { return POLLIN | (t->pending_len ? POLLOUT : 0); }

/* Write what the non-blocking master takes; the rest waits for POLLOUT
 * (blocking on it instead would stop the payload's output, and ^C). */
static void flush_input(struct run_tty *t)
{
	while (t->pending_len > 0) {
		ssize_t w = write(t->master, t->pending + t->pending_off, t->pending_len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				t->stdin_open = false; /* the payload's side is gone */
				t->pending_len = 0;
			}
			return;
		}
		t->pending_off += (size_t)w;
		t->pending_len -= (size_t)w;
	}
}

bool run_tty_pump(struct run_tty *t, short stdin_revents, short master_revents)
{
	if (run_tty_wants_stdin(t) && (stdin_revents & (POLLIN | POLLHUP))) {
		ssize_t n = read(STDIN_FILENO, t->pending, sizeof(t->pending));
		if (n > 0) {
			t->pending_off = 0;
			t->pending_len = (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			t->stdin_open = false; /* our input ended: the payload sees no more */
		}
	}
	flush_input(t);
	if (master_revents & POLLIN)
		while (copy_out(t) > 0)
			;
	/* EIO/HUP on the master: every slave fd is closed. */
	return !(master_revents & (POLLHUP | POLLERR)) || (master_revents & POLLIN);
}

void run_tty_end(struct run_tty *t)
{
	while (copy_out(t) > 0)
		;
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
	t->raw = false;
}
