/* `stack image save`: an image as an OCI image archive (a tar of an OCI
 * image layout), which skopeo (`oci-archive:`), umoci and `podman load`
 * read.
 *
 * Reproducible: the config is the stored blob itself (its digest is the
 * image id), each layer is its canonical export (img_layer_export, whose
 * digest is the layer's diff id), gzip is zlib's with no name and mtime 0,
 * and the outer tar lists its entries in one order with fixed owners,
 * modes and times.  The same image saves to the same bytes.
 *
 * Layers are exported into a locked temp dir of the store first (the tar
 * header of a blob needs its size, the manifest every digest); the archive
 * is written next to FILE and renamed over it, so an interrupted save
 * leaves FILE as it was. */
#include "image/archive_dl.h"
#include "image/import_int.h"
#include "image/store.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"

struct blob {
	char digest[IMG_DIGEST_LEN];
	char *path; /* a temp file, or NULL: data */
	char *data;
	size_t size;
};

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* gzip `in` into `out`, hashing what is written. */
static int gzip_file(int in, int out, char digest[IMG_DIGEST_LEN], size_t *size, st_error_t *err)
{
	z_stream z = {0};
	struct st_sha256 md = {0};
	if (st_sha256_begin(&md, err) < 0)
		return -1;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		st_sha256_abort(&md);
		return st_error(err, ENOMEM, "zlib deflateInit2");
	}
	static unsigned char ibuf[1 << 16], obuf[1 << 16];
	int r = 0, flush = Z_NO_FLUSH;
	*size = 0;
	while (r == 0 && flush != Z_FINISH) {
		ssize_t n = read(in, ibuf, sizeof(ibuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = st_error(err, errno, "read a layer's export");
			break;
		}
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = ibuf;
		z.avail_in = (unsigned)n;
		do {
			z.next_out = obuf;
			z.avail_out = sizeof(obuf);
			deflate(&z, flush);
			size_t have = sizeof(obuf) - z.avail_out;
			st_sha256_update(&md, obuf, have);
			if (write_all(out, obuf, have) < 0) {
				r = st_error(err, errno, "write a compressed layer");
				break;
			}
			*size += have;
		} while (z.avail_out == 0);
	}
	deflateEnd(&z);
	if (r < 0) {
		st_sha256_abort(&md);
		return -1;
	}
	char hex[ST_SHA256_HEX_LEN + 1];
	st_sha256_end_hex(&md, hex);
	snprintf(digest, IMG_DIGEST_LEN, "sha256:%s", hex);
	return 0;
}

