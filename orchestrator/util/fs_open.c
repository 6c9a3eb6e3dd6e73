/* Opening a file that must be a regular one, at a path others can write
 * (STACK_ROOT's logs and events): never through a symlink, never blocked
 * on a FIFO, never a device. */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fs_kind_name(mode_t mode)
{
	return S_ISREG(mode)    ? "regular file"
	       : S_ISDIR(mode)  ? "directory"
	       : S_ISLNK(mode)  ? "symbolic link"
	       : S_ISFIFO(mode) ? "FIFO"
	       : S_ISCHR(mode)  ? "character device"
	       : S_ISBLK(mode)  ? "block device"
	       : S_ISSOCK(mode) ? "socket"
				: "special file";
}

/* The message says it all (no strerror after it); errno for callers. */
static int refuse(const char *path, mode_t mode, st_error_t *err)
{
	st_error(err, 0, "`%s` is not a regular file (a %s): refused; remove it", path, fs_kind_name(mode));
	errno = S_ISDIR(mode) ? EISDIR : EINVAL;
	return -1;
}

int fs_open_regular(const char *path, int flags, mode_t mode, st_error_t *err)
{
	/* O_NONBLOCK: a FIFO's open waits for the other end (forever, when
	 * nobody comes); with it a reader's open returns at once and a
	 * writer's fails (ENXIO), and the fstat below refuses either. */
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0) {
		int e = errno;
		struct stat st;
		/* ELOOP: a symlink (O_NOFOLLOW); ENXIO: a FIFO with no reader,
		 * or a socket; say which */
		if ((e == ELOOP || e == ENXIO || e == ENODEV) && lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return refuse(path, st.st_mode, err);
		st_error(err, e, "open `%s`", path);
		errno = e;
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return st_error(err, e, "stat `%s`", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(path, st.st_mode, err);
	}
	/* no effect on a regular file's reads and writes; cleared so that it
	 * says what it means */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return st_error(err, e, "fcntl `%s`", path);
	}
	return fd;
}
