/* A push (registry.h): blobs by monolithic upload (POST for an upload
 * URL, PUT of the whole blob to it with its digest), then the manifest. */
#include "image/import_int.h"
#include "image/registry_int.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

/* 1 when the registry has blob `digest`, 0 when not, -1 on error. */
static int blob_exists(struct reg_client *c, const char *digest, st_error_t *err)
{
	_cleanup_free_ char *what = xasprintf("blobs/%s", digest);
	struct reg_req rq = {.method = "HEAD", .body_fd = -1};
	st_error_t e = NULL;
	long status = reg_call(c, what, &rq, &e);
	if (status == 200) {
		st_error_free(&e);
		return 1;
	}
	if (status == 404) {
		st_error_free(&e);
		return 0;
	}
	if (e && !*err)
		*err = steal_pointer(&e);
	st_error_free(&e);
	return -1;
}

/* Upload one blob (memory or fd) unless it is there; 1 when it was. */
static int put_blob(struct reg_client *c, const char *digest, const void *data, size_t len, int fd, int64_t size,
		    st_error_t *err)
{
	int have = blob_exists(c, digest, err);
	if (have != 0)
		return have;
	struct reg_req post = {.method = "POST", .body_fd = -1};
	long status = reg_call(c, "blobs/uploads/", &post, err);
	if (status != 202)
		return status > 0 ? st_error_prefix(err, "start the upload of %s", digest) : -1;
	if (!c->location)
		return st_error(err, 0, "registry `%s` started an upload but gave no Location", c->ref.host);
	_cleanup_free_ char *url = xasprintf("%s%sdigest=%s", c->location, strchr(c->location, '?') ? "&" : "?",
					     digest);
	struct reg_req put = {.method = "PUT",
			      .content_type = "application/octet-stream",
			      .body = data,
			      .body_len = len,
			      .body_fd = data ? -1 : fd,
			      .body_size = size};
	status = reg_call(c, url, &put, err);
	if (status != 201 && status != 204 && status != 200)
		return status > 0 ? st_error_prefix(err, "upload %s", digest) : -1;
	return 0;
}

struct push_layer {
	char digest[IMG_DIGEST_LEN];
	int64_t size;
};

/* The canonical tar of `layer_id` in `work`, uploaded. */
static int push_layer(const struct img_store *s, struct reg_client *c, const char *work, const char *layer_id,
		      struct push_layer *out, bool *had, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/layer-%.12s", work, layer_id + 7);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return st_error(err, errno, "create `%s`", path);
	int r = -1;
	struct stat st;
	if (img_layer_export(s, layer_id, fd, out->digest, err) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		st_error(err, errno, "stat `%s`", path);
		goto out;
	}
	out->size = st.st_size;
	int put = put_blob(c, out->digest, NULL, 0, fd, out->size, err);
	if (put < 0)
		goto out;
	*had = put == 1;
	r = 0;
out:
	unlink(path);
	return r;
}

static char *manifest_json(const char *config_digest, size_t config_size, const struct push_layer *layers, size_t n)
{
	json_t *ls = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ls, json_pack("{s:s, s:s, s:I}", "mediaType", MT_LAYER, "digest",
						    layers[i].digest, "size", (json_int_t)layers[i].size));
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
			      "config", "mediaType", MT_CONFIG, "digest", config_digest, "size",
			      (json_int_t)config_size, "layers", ls);
	char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(m);
	return text;
}

static int push_image(const struct img_store *s, struct reg_client *c, const char *name, const char *ref,
		      const char *work, const struct img_pull_opts *o, char digest[IMG_DIGEST_LEN], st_error_t *err)
{
	_cleanup_free_ char *id = NULL, *config = NULL, *manifest = NULL, *what = NULL;
	size_t config_len = 0;
	struct img_image img = {0};
	struct push_layer *layers = NULL;
	int r = -1;
	int found = img_ref_resolve(s, name, &id, err);
	if (found == 0)
		st_error(err, 0, "no image `%s` in the store (`stack images` lists them)", name);
	if (found <= 0)
		return -1;
	if (img_blob_read(s, id, 0, &config, &config_len, err) < 0 || img_config_parse(config, config_len, &img, err) < 0)
		return -1;
	layers = xcalloc(img.layers.n + 1, sizeof(*layers));
	for (size_t i = 0; i < img.layers.n; i++) {
		bool had = false;
		if (push_layer(s, c, work, img.layers.v[i], &layers[i], &had, err) < 0)
			goto out;
		if (o->progress) {
			fprintf(o->progress, "push %s: layer %zu/%zu %.19s %lld bytes %s\n", ref, i + 1, img.layers.n,
				layers[i].digest, (long long)layers[i].size, had ? "already there" : "pushed");
			fflush(o->progress);
		}
	}
	if (put_blob(c, id, config, config_len, -1, 0, err) < 0)
		goto out;
	manifest = manifest_json(id, config_len, layers, img.layers.n);
	char got[IMG_DIGEST_LEN];
	if (img_digest_of(manifest, strlen(manifest), got, err) < 0)
		goto out;
	what = xasprintf("manifests/%s", c->ref.reference);
	struct reg_req put = {.method = "PUT", .content_type = MT_MANIFEST, .body = manifest,
			      .body_len = strlen(manifest), .body_fd = -1};
	long status = reg_call(c, what, &put, err);
	if (status != 201 && status != 200) {
		if (status > 0)
			st_error_prefix(err, "put the manifest");
		goto out;
	}
	snprintf(digest, IMG_DIGEST_LEN, "%s", got);
	if (o->progress) {
		fprintf(o->progress, "push %s: manifest %s\n", ref, digest);
		fflush(o->progress);
	}
	r = 0;
out:
	free(layers);
	img_image_free(&img);
	return r;
}

int img_registry_push(const struct img_store *s, const char *name, const char *ref, const struct img_pull_opts *o,
		      char digest[IMG_DIGEST_LEN], st_error_t *err)
{
	struct reg_client c = {0};
	_cleanup_free_ char *work = xasprintf("%s/tmp/import-push-XXXXXX", s->root);
	_cleanup_close_ int lock_fd = -1;
	bool made = false;
	int r = -1;
	if (reg_client_open(&c, ref, o, err) < 0)
		goto out;
	c.push = true;
	if (img_digest_valid(c.ref.reference)) {
		st_error(err, 0, "push to a tag (`%s:TAG`), not to a digest: the digest is the manifest's own",
			 c.ref.repo);
		goto out;
	}
	if (img_import_tmpdir(s, work, &lock_fd, err) < 0)
		goto out;
	made = true;
	r = push_image(s, &c, name, ref, work, o, digest, err);
out:
	if (made)
		fs_remove_tree(work, NULL);
	reg_client_close(&c);
	if (r < 0)
		st_error_prefix(err, "push `%s` to `%s`", name, ref);
	return r;
}
