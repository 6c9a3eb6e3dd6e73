/* The canonical tar of a layer directory: what a layer id is the digest of.
 *
 * The same tree always gives the same bytes, on any host:
 *   - order: depth first, each directory's entries sorted by the bytes of
 *     their names in the tar (strcmp; `.wh.NAME` for a whiteout), a
 *     directory before what it holds (the order of Go's filepath.Walk);
 *     the layer root itself is not an entry;
 *   - headers: ustar, with a PAX extended header only where ustar cannot
 *     say it (long or non-ASCII names, big ids or sizes, the kept xattr
 *     as SCHILY.xattr); numeric uid/gid only (no user or group names: those are the host's),
 *     mtime in whole seconds as the layer has it, no atime or ctime;
 *     the archive ends with its two zero blocks, unpadded;
 *   - a hard link (a file seen again by dev and inode) is a link entry to
 *     the first name of it in that order;
 *   - overlay form to OCI form: a 0:0 character device NAME is the
 *     whiteout file `.wh.NAME` (an empty regular file with the device's
 *     mode, owner and mtime, which an import gives the device back), and a
 *     directory with trusted.overlay.opaque=y holds `.wh..wh..opq` (sorted
 *     with its entries; the directory's mode, owner and mtime);
 *   - sockets are left out (as Docker does): they mean nothing at rest.
 * Every file is opened relative to its directory's fd with O_NOFOLLOW, so
 * a symlink in the layer is stored as one, never followed. */
#include "image/archive_dl.h"
#include "image/layer_tar.h"
#include "image/store.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The walk recurses once per directory level and holds each level's fd on
 * the way down: a tree deeper than this (a container or a hostile tarball
 * can make one thousands deep) is refused with an error, before the stack
 * or the fd table runs out. */
#define EXPORT_MAX_DEPTH 4096

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct exporter {
	struct archive *a;
	struct archive_entry *e;
	struct st_sha256 md;
	int out_fd;
	int write_errno; /* of a failed write to out_fd */
	const char *what;
	void *links; /* tsearch tree of struct link_seen */
	size_t depth; /* directory levels below the layer root */
};

static la_ssize_t tar_write(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	struct exporter *x = data;
	st_sha256_update(&x->md, buf, len);
	for (size_t off = 0; x->out_fd >= 0 && off < len;) {
		ssize_t w = write(x->out_fd, (const char *)buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			x->write_errno = errno;
			return -1;
		}
		off += (size_t)w;
	}
	return (la_ssize_t)len;
}

static int tar_fail(struct exporter *x, const char *path, st_error_t *err)
{
	if (x->write_errno)
		return st_error(err, x->write_errno, "export `%s`: write", x->what);
	int e = la.archive_errno(x->a);
	return st_error(err, e > 0 ? e : 0, "export `%s`: `%s`: %s", x->what, path,
			la.archive_error_string(x->a) ? la.archive_error_string(x->a) : "libarchive error");
}

static int link_cmp(const void *a, const void *b)
{
	const struct link_seen *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void link_free(void *p)
{
	struct link_seen *l = p;
	free(l->path);
	free(l);
}

/* The first name of this inode already written, or NULL (and remember
 * this one). */
static const char *link_target(struct exporter *x, const struct stat *st, const char *path)
{
	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return NULL;
	struct link_seen *l = xzalloc(sizeof(*l));
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	struct link_seen **found = tsearch(l, &x->links, link_cmp);
	if (!found)
		abort(); /* out of memory, as xmalloc treats it */
	if (*found != l) {
		free(l);
		return (*found)->path;
	}
	l->path = xstrdup(path);
	return NULL;
}

/* One entry of a directory, by the name it has in the tar (`.wh.NAME`
 * for a whiteout, `.wh..wh..opq` for the opaque marker). */
struct item {
	char *name; /* on disk; NULL for the opaque marker */
	char *tar_name;
	struct stat st;
};

static int cmp_items(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->tar_name, ((const struct item *)b)->tar_name);
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dir_fd)
{
	char v[2];
	return fgetxattr(dir_fd, IMG_OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

static void free_items(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].name);
		free(items[i].tar_name);
	}
	free(items);
}

