/* Atomic file replacement that a kill -9 cannot litter.
 *
 * The content is written to an unnamed file (O_TMPFILE) in the target's
 * directory, so until it is complete it has no name to leave behind.  A
 * new file is then linked straight to its name.  Replacing one needs a
 * rename, hence a name for a moment: PATH.tmp.RANDOM, flock()ed before it
 * is linked and until after the rename, so an unlocked one is provably
 * dead (a pid in its name would prove nothing: pids are reused) and
 * fs_sweep_tmp() removes it.  Where O_TMPFILE is missing the temp file is
 * named from the start, locked right after it is made; a sweep that took
 * it in between makes our rename fail, and we write it again. */
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmp_name(const char *path)
{
	unsigned char r[6] = {0};
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		memcpy(r, &(pid_t){getpid()}, sizeof(pid_t));
	return xasprintf("%s.tmp.%02x%02x%02x%02x%02x%02x", path, r[0], r[1], r[2], r[3], r[4], r[5]);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The complete, locked file in fd gets a name: `path` itself if new
 * (*tmp stays NULL), else *tmp, to be renamed over `path`. */
static int link_unnamed(int fd, const char *path, char **tmp, st_error_t *err)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST)
		return st_error(err, errno, "link `%s`", path);
	for (int i = 0; i < 8; i++) {
		*tmp = tmp_name(path);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, *tmp, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		int e = errno;
		free(*tmp);
		*tmp = NULL;
		if (e != EEXIST)
			return st_error(err, e, "link a temp file next to `%s`", path);
	}
	return st_error(err, EEXIST, "link a temp file next to `%s`", path);
}

static int write_once(const char *path, const void *data, size_t len, mode_t mode, bool sync, bool *retry,
		      st_error_t *err)
{
	_cleanup_free_ char *dir = fs_dirname(path);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	bool unnamed = fd >= 0;
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		tmp = tmp_name(path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	}
	if (fd < 0)
		return st_error(err, errno, "create a file in `%s`", dir);
	const char *what = tmp ? tmp : path;
	int r = 0;
	if (flock(fd, LOCK_EX) < 0)
		r = st_error(err, errno, "lock `%s`", what);
	else if (fchmod(fd, mode) < 0) /* the mode asked for, not what the umask leaves */
		r = st_error(err, errno, "chmod `%s`", what);
	else if (write_all(fd, data, len) < 0)
		r = st_error(err, errno, "write `%s`", what);
	else if (sync && fsync(fd) < 0)
		r = st_error(err, errno, "fsync `%s`", what);
	else if (unnamed)
		r = link_unnamed(fd, path, &tmp, err);
	if (r == 0 && tmp && rename(tmp, path) < 0) {
		if (!unnamed && errno == ENOENT)
			*retry = true; /* a sweep took it before we locked it */
		r = *retry ? -1 : st_error(err, errno, "rename `%s` to `%s`", tmp, path);
	}
	if (r < 0 && tmp)
		unlink(tmp);
	/* Closed (unlocked) only now, when the temp name is gone. */
	return r;
}

static int write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool sync, st_error_t *err)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		bool retry = false;
		if (write_once(path, data, len, mode, sync, &retry, err) == 0)
			return 0;
		if (!retry)
			return -1;
	}
	return st_error(err, ENOENT, "write `%s`: its temp file kept vanishing", path);
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, st_error_t *err)
{
	return write_atomic(path, data, len, mode, true, err);
}

int fs_write_file_atomic_volatile(const char *path, const void *data, size_t len, mode_t mode, st_error_t *err)
{
	return write_atomic(path, data, len, mode, false, err);
}

/* PATH.tmp.HEX as tmp_name() makes it (or PATH.tmp.PID, as older writers
 * did): a name that only has ".tmp." inside, such as the record of an
 * image called registry.tmp.example/app, is not a temp file. */
static bool is_tmp_name(const char *name)
{
	const char *last = NULL;
	for (const char *p = name; (p = strstr(p, ".tmp.")); p++)
		last = p;
	if (!last || last == name)
		return false;
	const char *suffix = last + 5;
	return *suffix && strspn(suffix, "0123456789abcdef") == strlen(suffix);
}

void fs_sweep_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!is_tmp_name(e->d_name))
			continue;
		_cleanup_close_ int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* its writer is at work */
		struct stat a, b;
		/* Still the file we locked (not a new one of that name). */
		if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) && fstatat(dirfd(d), e->d_name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}
