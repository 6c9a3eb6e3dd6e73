/* A socket in a container's network namespace, for the supervisor's
 * health probes and published ports: the calling thread enters the
 * namespace, makes the socket and goes back.  A socket belongs to the
 * namespace it was made in for good, wherever its fd is used, so the
 * caller then connects or listens from its own namespace and event loop.
 *
 * setns(CLONE_NEWNET) changes only the calling thread, so other threads
 * (an event loop next to a probe worker) never run in the container's
 * network, even for the few syscalls in between. */
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int enter_netns(struct rt_container *ct, st_error_t *err)
{
	/* The pidfd names our container process even once its pid could be
	 * reused; setns() takes one since Linux 5.8 (EINVAL before). */
	if (ct->p.pidfd >= 0) {
		if (setns(ct->p.pidfd, CLONE_NEWNET) == 0)
			return 0;
		if (errno != EINVAL)
			return st_error(err, errno, "container `%s`: setns into its network namespace", ct->id);
	}
	/* No pidfd, or an older kernel: the pid is our child, not reaped
	 * (ct->p.exited is false), so it cannot name another process. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)ct->p.pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno == ENOENT ? ESRCH : errno, "container `%s`: open `%s`", ct->id, path);
	if (setns(fd, CLONE_NEWNET) < 0)
		return st_error(err, errno, "container `%s`: setns into `%s`", ct->id, path);
	return 0;
}

int rt_container_socket(struct rt_container *ct, int domain, int type, int protocol, st_error_t *err)
{
	if (ct->p.exited || ct->p.pid <= 0)
		return st_error(err, ESRCH, "container `%s` has exited: no network namespace to make a socket in",
				ct->id);
	/* This thread's own namespace (thread-self: another thread may be
	 * elsewhere), to come back to. */
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return st_error(err, errno, "open `/proc/thread-self/ns/net`");
	if (enter_netns(ct, err) < 0)
		return -1;
	int fd = socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	int e = errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* This thread's every later socket would be the container's:
		 * a listener meant for the host bound inside it, a probe of
		 * another service answered by this one.  The caller cannot
		 * tell, so nothing sane can continue (as rt_fork_in_pidns). */
		fprintf(stderr, "stack: setns back to our network namespace: %s\n", strerror(errno));
		abort();
	}
	if (fd < 0)
		return st_error(err, e, "container `%s`: socket(%d, %d, %d) in its network namespace", ct->id, domain,
				type, protocol);
	return fd;
}