/* The entries of `dir_fd`, sorted by the bytes of their tar names. */
static int list_sorted(struct exporter *x, int dir_fd, const char *prefix, struct item **out, size_t *n_out,
		       st_error_t *err)
{
	DIR *d = fs_opendir_fd(dir_fd);
	if (!d)
		return st_error(err, errno, "export `%s`: opendir `%s`", x->what, *prefix ? prefix : ".");
	size_t n = 0, cap = 16;
	struct item *items = xmalloc(cap * sizeof(*items));
	int r = 0;
	if (is_opaque(dir_fd)) {
		if (fstat(dir_fd, &items[n].st) < 0)
			r = st_error(err, errno, "export `%s`: stat `%s`", x->what, *prefix ? prefix : ".");
		items[n].name = NULL;
		items[n++].tar_name = xstrdup(IMG_WH_OPAQUE);
	}
	struct dirent *de;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap)
			items = xrealloc(items, (cap *= 2) * sizeof(*items));
		struct item *it = &items[n];
		if (fstatat(dir_fd, de->d_name, &it->st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = st_error(err, errno, "export `%s`: stat `%s%s`", x->what, prefix, de->d_name);
			break;
		}
		it->name = xstrdup(de->d_name);
		it->tar_name = is_whiteout(&it->st) ? xasprintf(IMG_WH_PREFIX "%s", de->d_name) : xstrdup(de->d_name);
		n++;
	}
	if (r == 0 && errno)
		r = st_error(err, errno, "export `%s`: readdir `%s`", x->what, *prefix ? prefix : ".");
	closedir(d);
	if (r < 0) {
		free_items(items, n);
		return -1;
	}
	qsort(items, n, sizeof(*items), cmp_items);
	*out = items;
	*n_out = n;
	return 0;
}

static void entry_base(struct exporter *x, const char *path, const struct stat *st)
{
	la.archive_entry_clear(x->e);
	la.archive_entry_set_pathname(x->e, path);
	la.archive_entry_set_perm(x->e, st->st_mode & 07777);
	la.archive_entry_set_uid(x->e, st->st_uid);
	la.archive_entry_set_gid(x->e, st->st_gid);
	la.archive_entry_set_mtime(x->e, st->st_mtim.tv_sec, 0);
}

/* An empty regular file: a whiteout or the opaque marker. */
static int write_marker(struct exporter *x, const char *path, const struct stat *st, st_error_t *err)
{
	entry_base(x, path, st);
	la.archive_entry_set_filetype(x->e, AE_IFREG);
	la.archive_entry_set_size(x->e, 0);
	if (la.archive_write_header(x->a, x->e) < ARCHIVE_WARN)
		return tar_fail(x, path, err);
	return 0;
}

static void add_kept_xattr(struct exporter *x, int fd)
{
	char buf[256];
	ssize_t n = fgetxattr(fd, IMG_KEPT_XATTR, buf, sizeof(buf));
	if (n > 0)
		la.archive_entry_xattr_add_entry(x->e, IMG_KEPT_XATTR, buf, (size_t)n);
}

/* noinline: its 64 KiB buffer must not be in the frame of every level of
 * the recursive walk. */
__attribute__((noinline)) static int write_file_data(struct exporter *x, int fd, const char *path, off_t size,
							 st_error_t *err)
{
	char buf[1 << 16];
	off_t left = size;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return st_error(err, errno, "export `%s`: read `%s`", x->what, path);
		if (n == 0)
			return st_error(err, 0, "export `%s`: `%s` shrank while it was read: export a layer nothing writes to",
					x->what, path);
		if (la.archive_write_data(x->a, buf, (size_t)n) < 0)
			return tar_fail(x, path, err);
		left -= n;
	}
	return 0;
}

static int walk_dir(struct exporter *x, int dir_fd, const char *prefix, st_error_t *err);

/* Apart from write_one (noinline) for the same reason as write_file_data:
 * a PATH_MAX buffer per level overflowed the stack at 2,000 levels. */
__attribute__((noinline)) static int set_symlink(struct exporter *x, int dir_fd, const char *name, const char *path,
						     st_error_t *err)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dir_fd, name, target, sizeof(target) - 1);
	if (n < 0)
		return st_error(err, errno, "export `%s`: readlink `%s`", x->what, path);
	target[n] = '\0';
	la.archive_entry_set_filetype(x->e, AE_IFLNK);
	la.archive_entry_set_symlink(x->e, target);
	return 0;
}

