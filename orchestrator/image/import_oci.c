/* Import an `oci:` base: an OCI image layout, an OCI archive or a
 * `docker save` archive (oci_source.c reads all three).
 *
 *   index.json -> (image indexes, docker manifest lists) -> the manifest
 *   for linux/amd64 (or the one without a platform) -> its config and
 *   layers; a docker save without index.json: manifest.json's one image.
 *
 * Everything read is checked before it is used: every blob against its
 * descriptor's digest and size, each layer's uncompressed stream against
 * its config's diff id, and that stream against the bomb limit
 * (img_unpack_limit), in one pass (verify_layer) over the bytes that the
 * import then extracts: a layout's layer is copied into our temp dir on
 * that pass, so what is extracted is what was verified, whatever happens
 * to the source meanwhile.  The extraction itself is img_import_layer's:
 * no absolute names, no `..`, no writes through symlinks, no device nodes
 * other than whiteouts.
 *
 * A layer is stored under its canonical diff id (layer_export.c), which
 * differs from the source's whenever the source's tar is not canonical;
 * the stored config names the stored layers, so its id is not the
 * source's either.  Env, Cmd and every other field are kept. */
#include "image/archive_dl.h"
#include "image/import_int.h"
#include "image/layer_unpack.h"
#include "image/oci_source.h"
#include "image/store.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX (4u << 20) /* an index, manifest or config */
#define INDEX_DEPTH 4

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct desc {
	const char *media_type; /* or NULL; points into the JSON */
	char digest[IMG_DIGEST_LEN];
	int64_t size;
};

static int parse_desc(const char *path, json_t *j, const char *what, struct desc *d, st_error_t *err)
{
	json_t *mt = json_object_get(j, "mediaType"), *dg = json_object_get(j, "digest"),
	       *sz = json_object_get(j, "size");
	if (!json_is_object(j) || !json_is_string(dg) || !json_is_integer(sz) || json_integer_value(sz) < 0 ||
	    (mt && !json_is_string(mt)))
		return st_error(err, 0, "`%s`: %s is not a descriptor (mediaType, digest, size)", path, what);
	const char *digest = json_string_value(dg);
	if (strncmp(digest, "sha256:", 7) != 0)
		return st_error(err, 0, "`%s`: %s has digest `%.80s`: only sha256 digests are supported", path,
				what, digest);
	if (!img_digest_valid(digest))
		return st_error(err, 0, "`%s`: %s has digest `%.80s`, not \"sha256:\" and 64 lowercase hex digits",
				path, what, digest);
	d->media_type = mt ? json_string_value(mt) : NULL;
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	d->size = json_integer_value(sz);
	return 0;
}

static char *blob_name(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest + 7);
}

/* A small blob, checked against its descriptor. */
static int read_blob(const struct oci_source *src, const struct desc *d, char **data, size_t *len, st_error_t *err)
{
	if (d->size > (int64_t)JSON_MAX)
		return st_error(err, 0, "`%s`: blob %s is %lld bytes; an index, manifest or config is at most %u",
				src->path, d->digest, (long long)d->size, JSON_MAX);
	_cleanup_free_ char *name = blob_name(d->digest);
	if (oci_source_read(src, name, JSON_MAX, data, len, err) < 0)
		return -1;
	char got[IMG_DIGEST_LEN];
	if (img_digest_of(*data, *len, got, err) < 0)
		return -1;
	if (strcmp(got, d->digest) != 0 || (int64_t)*len != d->size) {
		free(*data);
		*data = NULL;
		return st_error(err, 0, "`%s`: blob %s has %zu bytes of digest %s, not the %lld its descriptor says: "
				"the image is damaged or was tampered with", src->path, d->digest, *len, got,
				(long long)d->size);
	}
	return 0;
}

static json_t *parse_json(const struct oci_source *src, const char *what, const char *data, size_t len,
			  st_error_t *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		st_error(err, 0, "`%s`: %s: line %d: %s", src->path, what, jerr.line, jerr.text);
	return j;
}

/* The platform of a descriptor: 1 linux/amd64 or none given, 0 another. */
static int platform_ok(json_t *d)
{
	json_t *p = json_object_get(d, "platform");
	if (!p)
		return 1;
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	return os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0;
}

