/* Opening the store: its directories, its format version, its locks. */
#include "image/store_int.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Take an flock, waiting; a stop signal ends the wait (the handlers are
 * installed without SA_RESTART, so flock returns EINTR). */
int img_flock(int fd, int how, const char *path, st_error_t *err)
{
	while (flock(fd, how) < 0) {
		if (errno != EINTR)
			return st_error(err, errno, "lock `%s`", path);
		if (st_interrupted()) {
			char sig[32];
			return st_error(err, EINTR, "stopped by %s while waiting for `%s`",
					st_signal_name(st_interrupted(), sig, sizeof(sig)), path);
		}
	}
	return 0;
}

int img_store_lock(const struct img_store *s, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/locks/refs", s->root);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", path);
	if (img_flock(fd, LOCK_EX, path, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int img_store_lock_make(const struct img_store *s, const char *name, FILE *progress, bool *waited,
			st_error_t *err)
{
	if (waited)
		*waited = false;
	/* Hashed: a ref has `/` and `:` in it, and any length. */
	struct st_sha256 h;
	char hex[ST_SHA256_HEX_LEN + 1];
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	st_sha256_update(&h, name, strlen(name));
	st_sha256_end_hex(&h, hex);
	_cleanup_free_ char *path = xasprintf("%s/locks/make-%.32s", s->root, hex);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK && waited)
		*waited = true;
	if (errno == EWOULDBLOCK && progress) {
		fprintf(progress, "%s: waiting for another stack process that is making it\n", name);
		fflush(progress);
	}
	if (img_flock(fd, LOCK_EX, path, err) < 0) {
		close(fd);
		return st_error_prefix(err, "store entry `%s`", name);
	}
	return fd;
}

/* The format of the store at `root`: 1 for a store of images/ records
 * (before store-version existed), 0 for a new one. */
static int read_version(const char *root, int *version, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/store-version", root);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (fs_read_file(path, 64, &text, &len, &e) < 0) {
		if (e->status != ENOENT) {
			int status = e->status;
			st_error_free(&e);
			return st_error(err, status, "read `%s`", path);
		}
		st_error_free(&e);
		_cleanup_free_ char *images = xasprintf("%s/images", root);
		*version = access(images, F_OK) == 0 ? 1 : 0;
		return 0;
	}
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (end == text || v < 1 || (*end && *end != '\n'))
		return st_error(err, 0, "`%s` does not hold a store format number (it has `%.20s`): the store is "
				"damaged; move STACK_ROOT aside and let stack make a new one", path, text);
	if (v > IMG_STORE_VERSION)
		return st_error(err, 0, "the image store `%s` has format %ld, newer than this stack's %d: use the "
				"stack that made it, or point STACK_ROOT elsewhere", root, v, IMG_STORE_VERSION);
	*version = (int)v;
	return 0;
}

static int write_version(const char *root, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/store-version", root);
	char text[16];
	int n = snprintf(text, sizeof(text), "%d\n", IMG_STORE_VERSION);
	return fs_write_file_atomic(path, text, (size_t)n, 0600, err);
}

/* A version-1 record: {"name", "source", "layers", "config": {Env ...}}. */
static int migrate_record(const struct img_store *s, const char *path, st_error_t *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	json_t *name = json_object_get(root, "name");
	json_t *layers = json_object_get(root, "layers");
	if (!json_is_string(name) || !json_is_array(layers) || json_array_size(layers) == 0) {
		/* Only imports wrote version 1: the next run imports it again. */
		json_decref(root);
		return 0;
	}
	json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:O}, s:O}", "architecture", "amd64", "os", "linux", "rootfs",
				"type", "layers", "diff_ids", layers, "config",
				json_object_get(root, "config") ? json_object_get(root, "config") : json_object());
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	struct img_image img = {0};
	int r = img_config_parse(text, strlen(text), &img, err);
	free(text);
	if (r == 0) {
		img.name = xstrdup(json_string_value(name));
		json_t *src = json_object_get(root, "source");
		img.source = json_is_string(src) ? xstrdup(json_string_value(src)) : NULL;
		r = img_image_write(s, &img, NULL, err);
	}
	if (r < 0)
		st_error_free(err); /* a record we cannot convert is imported again */
	img_image_free(&img);
	json_decref(root);
	return 0;
}

/* Under locks/refs: convert images/ to blobs and refs, then say so in
 * store-version, then remove images/.  A crash before the version is
 * written converts again (writes are idempotent); after, images/ is
 * just removed. */
static int migrate_v1(const struct img_store *s, st_error_t *err)
{
	_cleanup_free_ char *images = xasprintf("%s/images", s->root);
	DIR *d = opendir(images);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t n = strlen(e->d_name);
			if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
				continue;
			_cleanup_free_ char *path = xasprintf("%s/%s", images, e->d_name);
			migrate_record(s, path, err);
		}
		closedir(d);
	}
	if (write_version(s->root, err) < 0)
		return -1;
	return fs_remove_tree(images, err);
}

