/* Content-addressed blobs (blobs/sha256/<hex>) and the image records made
 * of them: a config blob, named by a ref. */
#include "image/store_int.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

char *img_blob_path(const struct img_store *s, const char *digest)
{
	const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
	return xasprintf("%s/blobs/sha256/%s", s->root, hex);
}

int img_digest_of(const void *data, size_t len, char digest[IMG_DIGEST_LEN], st_error_t *err)
{
	struct st_sha256 md = {0};
	char hex[ST_SHA256_HEX_LEN + 1];
	if (st_sha256_begin(&md, err) < 0)
		return -1;
	st_sha256_update(&md, data, len);
	st_sha256_end_hex(&md, hex);
	snprintf(digest, IMG_DIGEST_LEN, "sha256:%s", hex);
	return 0;
}

/* Whether the file at `path` holds exactly `data`. */
static bool blob_holds(const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *have = NULL;
	size_t n = 0;
	st_error_t e = NULL;
	bool same = fs_read_file(path, len + 1, &have, &n, &e) == 0 && n == len && memcmp(have, data, len) == 0;
	st_error_free(&e);
	return same;
}

int img_blob_write(const struct img_store *s, const void *data, size_t len, char digest[IMG_DIGEST_LEN],
		   st_error_t *err)
{
	if (img_digest_of(data, len, digest, err) < 0)
		return -1;
	_cleanup_free_ char *path = img_blob_path(s, digest);
	/* A blob of that name that holds these bytes is kept.  One changed on
	 * disk is replaced: img_blob_read refuses it and tells the user to
	 * write the image again, which would otherwise keep the damage. */
	if (blob_holds(path, data, len))
		return 0;
	return fs_write_file_atomic(path, data, len, 0600, err);
}

int img_blob_read(const struct img_store *s, const char *digest, size_t max, char **data, size_t *len,
		  st_error_t *err)
{
	if (!img_digest_valid(digest))
		return st_error(err, 0, "`%.80s` is not a sha256 digest", digest);
	_cleanup_free_ char *path = img_blob_path(s, digest);
	char *buf = NULL;
	size_t n = 0;
	if (fs_read_file(path, max, &buf, &n, err) < 0)
		return -1;
	char got[IMG_DIGEST_LEN];
	if (img_digest_of(buf, n, got, err) < 0) {
		free(buf);
		return -1;
	}
	if (strcmp(got, digest) != 0) {
		free(buf);
		return st_error(err, 0, "blob `%s` holds content of digest %s: the store was changed on disk; "
				"remove the image (`stack image rm`) and import or build it again", path, got);
	}
	*data = buf;
	*len = n;
	return 0;
}

/* Configs are small: Docker's largest real ones are tens of KiB. */
#define CONFIG_MAX (4u << 20)

int img_image_load(const struct img_store *s, const char *id, struct img_image *out, st_error_t *err)
{
	_cleanup_free_ char *path = img_blob_path(s, id);
	if (img_digest_valid(id) && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (img_blob_read(s, id, CONFIG_MAX, &text, &len, err) < 0 || img_config_parse(text, len, out, err) < 0)
		return st_error_prefix(err, "image %s", id);
	return 1;
}

int img_image_read(const struct img_store *s, const char *name, struct img_image *out, st_error_t *err)
{
	struct img_ref *refs = NULL;
	size_t n = 0;
	_cleanup_free_ char *norm = img_ref_normalize(name);
	if (img_ref_list(s, &refs, &n, err) < 0)
		return -1;
	const struct img_ref *ref = NULL;
	for (size_t i = 0; i < n && !ref; i++)
		if (strcmp(refs[i].name, norm) == 0)
			ref = &refs[i];
	int r = 0;
	if (ref) {
		r = img_image_load(s, ref->id, out, err);
		if (r == 0)
			r = st_error(err, ENOENT, "image `%s`: its config %s is not in the store `%s`: remove it "
					     "(`stack image rm %s`) and import or build it again", name, ref->id, s->root,
				     name);
		else if (r < 0)
			st_error_prefix(err, "image `%s`", name);
		if (r > 0) {
			out->name = xstrdup(name);
			out->source = ref->source ? xstrdup(ref->source) : NULL;
		}
	}
	img_ref_list_free(refs, n);
	return r;
}

int img_image_write(const struct img_store *s, const struct img_image *img, char **id, st_error_t *err)
{
	for (size_t i = 0; i < img->layers.n; i++)
		if (!img_digest_valid(img->layers.v[i]))
			return st_error(err, 0, "store image `%s`: layer `%.80s` is not a sha256 digest",
					img->name ? img->name : "(unnamed)", img->layers.v[i]);
	_cleanup_free_ char *text = img_config_json(img);
	char digest[IMG_DIGEST_LEN];
	if (img_blob_write(s, text, strlen(text), digest, err) < 0)
		return st_error_prefix(err, "store image `%s`", img->name ? img->name : "(unnamed)");
	if (img->name && img_ref_set(s, img->name, digest, img->source, err) < 0)
		return -1;
	if (id)
		*id = xstrdup(digest);
	return 0;
}
