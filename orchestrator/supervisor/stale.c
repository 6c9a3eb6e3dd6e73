#include "supervisor/stale.h"
#include "runtime/container.h"
#include "supervisor/ctconf.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static char *lock_path(const char *run, const char *id)
{
	return xasprintf("%s/%s.lock", run, id);
}

int sup_lock_take(const struct st_paths *paths, const struct spec_stack *stack, const char *id, int *fd,
		  st_error_t *err)
{
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	_cleanup_free_ char *path = lock_path(run, id);
	_cleanup_free_ char *tmp = xasprintf("%s.%d", path, (int)getpid());
	*fd = -1;
	/* The id is one path component of the run dir: the CLI checks it, and
	 * this is the last place before a file is created and renamed by it. */
	if (!id[0] || id[0] == '.' || strchr(id, '/'))
		return st_error(err, EINVAL, "container name `%s` is not a single file name", id);
	/* Lock first, then rename into place: a sweep never sees the file
	 * unlocked between its creation and our flock.  The run dir may vanish
	 * meanwhile (the project's last container removing it on its way
	 * out): then make it again. */
	for (int attempt = 0;; attempt++) {
		if (fs_mkdir_p(run, 0700, err) < 0)
			return -1;
		int lfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) == 0 && rename(tmp, path) == 0) {
			*fd = lfd;
			return 0;
		}
		int e = errno;
		if (lfd >= 0) {
			close(lfd);
			unlink(tmp);
		}
		if (e != ENOENT || attempt == 2) {
			rmdir(run); /* if we made it and nothing else is in it */
			return st_error(err, e, "lock `%s`", path);
		}
	}
}

void sup_lock_release(const struct st_paths *paths, const struct spec_stack *stack, const char *id, int fd)
{
	if (fd < 0)
		return;
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	_cleanup_free_ char *path = lock_path(run, id);
	unlink(path);
	close(fd);
	/* The project's run dir goes with its last container (ENOTEMPTY
	 * while others run: fine). */
	rmdir(run);
}

static bool is_lock_name(const char *name, size_t *id_len)
{
	size_t n = strlen(name);
	if (n <= 5 || strcmp(name + n - 5, ".lock") != 0)
		return false;
	*id_len = n - 5;
	return true;
}

int sup_sweep_stale(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err)
{
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	DIR *d = opendir(run);
	if (!d)
		return errno == ENOENT ? 0 : st_error(err, errno, "open `%s`", run);
	int removed = 0, r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t id_len;
		if (!is_lock_name(e->d_name, &id_len))
			continue;
		_cleanup_close_ int fd = openat(dirfd(d), e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* held: its starter is alive */
		_cleanup_free_ char *id = xstrndup(e->d_name, id_len);
		_cleanup_free_ char *state = xasprintf("%s/%s", run, id);
		st_error_t e2 = NULL;
		if (rt_container_remove_stale(id, state, paths->cgroup_parent, &e2) < 0) {
			if (r == 0)
				r = st_error(err, e2->status, "remove stale container `%s`: %s", id, e2->msg);
			st_error_free(&e2);
			continue;
		}
		_cleanup_free_ char *secrets = sup_secrets_dir(run, id);
		fs_remove_tree(secrets, NULL);
		unlinkat(dirfd(d), e->d_name, 0);
		removed++;
	}
	closedir(d);
	return r < 0 ? -1 : removed;
}