/* Export layer `id` into dir/layer-I (and gzip it when asked): *b. */
static int export_layer(const struct img_store *s, const char *dir, size_t i, const char *id, bool gz, struct blob *b,
			st_error_t *err)
{
	_cleanup_free_ char *tar = xasprintf("%s/layer-%zu.tar", dir, i);
	_cleanup_close_ int fd = open(tar, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return st_error(err, errno, "create `%s`", tar);
	if (img_layer_export(s, id, fd, b->digest, err) < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return st_error(err, errno, "stat `%s`", tar);
	if (!gz) {
		b->path = steal_pointer(&tar);
		b->size = (size_t)st.st_size;
		return 0;
	}
	char *gzp = xasprintf("%s/layer-%zu.tar.gz", dir, i);
	_cleanup_close_ int out = open(gzp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		free(gzp);
		return st_error(err, errno, "create `%s/layer-%zu.tar.gz`", dir, i);
	}
	b->path = gzp;
	if (gzip_file(fd, out, b->digest, &b->size, err) < 0)
		return -1;
	unlink(tar);
	return 0;
}

static la_ssize_t out_write(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	int *fd = data;
	return write_all(*fd, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

static int tar_fail(struct archive *a, const char *path, st_error_t *err)
{
	int e = la.archive_errno(a);
	return st_error(err, e > 0 ? e : 0, "write `%s`: %s", path,
			la.archive_error_string(a) ? la.archive_error_string(a) : "libarchive error");
}

static int tar_entry(struct archive *a, struct archive_entry *e, const char *name, bool dir, size_t size,
		     const char *out, st_error_t *err)
{
	la.archive_entry_clear(e);
	la.archive_entry_set_pathname(e, name);
	la.archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	la.archive_entry_set_perm(e, dir ? 0755 : 0644);
	la.archive_entry_set_uid(e, 0);
	la.archive_entry_set_gid(e, 0);
	la.archive_entry_set_mtime(e, 0, 0);
	la.archive_entry_set_size(e, dir ? 0 : (la_int64_t)size);
	if (la.archive_write_header(a, e) < ARCHIVE_WARN)
		return tar_fail(a, out, err);
	return 0;
}

static int tar_data(struct archive *a, const struct blob *b, const char *out, st_error_t *err)
{
	if (!b->path)
		return la.archive_write_data(a, b->data, b->size) < 0 ? tar_fail(a, out, err) : 0;
	_cleanup_close_ int fd = open(b->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", b->path);
	char buf[1 << 16];
	for (;;) {
		if (st_interrupted())
			return st_error(err, EINTR, "write `%s`: stopped by a signal", out);
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return st_error(err, errno, "read `%s`", b->path);
		if (n == 0)
			return 0;
		if (la.archive_write_data(a, buf, (size_t)n) < 0)
			return tar_fail(a, out, err);
	}
}

static int cmp_blob(const void *x, const void *y)
{
	return strcmp(((const struct blob *)x)->digest, ((const struct blob *)y)->digest);
}

/* The layout as a tar into fd: blobs sorted by digest, then index.json, oci-layout. */
static int write_layout(int fd, const char *out, struct blob *blobs, size_t n, const char *index, st_error_t *err)
{
	struct archive *a = la.archive_write_new();
	struct archive_entry *e = la.archive_entry_new();
	int r = -1;
	la.archive_write_set_format_pax_restricted(a);
	la.archive_write_set_bytes_in_last_block(a, 1);
	if (la.archive_write_open2(a, &fd, NULL, out_write, NULL, NULL) != ARCHIVE_OK) {
		tar_fail(a, out, err);
		goto done;
	}
	qsort(blobs, n, sizeof(*blobs), cmp_blob);
	if (tar_entry(a, e, "blobs/", true, 0, out, err) < 0 || tar_entry(a, e, "blobs/sha256/", true, 0, out, err) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(blobs[i].digest, blobs[i - 1].digest) == 0)
			continue; /* a layer an image has twice */
		_cleanup_free_ char *name = xasprintf("blobs/sha256/%s", blobs[i].digest + 7);
		if (tar_entry(a, e, name, false, blobs[i].size, out, err) < 0 || tar_data(a, &blobs[i], out, err) < 0)
			goto done;
	}
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct blob ib = {.data = (char *)index, .size = strlen(index)};
	struct blob lb = {.data = (char *)layout, .size = strlen(layout)};
	if (tar_entry(a, e, "index.json", false, ib.size, out, err) < 0 || tar_data(a, &ib, out, err) < 0 ||
	    tar_entry(a, e, "oci-layout", false, lb.size, out, err) < 0 || tar_data(a, &lb, out, err) < 0)
		goto done;
	if (la.archive_write_close(a) != ARCHIVE_OK) {
		tar_fail(a, out, err);
		goto done;
	}
	r = 0;
done:
	la.archive_entry_free(e);
	la.archive_write_free(a);
	return r;
}

static char *dump(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		abort();
	return text;
}

static void blob_of_text(struct blob *b, char *text, st_error_t *err)
{
	b->data = text;
	b->size = strlen(text);
	img_digest_of(text, b->size, b->digest, err);
}

/* The tag part of a normalized name ("latest" of "espresso:latest"). */
static const char *tag_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	return colon && !strchr(name, '@') ? colon + 1 : "latest";
}

/* FILE is renamed over, so only a regular file (or none) may be there:
 * a symlink would be replaced rather than written through (as root,
 * `-o /dev/stdout` would replace /dev's link), a FIFO or a device would
 * never see the archive. */
static int check_target(const char *out, st_error_t *err)
{
	struct stat st;
	if (lstat(out, &st) < 0)
		return errno == ENOENT ? 0 : st_error(err, errno, "`%s`", out);
	if (S_ISREG(st.st_mode))
		return 0;
	const char *what = S_ISLNK(st.st_mode)	? "a symlink"
			   : S_ISDIR(st.st_mode) ? "a directory"
			   : S_ISFIFO(st.st_mode) ? "a FIFO"
						  : "not a regular file";
	return st_error(err, 0, "`%s` is %s: save writes a new file and renames it into place; give -o the path "
			"of a regular file, or of none yet", out, what);
}

int img_image_save(const struct img_store *s, const char *name, const char *out, bool gz, st_error_t *err)
{
	_cleanup_free_ char *id = NULL, *norm = img_ref_normalize(name);
	_cleanup_free_ char *tmp = xasprintf("%s/tmp/import-save-XXXXXX", s->root);
	_cleanup_free_ char *part = NULL, *index = NULL, *cfg = NULL;
	size_t cfg_len = 0;
	_cleanup_close_ int lock = -1, fd = -1;
	struct img_image img = {0};
	size_t nb = 0;
	struct blob *blobs = NULL;
	bool made_tmp = false;
	int r = -1;
	if (check_target(out, err) < 0)
		goto out;
	int found = img_ref_resolve(s, name, &id, err);
	if (found <= 0) {
		if (found == 0)
			st_error(err, ENOENT, "no image `%s` in the store (`stack images` lists them)", name);
		goto out;
	}
	if (img_archive_load(err) < 0)
		goto out;
	/* the config: the stored blob, byte for byte */
	if (img_blob_read(s, id, 0, &cfg, &cfg_len, err) < 0 || img_config_parse(cfg, cfg_len, &img, err) < 0)
		goto out;
	blobs = xcalloc(img.layers.n + 2, sizeof(*blobs));
	blobs[0].data = steal_pointer(&cfg);
	blobs[0].size = cfg_len;
	snprintf(blobs[0].digest, sizeof(blobs[0].digest), "%s", id);
	nb = 1;
	if (img_import_tmpdir(s, tmp, &lock, err) < 0)
		goto out;
	made_tmp = true;
	json_t *layers = json_array();
	for (size_t i = 0; i < img.layers.n; i++) {
		if (export_layer(s, tmp, i, img.layers.v[i], gz, &blobs[nb], err) < 0) {
			nb++;
			json_decref(layers);
			goto out;
		}
		json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", gz ? MT_LAYER_GZ : MT_LAYER,
							"digest", blobs[nb].digest, "size", (json_int_t)blobs[nb].size));
		nb++;
	}
	char *manifest = dump(json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
					MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", id, "size",
					(json_int_t)blobs[0].size, "layers", layers));
	blob_of_text(&blobs[nb], manifest, err);
	if (*err)
		goto out;
	json_t *annotations = json_pack("{s:s, s:s}", "org.opencontainers.image.ref.name", tag_of(norm),
					"io.containerd.image.name", norm);
	index = dump(json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:o}]}", "schemaVersion", 2,
						    "mediaType", MT_INDEX, "manifests", "mediaType", MT_MANIFEST,
						    "digest", blobs[nb].digest, "size", (json_int_t)blobs[nb].size,
						    "annotations", annotations));
	nb++;
	/* Next to FILE, renamed over it at the end. */
	part = xasprintf("%s.part-XXXXXX", out);
	fd = mkostemp(part, O_CLOEXEC);
	if (fd < 0) {
		st_error(err, errno, "create `%s`", part);
		free(part);
		part = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || write_layout(fd, out, blobs, nb, index, err) < 0)
		goto out;
	if (fsync(fd) < 0 || rename(part, out) < 0) {
		st_error(err, errno, "write `%s`", out);
		goto out;
	}
	free(part);
	part = NULL;
	r = 0;
out:
	if (part)
		unlink(part);
	for (size_t i = 0; blobs && i < nb; i++) {
		if (blobs[i].path)
			unlink(blobs[i].path);
		free(blobs[i].path);
		free(blobs[i].data);
	}
	free(blobs);
	if (made_tmp)
		fs_remove_tree(tmp, NULL);
	img_image_free(&img);
	if (r < 0)
		st_error_prefix(err, "save `%s`", name);
	return r;
}