/* The manifest to import, found in an index: 1 and *out, 0 none. */
static int pick_manifest(const struct oci_source *src, json_t *index, int depth, json_t **out, st_error_t *err)
{
	json_t *list = json_object_get(index, "manifests");
	if (!json_is_array(list))
		return st_error(err, 0, "`%s`: an image index without a `manifests` array", src->path);
	size_t i;
	json_t *m;
	json_array_foreach (list, i, m) {
		struct desc d;
		if (parse_desc(src->path, m, "a manifest of the index", &d, err) < 0)
			return -1;
		if (!platform_ok(m))
			continue;
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		if (read_blob(src, &d, &data, &len, err) < 0)
			return -1;
		json_t *j = parse_json(src, d.digest, data, len, err);
		if (!j)
			return -1;
		const char *mt = d.media_type ? d.media_type : json_string_value(json_object_get(j, "mediaType"));
		bool is_index = (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) ||
				(!mt && json_object_get(j, "manifests"));
		if (is_index) {
			if (depth >= INDEX_DEPTH) {
				json_decref(j);
				return st_error(err, 0, "`%s`: image indexes nested more than %d deep", src->path,
						INDEX_DEPTH);
			}
			int r = pick_manifest(src, j, depth + 1, out, err);
			json_decref(j);
			if (r != 0)
				return r;
			continue;
		}
		if (mt && strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0) {
			json_decref(j);
			continue; /* an artifact (a signature, an SBOM): not an image */
		}
		*out = j;
		return 1;
	}
	return 0;
}

static bool layer_type_ok(const char *mt)
{
	if (!mt)
		return true;
	if (strstr(mt, "encrypted"))
		return false;
	return strncmp(mt, "application/vnd.oci.image.layer.", 32) == 0 ||
	       strncmp(mt, "application/vnd.docker.image.rootfs.", 36) == 0;
}

/* ---- verifying a layer: one pass over its bytes ---- */

struct vpass {
	int fd, copy_fd;
	struct st_sha256 md;
	uint64_t packed;
	int read_errno;
	char buf[1 << 16];
};