static int write_one(struct exporter *x, int dir_fd, const char *prefix, const struct item *it, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s%s", prefix, it->tar_name);
	const struct stat *st = &it->st;
	if (!it->name || is_whiteout(st))
		return write_marker(x, path, st, err);
	if (S_ISSOCK(st->st_mode))
		return 0;
	entry_base(x, path, st);
	_cleanup_close_ int fd = -1;
	const char *hard = link_target(x, st, path);
	if (hard) {
		la.archive_entry_set_filetype(x->e, AE_IFREG);
		la.archive_entry_set_hardlink(x->e, hard);
		la.archive_entry_set_size(x->e, 0);
	} else if (S_ISREG(st->st_mode)) {
		fd = openat(dir_fd, it->name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return st_error(err, errno, "export `%s`: open `%s`", x->what, path);
		la.archive_entry_set_filetype(x->e, AE_IFREG);
		la.archive_entry_set_size(x->e, st->st_size);
		add_kept_xattr(x, fd);
	} else if (S_ISDIR(st->st_mode)) {
		fd = openat(dir_fd, it->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return st_error(err, errno, "export `%s`: open `%s`", x->what, path);
		la.archive_entry_set_filetype(x->e, AE_IFDIR);
	} else if (S_ISLNK(st->st_mode)) {
		if (set_symlink(x, dir_fd, it->name, path, err) < 0)
			return -1;
	} else {
		la.archive_entry_set_filetype(x->e, st->st_mode & S_IFMT);
		la.archive_entry_set_rdev(x->e, st->st_rdev);
	}
	if (la.archive_write_header(x->a, x->e) < ARCHIVE_WARN)
		return tar_fail(x, path, err);
	if (!hard && S_ISREG(st->st_mode) && write_file_data(x, fd, path, st->st_size, err) < 0)
		return -1;
	if (S_ISDIR(st->st_mode)) {
		if (x->depth >= EXPORT_MAX_DEPTH)
			return st_error(err, ELOOP, "export `%s`: a tree deeper than %d directories (at `%.64s...`): "
					"a layer cannot hold it; make it shallower", x->what, EXPORT_MAX_DEPTH, path);
		_cleanup_free_ char *sub = xasprintf("%s/", path);
		x->depth++;
		int r = walk_dir(x, fd, sub, err);
		x->depth--;
		return r;
	}
	return 0;
}

static int walk_dir(struct exporter *x, int dir_fd, const char *prefix, st_error_t *err)
{
	struct item *items = NULL;
	size_t n = 0;
	if (list_sorted(x, dir_fd, prefix, &items, &n, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = write_one(x, dir_fd, prefix, &items[i], err);
	free_items(items, n);
	return r;
}

int img_layer_tar(int dir_fd, const char *what, int out_fd, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	struct exporter x = {.out_fd = out_fd, .what = what};
	if (st_sha256_begin(&x.md, err) < 0)
		return -1;
	int r = -1;
	x.a = la.archive_write_new();
	x.e = la.archive_entry_new();
	la.archive_write_set_format_pax_restricted(x.a);
	/* xattrs in the SCHILY form alone, as Docker's layers have them.
	 * (hdrcharset=BINARY would pin names to their bytes whatever the
	 * locale, but it puts a PAX header on every entry: stack never calls
	 * setlocale(), so names are converted as the "C" locale does.) */
	if (la.archive_write_set_options(x.a, "xattrheader=SCHILY") < ARCHIVE_OK) {
		tar_fail(&x, ".", err);
		goto out;
	}
	/* No padding to a 10 KiB record: the digest is of the tar itself. */
	la.archive_write_set_bytes_in_last_block(x.a, 1);
	if (la.archive_write_open2(x.a, &x, NULL, tar_write, NULL, NULL) != ARCHIVE_OK) {
		tar_fail(&x, ".", err);
		goto out;
	}
	if (walk_dir(&x, dir_fd, "", err) < 0)
		goto out;
	if (la.archive_write_close(x.a) != ARCHIVE_OK) {
		tar_fail(&x, ".", err);
		goto out;
	}
	st_sha256_end_hex(&x.md, hex);
	r = 0;
out:
	la.archive_entry_free(x.e);
	la.archive_write_free(x.a);
	st_sha256_abort(&x.md);
	tdestroy(x.links, link_free);
	return r;
}

int img_layer_export(const struct img_store *s, const char *layer_id, int out_fd, char digest_out[IMG_DIGEST_LEN],
		     st_error_t *err)
{
	_cleanup_free_ char *path = img_layer_path(s, layer_id);
	const char *want = strncmp(layer_id, "sha256:", 7) == 0 ? layer_id + 7 : layer_id;
	if (img_archive_load(err) < 0)
		return -1;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "export layer `%s`: open `%s`", layer_id, path);
	char hex[ST_SHA256_HEX_LEN + 1];
	if (img_layer_tar(fd, path, out_fd, hex, err) < 0)
		return -1;
	snprintf(digest_out, IMG_DIGEST_LEN, "sha256:%s", hex);
	/* The tar is written by now; a layer whose files were changed in the
	 * store (or one imported before ids were canonical) is not the layer
	 * its name says, and whoever matches the export by id must know. */
	if (strcmp(hex, want) != 0)
		return st_error(err, 0,
				"export layer `%s`: its content is sha256:%s, not its id (the layer was changed in the "
				"store, or imported by an older stack): remove it and import its source again",
				layer_id, hex);
	return 0;
}
