/* Resolving container paths below the new root without escaping it.
 *
 * An image (or a bind-mounted volume) may hold symlinks such as
 * /etc -> /host/etc or ../../..; a mount target resolved with a plain path
 * would follow them out of the rootfs and mount over the host.  openat2()
 * with RESOLVE_IN_ROOT resolves every component as if rootfd were "/",
 * and the mount then goes onto /proc/self/fd/N, the very inode we opened. */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *rt_fd_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}

static int open_beneath(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

/* Make the last component of `path` (its parent exists) as kind. */
static int create_last(int rootfd, const char *path, mode_t kind, st_error_t *err)
{
	_cleanup_free_ char *dir = fs_dirname(path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	_cleanup_close_ int dfd = open_beneath(rootfd, dir, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return st_error(err, errno, "open `%s` in the container", dir);
	if (S_ISDIR(kind)) {
		if (mkdirat(dfd, base, 0755) < 0 && errno != EEXIST)
			return st_error(err, errno, "mkdir `%s` in the container", path);
	} else {
		int fd = openat(dfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return st_error(err, errno, "create `%s` in the container", path);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int rt_open_in_root(int rootfd, const char *path, mode_t create, st_error_t *err)
{
	int fd = open_beneath(rootfd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd >= 0 ? fd : st_error(err, errno, "open `%s` in the container", path);

	/* Create each missing component: the parents as directories, the
	 * last as `create`.  Each step re-resolves from the root, so a
	 * symlink planted in the image still cannot lead outside. */
	_cleanup_free_ char *clean = fs_path_join_clean("/", path);
	for (char *s = clean + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int pfd = open_beneath(rootfd, clean, O_PATH);
		if (pfd < 0) {
			if (errno != ENOENT || create_last(rootfd, clean, S_IFDIR, err) < 0)
				return st_error(err, errno, "open `%s` in the container", clean);
		} else {
			close(pfd);
		}
		*s = '/';
	}
	if (create_last(rootfd, clean, create, err) < 0)
		return -1;
	fd = open_beneath(rootfd, clean, O_PATH);
	if (fd < 0)
		return st_error(err, errno, "open `%s` in the container", clean);
	return fd;
}
