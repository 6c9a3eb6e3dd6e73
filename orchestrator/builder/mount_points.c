/* Taking a step's bind mount points out of its upper dir (mount_points.h). */
#include "builder/mount_points.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The directory `rel` ("" the top) of tree `top`, no symlink followed. */
static int open_beneath(const char *top, const char *rel)
{
	_cleanup_close_ int root = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	if (!*rel)
		return dup(root);
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
}

/* lstat of `parent/name` in tree `top`. */
static bool stat_in(const char *top, const char *parent, const char *name, struct stat *st)
{
	_cleanup_close_ int d = open_beneath(top, parent);
	return d >= 0 && fstatat(d, name, st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool dir_empty_plain(int d, const char *name)
{
	int fd = openat(d, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	char v[2];
	if (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) >= 0) {
		close(fd);
		return false;
	}
	DIR *ds = fdopendir(fd);
	if (!ds) {
		close(fd);
		return false;
	}
	bool empty = true;
	struct dirent *e;
	while (empty && (e = readdir(ds)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(ds);
	return empty;
}

/* What the lowers show at parent/name: 1 and *st, 0 nothing (or a whiteout). */
static int lower_has(const struct strv *lowers, const char *parent, const char *name, struct stat *st)
{
	for (size_t i = 0; i < lowers->n; i++) {
		if (!stat_in(lowers->v[i], parent, name, st))
			continue;
		if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
			return 0;
		return 1;
	}
	return 0;
}

/* 1 when upper's parent/name went (or was not there), 0 when it stays. */
static int prune_one(const char *upper, const struct strv *lowers, const char *parent, const char *name)
{
	_cleanup_close_ int d = open_beneath(upper, parent);
	struct stat st, low;
	if (d < 0 || fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 1;
	bool file = S_ISREG(st.st_mode) && st.st_size == 0;
	bool dir = S_ISDIR(st.st_mode) && dir_empty_plain(d, name);
	if (!file && !dir)
		return 0;
	int in_lower = lower_has(lowers, parent, name, &low);
	if (in_lower && !(dir && S_ISDIR(low.st_mode) && low.st_mode == st.st_mode && low.st_uid == st.st_uid &&
			  low.st_gid == st.st_gid))
		return 0;
	return unlinkat(d, name, dir ? AT_REMOVEDIR : 0) == 0 ? 1 : 0;
}

void build_mount_points_prune(const char *upper, const struct strv *lowers, const struct strv *targets)
{
	for (size_t i = 0; targets && i < targets->n; i++) {
		const char *t = targets->v[i];
		while (*t == '/')
			t++;
		_cleanup_free_ char *path = xstrdup(t);
		while (*path) {
			char *slash = strrchr(path, '/');
			const char *name = slash ? slash + 1 : path;
			const char *parent = slash ? path : "";
			if (slash)
				*slash = '\0';
			if (!prune_one(upper, lowers, parent, name))
				break;
			if (!slash)
				break;
		}
	}
}
