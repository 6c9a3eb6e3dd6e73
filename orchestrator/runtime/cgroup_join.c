/* Joining a container's cgroup without the kernel's global lock (see
 * cgroup.h): the parent opens the v1 `tasks` files, the new container
 * process writes "0" to them itself.
 *
 * Why `tasks` and "0": cgroup_procs_write_start() takes
 * cgroup_threadgroup_rwsem for writing when a pid is given or a whole
 * thread group moves (cgroup.procs), and that waits for an RCU grace
 * period.  A thread moving only itself needs no exclusion from forks of
 * its own thread group, so the kernel skips it.  The mover must be
 * single-threaded, or its other threads would stay behind: the container
 * process is a fresh fork() child and joins before it runs anything. */
#include "runtime/cgroup_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rt_cgroup_join_close(struct rt_cgroup_join *j)
{
	for (size_t i = 0; i < j->n; i++) {
		if (j->fd[i] >= 0)
			close(j->fd[i]);
		j->fd[i] = -1;
		free(j->path[i]);
		j->path[i] = NULL;
	}
	j->n = 0;
}

int rt_cgroup_join_open(struct rt_cgroup *cg, struct rt_cgroup_join *j, st_error_t *err)
{
	memset(j, 0, sizeof(*j));
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->d[i].v2)
			continue;
		if (j->n == RT_CGROUP_JOIN_MAX) {
			rt_cgroup_join_close(j);
			return st_error(err, E2BIG, "cgroup `%s`: more than %d v1 hierarchies", cg->rel,
					RT_CGROUP_JOIN_MAX);
		}
		char *path = xasprintf("%s/tasks", cg->d[i].path);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			free(path);
			rt_cgroup_join_close(j);
			return st_error(err, e, "open `%s/tasks`", cg->d[i].path);
		}
		j->fd[j->n] = fd;
		j->path[j->n] = path;
		j->n++;
	}
	return 0;
}

int rt_cgroup_join_self(const int *fds, size_t n, size_t *failed)
{
	int e = 0;
	for (size_t i = 0; i < n; i++) {
		ssize_t w = -1;
		if (!e) {
			do
				w = write(fds[i], "0", 1);
			while (w < 0 && errno == EINTR);
			if (w != 1) {
				e = w < 0 ? errno : EIO;
				*failed = i;
			}
		}
		close(fds[i]);
	}
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

int rt_cgroup_add_pid_v2(struct rt_cgroup *cg, pid_t pid, st_error_t *err)
{
	struct cg_dir *v2 = cg_dir_v2(cg);
	if (!v2)
		return 0;
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(v2->path, "cgroup.procs", buf, err);
}
