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
#include <sys/stat.h>
#include <unistd.h>

static char *lock_path(const char *run, const char *id)
{
	return xasprintf("%s/%s.lock", run, id);
}

/* fd is the file `name` in dirfd (not one put there since). */
static bool is_same_file(int fd, int dirfd, const char *name)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* A lock file that appears under its name already locked: made unnamed
 * (O_TMPFILE), locked, then linked.  0 and *fd; -1 with errno (EEXIST:
 * the name is taken; EOPNOTSUPP and the like: no O_TMPFILE here). */
static int link_locked(const char *run, const char *path, int *fd)
{
	int lfd = open(run, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (lfd < 0)
		return -1;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", lfd);
	if (flock(lfd, LOCK_EX) < 0 || linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		int e = errno;
		close(lfd);
		errno = e;
		return -1;
	}
	*fd = lfd;
	return 0;
}

/* tmp to path, failing with EEXIST when path is taken: a plain rename()
 * would replace the lock of a live run, and two runs would share the id.
 * Where RENAME_NOREPLACE is missing, a hard link does the same. */
static int move_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, path) < 0)
		return -1;
	unlink(tmp);
	return 0;
}

/* Where there is no O_TMPFILE: lock ID.lock.PID, then move it into place
 * (never over a lock that is there).  Killed before the move, it stays
 * unlocked under that name, which the sweep removes (it never had a
 * container); a sweep that took it while we were between open and flock
 * makes the move fail with ENOENT, and we start again. */
static int rename_locked(const char *path, int *fd)
{
	_cleanup_free_ char *tmp = xasprintf("%s.%d", path, (int)getpid());
	int lfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0)
		return -1;
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0 || move_noreplace(tmp, path) < 0) {
		int e = errno;
		close(lfd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	*fd = lfd;
	return 0;
}

static bool is_lock_name(const char *name, size_t *id_len)
{
	size_t n = strlen(name);
	if (n <= 5 || strcmp(name + n - 5, ".lock") != 0)
		return false;
	*id_len = n - 5;
	return true;
}

/* ID.lock.PID: a lock file made where O_TMPFILE is missing (or by an
 * older stack), whose starter died before renaming it into place.  The
 * last ".lock.": ID may hold one (a.lock.b's is a.lock.b.lock.PID). */
static bool is_unplaced_lock_name(const char *name)
{
	const char *last = NULL;
	for (const char *p = name; (p = strstr(p, ".lock.")); p++)
		last = p;
	return last && last != name && last[6] && strspn(last + 6, "0123456789") == strlen(last + 6);
}

bool sup_id_is_reserved(const char *id)
{
	size_t n = strlen(id);
	static const char *const suffixes[] = {".lock", ".secrets"};
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && strcmp(id + n - k, suffixes[i]) == 0)
			return true;
	}
	return is_unplaced_lock_name(id);
}

/* Remove what the container of lock file `name` left, if nobody holds
 * the lock: 1 removed, 0 held (or not a lock file), -1 on error. */
static int sweep_one(int dfd, const char *run, const char *cgroup_parent, const char *name, st_error_t *err)
{
	size_t id_len;
	bool unplaced = is_unplaced_lock_name(name);
	if (!unplaced && !is_lock_name(name, &id_len))
		return 0;
	_cleanup_close_ int fd = openat(dfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return 0; /* held: its starter is alive */
	/* Locked after its starter released it and another took the name:
	 * not ours to judge. */
	if (!is_same_file(fd, dfd, name))
		return 0;
	if (!unplaced) {
		_cleanup_free_ char *id = xstrndup(name, id_len);
		_cleanup_free_ char *state = xasprintf("%s/%s", run, id);
		st_error_t e2 = NULL;
		if (rt_container_remove_stale(id, state, cgroup_parent, &e2) < 0) {
			st_error(err, e2->status, "remove stale container `%s`: %s", id, e2->msg);
			st_error_free(&e2);
			return -1;
		}
		_cleanup_free_ char *secrets = sup_secrets_dir(run, id);
		fs_remove_tree(secrets, NULL);
	}
	unlinkat(dfd, name, 0); /* still locked: no starter took it meanwhile */
	return 1;
}

/* The name is taken: by a live starter (its lock is held), or by a dead
 * one the sweep did not get to, whose leftovers go now.  0: try again;
 * -1 with *err, or with EBUSY when it is in use. */
static int take_over_stale(const char *run, const char *cgroup_parent, const char *id, st_error_t *err)
{
	_cleanup_close_ int dfd = open(run, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : st_error(err, errno, "open `%s`", run);
	_cleanup_free_ char *name = xasprintf("%s.lock", id);
	int r = sweep_one(dfd, run, cgroup_parent, name, err);
	if (r == 0 && faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EBUSY;
		return -1;
	}
	return r < 0 ? -1 : 0;
}

int sup_lock_take(const struct st_paths *paths, const struct spec_stack *stack, const char *id, int *fd,
		  st_error_t *err)
{
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	_cleanup_free_ char *path = lock_path(run, id);
	*fd = -1;
	/* The id is one path component of the run dir: the CLI checks it, and
	 * this is the last place before a file is created and renamed by it. */
	if (!id[0] || id[0] == '.' || strchr(id, '/'))
		return st_error(err, EINVAL, "container name `%s` is not a single file name", id);
	if (sup_id_is_reserved(id))
		return st_error(err, EINVAL, "container name `%s` is the name of another container's lock or secrets", id);
	/* The lock file is never visible unlocked while its starter lives,
	 * so a sweep can tell a dead starter's from one being made.  The run
	 * dir may vanish meanwhile (the project's last container removing it
	 * on its way out): then make it again. */
	bool tmpfile = true;
	for (int attempt = 0;; attempt++) {
		if (fs_mkdir_p(run, 0700, err) < 0)
			return -1;
		int r = tmpfile ? link_locked(run, path, fd) : rename_locked(path, fd);
		if (r == 0)
			return 0;
		int e = errno;
		if (tmpfile && (e == EOPNOTSUPP || e == EISDIR || e == EINVAL)) {
			tmpfile = false;
			continue;
		}
		if (e == EEXIST && attempt < 3) {
			if (take_over_stale(run, paths->cgroup_parent, id, err) == 0)
				continue;
			if (err && *err)
				return -1;
			e = EBUSY;
		}
		if ((e != ENOENT && e != EEXIST) || attempt >= 3) {
			rmdir(run); /* if we made it and nothing else is in it */
			if (e == EBUSY)
				return st_error(err, e, "lock `%s`: container `%s` is in use by another `stack run`; "
							"pick another --name", path, id);
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

int sup_sweep_stale(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err)
{
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	DIR *d = opendir(run);
	if (!d)
		return errno == ENOENT ? 0 : st_error(err, errno, "open `%s`", run);
	int removed = 0, r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int one = sweep_one(dirfd(d), run, paths->cgroup_parent, e->d_name, r < 0 ? NULL : err);
		if (one < 0)
			r = -1; /* the first failure is reported; the sweep goes on */
		removed += one > 0;
	}
	closedir(d);
	return r < 0 ? -1 : removed;
}