static la_ssize_t vread(struct archive *a, void *data, const void **out)
{
	(void)a;
	struct vpass *v = data;
	for (;;) {
		if (st_interrupted()) {
			v->read_errno = EINTR;
			return -1;
		}
		ssize_t n = read(v->fd, v->buf, sizeof(v->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			v->read_errno = errno;
			return -1;
		}
		st_sha256_update(&v->md, v->buf, (size_t)n);
		for (ssize_t off = 0; v->copy_fd >= 0 && off < n;) {
			ssize_t w = write(v->copy_fd, v->buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				v->read_errno = errno;
				return -1;
			}
			off += w;
		}
		v->packed += (uint64_t)n;
		*out = v->buf;
		return n;
	}
}

/* Hash the layer `fd` as stored (against want->digest and size, when a
 * descriptor says them) and uncompressed (against diff_id), within the
 * bomb limit; copy its bytes to copy_fd (-1: none). */
static int verify_layer(const struct oci_source *src, const char *name, int fd, int copy_fd, const struct desc *want,
			const char *diff_id, st_error_t *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return st_error(err, errno, "`%s`: stat `%s`", src->path, name);
	struct vpass *v = xzalloc(sizeof(*v));
	v->fd = fd;
	v->copy_fd = copy_fd;
	_cleanup_free_ char *what = xasprintf("`%s`: layer `%s`", src->path, name);
	struct img_layer_in in = {.what = what, .size = st.st_size, .read = vread, .ctx = v,
				  .read_errno = &v->read_errno};
	char plain[ST_SHA256_HEX_LEN + 1];
	int r = -1;
	if (st_sha256_begin(&v->md, err) < 0 || img_layer_unpacked_hex(&in, plain, err) < 0)
		goto out;
	/* What the decompressor did not need (trailing bytes) is still part of the blob. */
	const void *rest;
	la_ssize_t n;
	while ((n = vread(NULL, v, &rest)) > 0)
		;
	if (n < 0) {
		st_error(err, v->read_errno, "`%s`: read layer `%s`", src->path, name);
		goto out;
	}
	char hex[ST_SHA256_HEX_LEN + 1], got[IMG_DIGEST_LEN], got_plain[IMG_DIGEST_LEN];
	st_sha256_end_hex(&v->md, hex);
	snprintf(got, sizeof(got), "sha256:%s", hex);
	snprintf(got_plain, sizeof(got_plain), "sha256:%s", plain);
	if (want && (strcmp(got, want->digest) != 0 || (int64_t)v->packed != want->size)) {
		st_error(err, 0, "`%s`: layer blob %s has %llu bytes of digest %s, not the %lld its manifest says: the "
			 "image is damaged or was tampered with", src->path, want->digest,
			 (unsigned long long)v->packed, got, (long long)want->size);
		goto out;
	}
	if (strcmp(got_plain, diff_id) != 0) {
		st_error(err, 0, "`%s`: layer `%s` uncompressed has digest %s, not the diff id %s its config says: the "
			 "image is damaged or was tampered with", src->path, name, got_plain, diff_id);
		goto out;
	}
	r = 0;
out:
	st_sha256_abort(&v->md);
	free(v);
	return r;
}

/* Verify the layer `name` and store it: *layer_id gets its id. */
static int import_one(const struct img_store *s, const struct oci_source *src, const char *name, size_t i,
		      const struct desc *want, const char *diff_id, char **layer_id, st_error_t *err)
{
	_cleanup_close_ int fd = oci_source_openat(src, name, err);
	if (fd < 0)
		return -1;
	_cleanup_free_ char *path = oci_source_private_path(src, name);
	_cleanup_close_ int copy_fd = -1;
	bool copied = !path;
	if (copied) {
		path = xasprintf("%s/layer-%zu", src->tmp, i);
		copy_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (copy_fd < 0)
			return st_error(err, errno, "create `%s`", path);
	}
	if (verify_layer(src, name, fd, copy_fd, want, diff_id, err) < 0)
		return -1;
	if (copy_fd >= 0 && close(steal_fd(&copy_fd)) < 0)
		return st_error(err, errno, "write `%s`", path);
	int r = img_import_layer(s, path, layer_id, err);
	if (copied)
		unlink(path);
	if (r < 0)
		st_error_prefix(err, "`%s`: layer %zu (`%s`)", src->path, i, name);
	return r;
}

/* The image of `manifest` (an OCI or docker v2 manifest). */
static int import_manifest(const struct img_store *s, const struct oci_source *src, json_t *manifest,
			   struct img_image *out, st_error_t *err)
{
	struct desc cfg;
	json_t *layers = json_object_get(manifest, "layers");
	if (parse_desc(src->path, json_object_get(manifest, "config"), "the manifest's config", &cfg, err) < 0)
		return -1;
	if (!json_is_array(layers))
		return st_error(err, 0, "`%s`: the manifest has no `layers` array", src->path);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_blob(src, &cfg, &text, &len, err) < 0 || img_config_parse(text, len, out, err) < 0)
		return st_error_prefix(err, "`%s`", src->path);
	if (out->layers.n != json_array_size(layers))
		return st_error(err, 0, "`%s`: the manifest lists %zu layers and the config %zu diff ids", src->path,
				json_array_size(layers), out->layers.n);
	for (size_t i = 0; i < out->layers.n; i++) {
		struct desc d;
		_cleanup_free_ char *what = xasprintf("layer %zu of the manifest", i);
		if (parse_desc(src->path, json_array_get(layers, i), what, &d, err) < 0)
			return -1;
		if (!layer_type_ok(d.media_type))
			return st_error(err, 0, "`%s`: layer %zu is of type `%s`: stack imports tar layers (plain, gzip "
					"or zstd), not encrypted or other ones", src->path, i, d.media_type);
		_cleanup_free_ char *name = blob_name(d.digest);
		char *id = NULL;
		if (import_one(s, src, name, i, &d, out->layers.v[i], &id, err) < 0)
			return -1;
		free(out->layers.v[i]);
		out->layers.v[i] = id;
	}
	return 0;
}