static int check_version(struct img_store *s, st_error_t *err)
{
	int v = 0;
	if (read_version(s->root, &v, err) < 0)
		return -1;
	if (v == IMG_STORE_VERSION)
		return 0;
	_cleanup_close_ int lock = img_store_lock(s, err);
	if (lock < 0)
		return -1;
	if (read_version(s->root, &v, err) < 0) /* another process may have done it meanwhile */
		return -1;
	if (v == IMG_STORE_VERSION)
		return 0;
	if (v == 0)
		return write_version(s->root, err);
	s->locked = true; /* img_image_write's refs update: we hold locks/refs */
	int r = migrate_v1(s, err);
	s->locked = false;
	return r;
}

int img_store_open(const char *root, struct img_store *out, st_error_t *err)
{
	static const char *const dirs[] = {"layers", "blobs/sha256", "tmp", "locks"};
	memset(out, 0, sizeof(*out));
	out->gc_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", root, dirs[i]);
		if (fs_mkdir_p(d, 0700, err) < 0)
			return st_error_prefix(err, "image store");
	}
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", root);
	fs_sweep_tmp(blobs);
	fs_sweep_tmp(root); /* refs.json's */
	out->root = xstrdup(root);
	_cleanup_free_ char *gc = xasprintf("%s/locks/gc", root);
	out->gc_fd = open(gc, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out->gc_fd < 0 || img_flock(out->gc_fd, LOCK_SH, gc, err) < 0) {
		if (out->gc_fd < 0)
			st_error(err, errno, "open `%s`", gc);
		img_store_close(out);
		return st_error_prefix(err, "image store");
	}
	if (check_version(out, err) < 0) {
		img_store_close(out);
		return st_error_prefix(err, "image store `%s`", root);
	}
	return 0;
}

void img_store_close(struct img_store *s)
{
	free(s->root);
	s->root = NULL;
	if (s->gc_fd >= 0)
		close(s->gc_fd);
	s->gc_fd = -1;
}

void img_store_pin(struct img_store *s)
{
	static int pinned = -1;
	if (pinned < 0 && s->gc_fd >= 0)
		pinned = fcntl(s->gc_fd, F_DUPFD_CLOEXEC, 3);
}

char *img_layer_path(const struct img_store *s, const char *digest)
{
	const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
	return xasprintf("%s/layers/%s", s->root, hex);
}

/* FNV-1a: a change detector for stamps, not an identity (the key's DEV and
 * INODE are that), so a fast non-cryptographic hash is enough and keeps
 * libcrypto off the start path. */
static void fnv_mix(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ULL;
	}
}

static void stamp_stat(uint64_t *h, const struct stat *st)
{
	int64_t v[] = {(int64_t)st->st_ino,	    (int64_t)st->st_size,	  (int64_t)st->st_mode,
		       (int64_t)st->st_mtim.tv_sec, (int64_t)st->st_mtim.tv_nsec, (int64_t)st->st_ctim.tv_sec,
		       (int64_t)st->st_ctim.tv_nsec};
	fnv_mix(h, v, sizeof(v));
}

/* The stamps of a directory's entries (names and lstat), in readdir order:
 * a reorder without a change is taken as a change (a harmless re-import). */
static int stamp_entries(uint64_t *h, int dfd, int depth)
{
	DIR *d = fs_opendir_fd(dfd);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile: the parent's stamp changed too */
		fnv_mix(h, e->d_name, strlen(e->d_name) + 1);
		stamp_stat(h, &st);
		if (depth > 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				stamp_entries(h, sub, depth - 1);
				close(sub);
			}
		}
	}
	closedir(d);
	return 0;
}

char *img_rootfs_key(const char *path, st_error_t *err)
{
	return img_source_key("rootfs", path, err);
}

char *img_source_key(const char *kind, const char *path, st_error_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		st_error(err, errno, "rootfs `%s`", path);
		return NULL;
	}
	uint64_t h = 0xcbf29ce484222325ULL;
	stamp_stat(&h, &st);
	/* Depth 0: the top's entries only, about twenty lstat() calls for a
	 * distribution's rootfs; a full walk would cost milliseconds a start. */
	if (S_ISDIR(st.st_mode) && stamp_entries(&h, fd, 0) < 0) {
		st_error(err, errno, "rootfs `%s`", path);
		return NULL;
	}
	return xasprintf("%s@%" PRIx64 "-%" PRIx64 "-%016" PRIx64, kind, (uint64_t)st.st_dev, (uint64_t)st.st_ino, h);
}

