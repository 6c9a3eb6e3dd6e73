/* fs_remove_tree(): rm -rf with fds, not path strings.
 *
 * A container can build a tree deeper than PATH_MAX in its upper layer;
 * nftw() on full paths fails there and leaves the state dir behind.  So
 * the walk is fd-relative (openat/unlinkat, no length limit), never
 * follows a symlink (O_NOFOLLOW: a link is unlinked, not entered), never
 * enters another mount (a bind or a leaked mount is refused, not
 * emptied), and holds a bounded number of fds however deep it goes: the
 * deepest levels stay open, and a level closed on the way down is
 * reopened on the way up through ".." of its child, checked to be the
 * same directory (device and inode) it left. */
#include "util/fs.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Open directory streams at most; deeper trees reopen on the way up. */
#define RM_MAX_OPEN 16

struct rm_level {
	DIR *d;   /* NULL while closed to stay within RM_MAX_OPEN */
	dev_t dev;
	ino_t ino;
	char *name; /* in the parent level */
};

struct rm_walk {
	const char *top;
	struct rm_level *lv;
	size_t depth, cap, lowest_open;
	st_error_t *err;
};

/* The error for `what` on TOP/a/b/.../name, shortened in the middle
 * when deep (the path may be longer than PATH_MAX). */
static int rm_fail(struct rm_walk *w, int e, const char *what, const char *name)
{
	struct strbuf sb = {0};
	strbuf_adds(&sb, w->top);
	for (size_t i = 1; i <= w->depth; i++) {
		if (w->depth > 8 && i == 4) {
			_cleanup_free_ char *skip = xasprintf("/...%zu more levels...", w->depth - 6);
			strbuf_adds(&sb, skip);
			i = w->depth - 3;
			continue;
		}
		strbuf_addc(&sb, '/');
		strbuf_adds(&sb, w->lv[i].name);
	}
	if (name) {
		strbuf_addc(&sb, '/');
		strbuf_adds(&sb, name);
	}
	_cleanup_free_ char *where = strbuf_take(&sb);
	return st_error(w->err, e, "remove `%s`: %s", where, what);
}

static int rm_push(struct rm_walk *w, int fd, const char *name)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) < 0) {
		close(fd);
		return rm_fail(w, errno, "statx", name);
	}
	dev_t dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	if (dev != w->lv[0].dev || (sx.stx_attributes_mask & sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		close(fd);
		return rm_fail(w, EBUSY, "a mount point, left alone (unmount it first)", name);
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return rm_fail(w, errno, "fdopendir", name);
	}
	w->lv = xgrow(w->lv, &w->cap, w->depth + 2, sizeof(*w->lv));
	w->lv[++w->depth] = (struct rm_level){.d = d, .dev = dev, .ino = sx.stx_ino, .name = xstrdup(name)};
	/* Keep the deepest RM_MAX_OPEN levels open. */
	if (w->depth - w->lowest_open >= RM_MAX_OPEN) {
		closedir(w->lv[w->lowest_open].d);
		w->lv[w->lowest_open++].d = NULL;
	}
	return 0;
}