static int import_index(const struct img_store *s, const struct oci_source *src, struct img_image *out,
			st_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (oci_source_read(src, "index.json", JSON_MAX, &text, &len, err) < 0)
		return -1;
	json_t *index = parse_json(src, "index.json", text, len, err);
	if (!index)
		return -1;
	json_t *manifest = NULL;
	int r = pick_manifest(src, index, 0, &manifest, err);
	json_decref(index);
	if (r == 0)
		return st_error(err, 0, "`%s` has no image for linux/amd64", src->path);
	if (r < 0)
		return -1;
	r = import_manifest(s, src, manifest, out, err);
	json_decref(manifest);
	return r;
}

/* A docker save archive without index.json (Docker before 25):
 * manifest.json: [{"Config": "HEX.json", "Layers": ["DIR/layer.tar", ...]}]. */
static int import_docker(const struct img_store *s, const struct oci_source *src, struct img_image *out,
			 st_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (oci_source_read(src, "manifest.json", JSON_MAX, &text, &len, err) < 0)
		return -1;
	json_t *list = parse_json(src, "manifest.json", text, len, err);
	if (!list)
		return -1;
	int r = -1;
	/* Before the first goto: a jump may not skip a cleanup variable. */
	_cleanup_free_ char *ctext = NULL;
	size_t clen = 0;
	json_t *m = json_array_get(list, 0);
	json_t *config = json_object_get(m, "Config"), *layers = json_object_get(m, "Layers");
	if (!json_is_array(list) || json_array_size(list) != 1) {
		st_error(err, 0, "`%s`: manifest.json lists %zu images: save one image per archive", src->path,
			 json_is_array(list) ? json_array_size(list) : 0);
		goto out;
	}
	if (!json_is_string(config) || !json_is_array(layers)) {
		st_error(err, 0, "`%s`: manifest.json's image has no `Config` and `Layers`", src->path);
		goto out;
	}
	if (oci_source_read(src, json_string_value(config), JSON_MAX, &ctext, &clen, err) < 0)
		goto out;
	/* The config's file is named by its digest ("HEX.json" or blobs/sha256/HEX). */
	char got[IMG_DIGEST_LEN];
	const char *cname = json_string_value(config);
	const char *base = strrchr(cname, '/') ? strrchr(cname, '/') + 1 : cname;
	if (img_digest_of(ctext, clen, got, err) < 0)
		goto out;
	if (strncmp(base, got + 7, 64) != 0 || (base[64] && strcmp(base + 64, ".json") != 0)) {
		st_error(err, 0, "`%s`: the config `%s` has digest %s, not the one its name says: the image is damaged "
			 "or was tampered with", src->path, cname, got);
		goto out;
	}
	if (img_config_parse(ctext, clen, out, err) < 0) {
		st_error_prefix(err, "`%s`", src->path);
		goto out;
	}
	if (out->layers.n != json_array_size(layers)) {
		st_error(err, 0, "`%s`: manifest.json lists %zu layers and the config %zu diff ids", src->path,
			 json_array_size(layers), out->layers.n);
		goto out;
	}
	for (size_t i = 0; i < out->layers.n; i++) {
		json_t *l = json_array_get(layers, i);
		char *id = NULL;
		if (!json_is_string(l)) {
			st_error(err, 0, "`%s`: manifest.json's layer %zu is not a file name", src->path, i);
			goto out;
		}
		if (import_one(s, src, json_string_value(l), i, NULL, out->layers.v[i], &id, err) < 0)
			goto out;
		free(out->layers.v[i]);
		out->layers.v[i] = id;
	}
	r = 0;
out:
	json_decref(list);
	return r;
}

int img_import_oci(const struct img_store *s, const char *path, struct img_image *out, st_error_t *err)
{
	struct oci_source src;
	memset(out, 0, sizeof(*out));
	if (img_archive_load(err) < 0 || oci_source_open(s, path, &src, err) < 0)
		return -1;
	int r;
	if (oci_source_has(&src, "index.json"))
		r = import_index(s, &src, out, err);
	else if (oci_source_has(&src, "manifest.json"))
		r = import_docker(s, &src, out, err);
	else
		r = st_error(err, 0, "`%s` is neither an OCI image layout (no index.json) nor a docker save archive "
			     "(no manifest.json)", path);
	oci_source_close(&src);
	if (r < 0) {
		img_image_free(out);
		return st_error_prefix(err, "import oci base");
	}
	return 0;
}
