/* Network namespaces held by a bind mount (see net_ns.h). */
#include "supervisor/net_ns.h"

#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

/* 1: path is a mounted network namespace; 0: something else or nothing. */
static int is_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	int type = ioctl(fd, NS_GET_NSTYPE);
	close(fd);
	return type == CLONE_NEWNET;
}

int sup_netns_ensure(const char *path, bool *created, st_error_t *err)
{
	*created = false;
	if (is_netns(path))
		return 0;
	/* A file left by a creator killed before its mount, or an
	 * unmounted leftover: start again. */
	if (sup_netns_remove(path, err) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return st_error(err, errno, "create `%s`", path);
	close(fd);
	/* The new namespace is made by this thread and bound from its
	 * thread-self link (/proc/self would name the main thread's), then
	 * the thread goes back. */
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		int e = errno;
		unlink(path);
		return st_error(err, e, "open `/proc/thread-self/ns/net`");
	}
	int r = 0;
	if (unshare(CLONE_NEWNET) < 0) {
		r = st_error(err, errno, "unshare a network namespace for `%s`", path);
	} else {
		if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			r = st_error(err, errno, "bind the new network namespace on `%s`", path);
		if (setns(self, CLONE_NEWNET) < 0) {
			fprintf(stderr, "stack: setns back to our network namespace: %s\n", strerror(errno));
			abort();
		}
	}
	close(self);
	if (r < 0) {
		unlink(path);
		return -1;
	}
	*created = true;
	return 0;
}

int sup_netns_remove(const char *path, st_error_t *err)
{
	/* MNT_DETACH: a stack process still inside (setns'd on the way to a
	 * veth) does not keep the file busy; the namespace dies with its
	 * last user. */
	for (int i = 0; umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
		if (i == 16) /* mounted over and over: not ours to keep peeling */
			return st_error(err, EBUSY, "unmount `%s`", path);
	if (errno != EINVAL && errno != ENOENT)
		return st_error(err, errno, "unmount `%s`", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return st_error(err, errno, "remove `%s`", path);
	return 0;
}