/* Leave the current (emptied) level for its parent and rmdir it there. */
static int rm_pop(struct rm_walk *w)
{
	struct rm_level *cur = &w->lv[w->depth], *up = &w->lv[w->depth - 1];
	if (!up->d) {
		int fd = openat(dirfd(cur->d), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return rm_fail(w, e, "reopen its parent", NULL);
		}
		if (st.st_dev != up->dev || st.st_ino != up->ino) {
			close(fd);
			return rm_fail(w, ESTALE, "moved while being removed", NULL);
		}
		up->d = fdopendir(fd);
		if (!up->d) {
			close(fd);
			return rm_fail(w, errno, "reopen its parent", NULL);
		}
		w->lowest_open = w->depth - 1;
	}
	closedir(cur->d);
	cur->d = NULL;
	_cleanup_free_ char *name = cur->name;
	cur->name = NULL;
	w->depth--;
	if (unlinkat(dirfd(up->d), name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return rm_fail(w, errno, "rmdir", name);
	return 0;
}

/* One entry of the current level: unlink it, or descend into it. */
static int rm_entry(struct rm_walk *w, struct dirent *e)
{
	int dfd = dirfd(w->lv[w->depth].d);
	bool dir = e->d_type == DT_DIR;
	if (e->d_type == DT_UNKNOWN) {
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT ? 0 : rm_fail(w, errno, "fstatat", e->d_name);
		dir = S_ISDIR(st.st_mode);
	}
	if (!dir) {
		if (unlinkat(dfd, e->d_name, 0) == 0 || errno == ENOENT)
			return 0;
		if (errno != EISDIR)
			return rm_fail(w, errno, "unlink", e->d_name);
	}
	int fd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		/* Replaced by a non-directory (or a symlink) meanwhile: unlink
		 * that, never follow it. */
		if ((errno == ENOTDIR || errno == ELOOP) && unlinkat(dfd, e->d_name, 0) == 0)
			return 0;
		return rm_fail(w, errno, "openat", e->d_name);
	}
	return rm_push(w, fd, e->d_name);
}

/* Empty the directory `fd` (taken), whose device is `dev`, below which no
 * other device is entered; `top` names it in errors. */
static int rm_walk(int fd, dev_t dev, ino_t ino, const char *top, st_error_t *err)
{
	struct rm_walk w = {.top = top, .err = err};
	w.lv = xgrow(NULL, &w.cap, 1, sizeof(*w.lv));
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		free(w.lv);
		return st_error(err, errno, "remove `%s`: open", top);
	}
	w.lv[0] = (struct rm_level){.d = d, .dev = dev, .ino = ino};
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(w.lv[w.depth].d);
		if (!e) {
			if (errno) {
				r = rm_fail(&w, errno, "readdir", NULL);
				break;
			}
			if (w.depth == 0)
				break;
			if ((r = rm_pop(&w)) < 0)
				break;
			continue;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((r = rm_entry(&w, e)) < 0)
			break;
	}
	for (size_t i = 0; i <= w.depth; i++) {
		if (w.lv[i].d)
			closedir(w.lv[i].d);
		free(w.lv[i].name);
	}
	free(w.lv);
	return r;
}

int fs_remove_tree(const char *path, st_error_t *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : st_error(err, errno, "stat `%s`", path);
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 && errno != ENOENT ? st_error(err, errno, "remove `%s`", path) : 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : st_error(err, errno, "remove `%s`: open", path);
	if (fstat(fd, &st) < 0)
		st = (struct stat){0};
	int r = rm_walk(fd, st.st_dev, st.st_ino, path, err);
	if (r == 0 && rmdir(path) < 0 && errno != ENOENT)
		r = st_error(err, errno, "remove `%s`: rmdir", path);
	return r;
}

int fs_remove_tree_at(int dfd, const char *name, const char *shown, st_error_t *err)
{
	struct stat parent;
	if (fstat(dfd, &parent) < 0)
		return st_error(err, errno, "remove `%s`: stat its directory", shown);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != ENOTDIR && errno != ELOOP)
			return st_error(err, errno, "remove `%s`: open", shown);
		/* a symlink or a file: it goes, what a link points to stays */
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? st_error(err, errno, "remove `%s`", shown) : 0;
	}
	/* The fd holds the directory itself: whatever is mounted on its path
	 * from now on is not what is walked. */
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) < 0) {
		int e = errno;
		close(fd);
		return st_error(err, e, "remove `%s`: statx", shown);
	}
	dev_t dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	if (dev != parent.st_dev || (sx.stx_attributes_mask & sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		close(fd);
		return st_error(err, EBUSY, "`%s` is a mount point (another filesystem is mounted on it): left in "
				"place with all it holds; unmount it (`umount %s`) and run again", shown, shown);
	}
	int r = rm_walk(fd, dev, sx.stx_ino, shown, err);
	if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = st_error(err, errno, "remove `%s`: rmdir", shown);
	return r;
}
