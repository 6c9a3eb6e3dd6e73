/* Resolving container paths below the new root without escaping it.
 *
 * An image (or a bind-mounted volume) may hold symlinks such as
 * /etc -> /host/etc or ../../..; a mount target resolved with a plain path
 * would follow them out of the rootfs and mount over the host.  openat2()
 * with RESOLVE_IN_ROOT resolves every component as if rootfd were "/",
 * and the mount then goes onto /proc/self/fd/N, the very inode we opened.
 * Without openat2 (Linux < 5.6) a careful walk does the same by hand. */
#include "runtime/internal.h"
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

bool rt_resolve_force_walk;

#define WALK_MAX_DEPTH 256
#define WALK_MAX_LINKS 40

/* Make `name` in dirfd as kind: a directory, or an empty regular file made
 * with mknodat(), which opens nothing (an O_CREAT open would follow a
 * symlink planted meanwhile, or block on a FIFO). */
static int make_entry(int dirfd, const char *name, mode_t kind)
{
	if (S_ISDIR(kind))
		return mkdirat(dirfd, name, 0755);
	return mknodat(dirfd, name, S_IFREG | 0644, 0);
}

/* The careful walk: one component at a time with O_NOFOLLOW, symlinks
 * expanded by hand (an absolute target restarts at rootfd), ".." popped
 * from our own stack of directory fds so it can never climb above rootfd.
 * It serves kernels without openat2 (before 5.6) and creation: with
 * `create`, a missing component is made (the last as `create`, the others
 * as directories) where the walk stands, so a dangling symlink in the
 * image (/etc/resolv.conf -> /run/systemd/...) gets its target made
 * inside the root, as runc does. */
static int walk_beneath(int rootfd, const char *path, int flags, mode_t create)
{
	int stack[WALK_MAX_DEPTH];
	int depth = 0, links = 0, ret = -1, e = 0;
	stack[0] = openat(rootfd, ".", O_PATH | O_CLOEXEC);
	if (stack[0] < 0)
		return -1;
	_cleanup_free_ char *buf = xstrdup(path);
	char *rest = buf;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		char *end = strchrnul(rest, '/');
		char save = *end;
		*end = '\0';
		const char *comp = rest;
		rest = save ? end + 1 : end;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (depth > 0)
				close(stack[depth--]);
			continue;
		}
		int fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create) {
			bool last = rest[strspn(rest, "/")] == '\0';
			if (make_entry(stack[depth], comp, last ? create : S_IFDIR) < 0 && errno != EEXIST) {
				e = errno;
				goto out;
			}
			fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			e = errno;
			goto out;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			e = errno;
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			e = errno;
			close(fd);
			if (n < 0)
				goto out;
			if (++links > WALK_MAX_LINKS) {
				e = ELOOP;
				goto out;
			}
			target[n] = '\0';
			if (target[0] == '/')
				while (depth > 0)
					close(stack[depth--]);
			char *next = *rest ? xasprintf("%s/%s", target, rest) : xstrdup(target);
			free(buf);
			buf = rest = next;
			continue;
		}
		if (depth + 1 >= WALK_MAX_DEPTH) {
			close(fd);
			e = ENAMETOOLONG;
			goto out;
		}
		stack[++depth] = fd;
	}
	if ((flags & O_DIRECTORY)) {
		struct stat st;
		if (fstat(stack[depth], &st) < 0 || !S_ISDIR(st.st_mode)) {
			e = ENOTDIR;
			goto out;
		}
	}
	ret = stack[depth];
	depth--;
out:
	for (; depth >= 0; depth--)
		close(stack[depth]);
	if (ret < 0)
		errno = e;
	return ret;
}

static int open_beneath(int rootfd, const char *path, int flags)
{
	if (rt_resolve_force_walk)
		return walk_beneath(rootfd, path, flags, 0);
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && errno == ENOSYS)
		return walk_beneath(rootfd, path, flags, 0);
	return fd;
}

int rt_open_in_root(int rootfd, const char *path, mode_t create, st_error_t *err)
{
	int fd = open_beneath(rootfd, path, O_PATH);
	if (fd < 0 && errno == ENOENT && create)
		fd = walk_beneath(rootfd, path, 0, create);
	if (fd >= 0)
		return fd;
	/* The usual causes are in the image: say what to change there. */
	if (errno == ELOOP)
		return st_error(err, errno,
				"open `%s` in the container (a symlink on this path in the image loops, takes more "
				"than %d links or points into /proc/*/fd: fix or remove it in the image)",
				path, WALK_MAX_LINKS);
	if (errno == ENOTDIR)
		return st_error(err, errno,
				"open `%s` in the container (a component of this path is not a directory in the "
				"image)",
				path);
	return st_error(err, errno, "open `%s` in the container", path);
}
