/* Read a helper's pipe until EOF (child_read.h). */
#include "image/child_read.h"
#include "util/interrupt.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

/* The stop signals are unblocked only inside ppoll, so one that came
 * before is seen, not slept through. */
int img_child_read(int fd, pid_t pid, const char *what, img_chunk_fn eat, void *ctx, st_error_t *err)
{
	sigset_t stop, old;
	st_interrupt_sigset(&stop);
	sigprocmask(SIG_BLOCK, &stop, &old);
	int r = 0;
	for (;;) {
		if (st_interrupted()) {
			char sig_name[32];
			kill(pid, SIGKILL);
			r = st_error(err, EINTR, "stopped by %s", st_signal_name(st_interrupted(), sig_name, sizeof(sig_name)));
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (ppoll(&p, 1, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			r = st_error(err, errno, "poll %s", what);
			break;
		}
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = st_error(err, errno, "read from %s", what);
			break;
		}
		if (n == 0)
			break;
		eat(ctx, buf, (size_t)n);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
