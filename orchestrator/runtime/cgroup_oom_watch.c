/* Being told of an OOM kill instead of looking for one: an fd that
 * becomes readable when the cgroup's OOM record may have changed, for the
 * supervisor's loop to poll.  v1: an eventfd registered for
 * memory.oom_control through cgroup.event_control (signalled when the
 * cgroup runs out of memory, and when it is removed); v2: inotify on
 * memory.events (the kernel notifies a modification of it on every count
 * it keeps, oom_kill among them).  Either way the count itself is read
 * afterwards (rt_cgroup_oom_kills): the fd only says when to read it. */
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

static int watch_v2(const char *dir, st_error_t *err)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "inotify_init1");
	_cleanup_free_ char *path = xasprintf("%s/memory.events", dir);
	if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
		int e = errno;
		close(fd);
		return st_error(err, e, "inotify_add_watch `%s`", path);
	}
	return fd;
}

static int watch_v1(const char *dir, int *keep, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/memory.oom_control", dir);
	int ofd = open(path, O_RDONLY | O_CLOEXEC);
	if (ofd < 0)
		return st_error(err, errno, "open `%s`", path);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		int e = errno;
		close(ofd);
		return st_error(err, e, "eventfd");
	}
	char line[32];
	snprintf(line, sizeof(line), "%d %d", efd, ofd);
	if (cg_write(dir, "cgroup.event_control", line, err) < 0) {
		close(efd);
		close(ofd);
		return -1;
	}
	*keep = ofd; /* the registration is of this open file: kept with it */
	return efd;
}

int rt_cgroup_oom_watch(struct rt_cgroup *cg, int *keep, st_error_t *err)
{
	*keep = -1;
	struct cg_dir *md = cg_dir_for(cg, CG_MEMORY);
	if (!md)
		return st_error(err, ENOENT, "cgroup `%s`: no memory controller", cg->rel);
	return md->v2 ? watch_v2(md->path, err) : watch_v1(md->path, keep, err);
}

void rt_oom_watch_drain(int fd)
{
	/* an eventfd's 8-byte counter, or inotify events: either is read
	 * whole into this, until there is no more */
	char buf[4096] __attribute__((aligned(8)));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}
