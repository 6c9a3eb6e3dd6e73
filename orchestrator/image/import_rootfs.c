/* Import a root filesystem, directory or tarball, as one content-addressed layer.
 *
 * One pass over the source feeds two libarchive writers: the disk writer
 * extracts into a temp dir under tmp/, and a tar writer whose bytes only go
 * through SHA-256 yields the layer's diff id.  The temp dir is renamed to
 * layers/<hex> at the end, so a layer either exists whole or not at all. */
#include "image/archive_dl.h"
#include "image/store.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct import {
	struct archive *src, *disk, *hash_tar;
	struct st_sha256 md;
	const char *src_path;
	size_t src_prefix; /* disk reader: strlen of the dir path, stripped from names */
	bool from_dir;
};

static la_ssize_t hash_write(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	st_sha256_update(&((struct import *)data)->md, buf, len);
	return (la_ssize_t)len;
}

static int archive_fail(st_error_t *err, struct archive *a, const char *what, const char *path)
{
	int e = la.archive_errno(a);
	return st_error(err, e > 0 ? e : 0, "%s `%s`: %s", what, path,
			la.archive_error_string(a) ? la.archive_error_string(a) : "libarchive error");
}

/* Entry names relative to the layer root, "" for the root itself. */
static const char *relative_name(const struct import *im, const char *name)
{
	if (im->from_dir)
		name += strlen(name) >= im->src_prefix ? im->src_prefix : strlen(name);
	while (*name == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	if (strcmp(name, ".") == 0)
		return "";
	return name;
}

static int open_source(struct import *im, st_error_t *err)
{
	struct stat st;
	if (stat(im->src_path, &st) < 0)
		return st_error(err, errno, "rootfs `%s`", im->src_path);
	im->from_dir = S_ISDIR(st.st_mode);
	if (im->from_dir) {
		im->src = la.archive_read_disk_new();
		la.archive_read_disk_set_standard_lookup(im->src);
		/* Physical walk: a symlink in the rootfs is stored as a symlink. */
		la.archive_read_disk_set_symlink_physical(im->src);
		la.archive_read_disk_set_behavior(im->src, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
		if (la.archive_read_disk_open(im->src, im->src_path) != ARCHIVE_OK)
			return archive_fail(err, im->src, "open rootfs directory", im->src_path);
		im->src_prefix = strlen(im->src_path);
		return 0;
	}
	im->src = la.archive_read_new();
	la.archive_read_support_filter_all(im->src);
	la.archive_read_support_format_tar(im->src);
	la.archive_read_support_format_gnutar(im->src);
	if (la.archive_read_open_filename(im->src, im->src_path, 1 << 16) != ARCHIVE_OK)
		return archive_fail(err, im->src, "open rootfs archive", im->src_path);
	return 0;
}

static int open_writers(struct import *im, st_error_t *err)
{
	im->disk = la.archive_write_disk_new();
	la.archive_write_disk_set_standard_lookup(im->disk);
	/* The SECURE flags refuse "..", absolute names and writes through
	 * symlinks: a hostile tarball cannot escape the layer directory. */
	la.archive_write_disk_set_options(im->disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
							 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
							 ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
							 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
							 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (st_sha256_begin(&im->md, err) < 0)
		return -1;
	im->hash_tar = la.archive_write_new();
	la.archive_write_set_format_pax_restricted(im->hash_tar);
	la.archive_write_set_bytes_in_last_block(im->hash_tar, 1);
	if (la.archive_write_open2(im->hash_tar, im, NULL, hash_write, NULL, NULL) != ARCHIVE_OK)
		return archive_fail(err, im->hash_tar, "hash", im->src_path);
	return 0;
}

static int copy_data(struct import *im, st_error_t *err)
{
	char buf[1 << 16];
	for (;;) {
		la_ssize_t n = la.archive_read_data(im->src, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return archive_fail(err, im->src, "read", im->src_path);
		if (la.archive_write_data(im->disk, buf, (size_t)n) < 0)
			return archive_fail(err, im->disk, "extract", im->src_path);
		if (la.archive_write_data(im->hash_tar, buf, (size_t)n) < 0)
			return archive_fail(err, im->hash_tar, "hash", im->src_path);
	}
}

static int copy_entries(struct import *im, st_error_t *err)
{
	struct archive_entry *e = la.archive_entry_new();
	int r = 0;
	for (;;) {
		int h = la.archive_read_next_header2(im->src, e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			r = archive_fail(err, im->src, "read", im->src_path);
			break;
		}
		if (im->from_dir)
			la.archive_read_disk_descend(im->src);
		_cleanup_free_ char *name = xstrdup(relative_name(im, la.archive_entry_pathname(e)));
		if (!*name)
			continue; /* the root itself: its mode is set on the layer dir */
		la.archive_entry_set_pathname(e, name);
		const char *link = la.archive_entry_hardlink(e);
		if (link) {
			_cleanup_free_ char *rel = xstrdup(relative_name(im, link));
			la.archive_entry_set_hardlink(e, rel);
		}
		if (la.archive_write_header(im->hash_tar, e) < ARCHIVE_WARN) {
			r = archive_fail(err, im->hash_tar, "hash", name);
			break;
		}
		if (la.archive_write_header(im->disk, e) < ARCHIVE_WARN) {
			r = archive_fail(err, im->disk, "extract", name);
			break;
		}
		if (la.archive_entry_size(e) > 0 && copy_data(im, err) < 0) {
			r = -1;
			break;
		}
		if (la.archive_write_finish_entry(im->disk) < ARCHIVE_WARN) {
			r = archive_fail(err, im->disk, "extract", name);
			break;
		}
	}
	la.archive_entry_free(e);
	return r;
}

static char *finish_digest(struct import *im)
{
	char *hex = xmalloc(ST_SHA256_HEX_LEN + 1);
	la.archive_write_close(im->hash_tar);
	st_sha256_end_hex(&im->md, hex);
	return hex;
}

static void import_close(struct import *im)
{
	if (im->src)
		la.archive_read_free(im->src);
	if (im->disk)
		la.archive_write_free(im->disk);
	if (im->hash_tar)
		la.archive_write_free(im->hash_tar);
	st_sha256_abort(&im->md);
}

/* tmp/import-PID-XXXXXX: what an import killed mid-way left.  An entry
 * whose process is gone is removed; a live one is another import at work. */
static void sweep_dead_imports(const struct img_store *s)
{
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->root);
	DIR *d = opendir(tmpdir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid;
		if (sscanf(e->d_name, "import-%d-", &pid) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", tmpdir, e->d_name);
		fs_remove_tree(path, NULL);
	}
	closedir(d);
}

int img_import_rootfs(const struct img_store *s, const char *path, char **digest, st_error_t *err)
{
	_cleanup_free_ char *src = realpath(path, NULL);
	struct import im = {.src_path = src}; /* opened and closed between the chdirs */
	_cleanup_free_ char *tmp = xasprintf("%s/tmp/import-%d-XXXXXX", s->root, (int)getpid());
	_cleanup_free_ char *hex = NULL, *dst = NULL;
	_cleanup_close_ int cwd = -1;
	bool made_tmp = false;
	int r = -1;

	if (!src) {
		st_error(err, errno, "rootfs `%s`", path);
		goto out;
	}
	if (img_archive_load(err) < 0)
		goto out;
	sweep_dead_imports(s);
	if (!mkdtemp(tmp)) {
		st_error(err, errno, "mkdtemp `%s`", tmp);
		goto out;
	}
	made_tmp = true;
	/* A layer root must be traversable by every user of the container. */
	if (chmod(tmp, 0755) < 0) {
		st_error(err, errno, "chmod `%s`", tmp);
		goto out;
	}
	/* libarchive's disk writer extracts relative to the working directory,
	 * and its disk reader returns to the directory it was opened from:
	 * enter the temp dir before opening either. */
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(tmp) < 0) {
		st_error(err, errno, "chdir `%s`", tmp);
		goto out;
	}
	r = open_source(&im, err) < 0 || open_writers(&im, err) < 0 ? -1 : copy_entries(&im, err);
	if (r == 0)
		hex = finish_digest(&im);
	/* Before going back: freeing the disk reader changes directory too. */
	import_close(&im);
	if (fchdir(cwd) < 0 && r == 0)
		r = st_error(err, errno, "fchdir back to the working directory");
	if (r < 0)
		goto out;
	r = -1;
	dst = img_layer_path(s, hex);
	if (rename(tmp, dst) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			st_error(err, errno, "rename `%s` to `%s`", tmp, dst);
			goto out;
		}
		/* Same content imported before (or concurrently): keep that one. */
	} else {
		made_tmp = false;
	}
	*digest = xasprintf("sha256:%s", hex);
	r = 0;
out:
	if (made_tmp)
		fs_remove_tree(tmp, NULL);
	if (r < 0)
		st_error_prefix(err, "import rootfs `%s`", path);
	return r;
}
