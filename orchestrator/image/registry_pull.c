/* A pull: manifest (via the index, for linux/amd64), config, then each
 * layer not pulled before, downloaded into a work dir under tmp/ and
 * imported; the image record is written last, so a failed or stopped
 * pull leaves no image, only layers that were whole and verified.
 *
 * blobs/sha256/HEX   a config blob, as the registry served it (verified;
 *                    the store's img_blob_*)
 * A downloaded layer is checked again uncompressed, before it is
 * extracted: its digest must be the diff id the config gives it, and it
 * may unpack to no more than img_unpack_limit (the `oci:` importer's
 * decompression-bomb limit, oci_source.h).
 *
 * blobs/layers/HEX   the layer id ("sha256:...") that the layer blob HEX
 *                    was imported as: a second pull, of this image or of
 *                    another that shares the blob, downloads nothing */
#include "image/registry_int.h"
#include "image/import_int.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCEPT_MANIFESTS                                                                       \
	"application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                          \
	"application/vnd.docker.distribution.manifest.v2+json"

struct pull {
	const struct img_store *s;
	const char *ref;
	struct reg_client c;
	char *blobs;	 /* ROOT/blobs */
	char *work;	 /* tmp/pull-XXXXXX once a layer is downloaded */
	int work_lock;
	char *digest;	 /* of the manifest */
};

/* GET a manifest into memory; `want` the digest it must have, or NULL. */
static int get_manifest(struct pull *p, const char *reference, const char *want, char **body, size_t *len,
			char **content_type, st_error_t *err)
{
	struct strbuf buf = {0};
	struct st_sha256 md = {0};
	struct reg_sink sink = {.mem = &buf, .fd = -1, .md = &md, .limit = IMG_REGISTRY_MAX_JSON};
	if (st_sha256_begin(&md, err) < 0)
		return -1;
	_cleanup_free_ char *what = xasprintf("manifests/%s", reference);
	long status = reg_get(&p->c, what, ACCEPT_MANIFESTS, &sink, err);
	char hex[ST_SHA256_HEX_LEN + 1];
	st_sha256_end_hex(&md, hex);
	if (status != 200) {
		free(buf.s);
		if (status == 404) {
			st_error_free(err);
			return st_error(err, ENOENT, "registry `%s` has no image `%s:%s` (HTTP 404)", p->c.ref.host,
					p->c.ref.repo, reference);
		}
		return st_error_prefix(err, "registry `%s`: manifest `%s`", p->c.ref.host, reference);
	}
	if (want && strcmp(want + 7, hex) != 0) {
		free(buf.s);
		return st_error(err, 0, "registry `%s`: manifest %s has the digest sha256:%s: refused", p->c.ref.host,
				want, hex);
	}
	free(p->digest);
	p->digest = xasprintf("sha256:%s", hex);
	*len = buf.n;
	*body = strbuf_take(&buf);
	*content_type = p->c.content_type ? xstrdup(p->c.content_type) : NULL;
	return 0;
}

static int resolve_manifest(struct pull *p, struct reg_manifest *m, st_error_t *err)
{
	const char *reference = p->c.ref.reference;
	_cleanup_free_ char *body = NULL, *ctype = NULL, *platform = NULL;
	size_t len = 0;
	if (get_manifest(p, reference, img_digest_valid(reference) ? reference : NULL, &body, &len, &ctype, err) < 0)
		return -1;
	if (reg_manifest_parse(body, len, ctype, m, &platform, err) < 0)
		return -1;
	if (!platform)
		return 0;
	free(body);
	free(ctype);
	body = ctype = NULL;
	if (get_manifest(p, platform, platform, &body, &len, &ctype, err) < 0)
		return -1;
	_cleanup_free_ char *nested = NULL;
	if (reg_manifest_parse(body, len, ctype, m, &nested, err) < 0)
		return -1;
	if (nested) {
		reg_manifest_free(m);
		return st_error(err, 0, "the linux/amd64 entry of its index is an index again");
	}
	return 0;
}

/* The image config (every field: Env, Cmd, ExposedPorts, Healthcheck ...)
 * from the blob store, or from the registry into it. */
static int get_config(struct pull *p, const struct reg_desc *d, struct img_image *img, st_error_t *err)
{
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (img_blob_read(p->s, d->digest, IMG_REGISTRY_MAX_JSON, &body, &len, &e) < 0) {
		st_error_free(&e);
		char digest[IMG_DIGEST_LEN];
		if (reg_blob_fetch_json(&p->c, d, &body, &len, err) < 0 ||
		    img_blob_write(p->s, body, len, digest, err) < 0)
			return -1;
	}
	if (img_config_parse(body, len, img, err) < 0)
		return -1;
	return 0;
}

/* The layer id blob `d` was imported as, when that layer is still there. */
static char *known_layer(struct pull *p, const struct reg_desc *d)
{
	_cleanup_free_ char *path = xasprintf("%s/layers/%s", p->blobs, d->digest + 7);
	char *id = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (fs_read_file(path, 128, &id, &len, &e) < 0) {
		st_error_free(&e);
		return NULL;
	}
	struct stat st;
	_cleanup_free_ char *dir = img_digest_valid(id) ? img_layer_path(p->s, id) : NULL;
	if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(id);
		return NULL; /* pruned since: pull it again */
	}
	return id;
}

static int pull_layer(struct pull *p, const struct reg_desc *d, const char *diff_id, struct reg_progress *prog,
		      char **id, st_error_t *err)
{
	if ((*id = known_layer(p, d))) {
		reg_progress_layer(prog, d, false);
		return 0;
	}
	if (!p->work) {
		/* "import-": the prefix the store's sweep takes when we die. */
		p->work = xasprintf("%s/tmp/import-pull-XXXXXX", p->s->root);
		if (img_import_tmpdir(p->s, p->work, &p->work_lock, err) < 0) {
			free(p->work);
			p->work = NULL;
			return -1;
		}
	}
	_cleanup_free_ char *file = NULL;
	if (reg_blob_fetch(&p->c, d, p->work, prog, &file, err) < 0)
		return -1;
	int r = reg_layer_check(file, d, diff_id, err) < 0 ? -1 : img_import_layer(p->s, file, id, err);
	unlink(file);
	if (r < 0)
		return st_error_prefix(err, "layer %s refused (a broken or hostile image: do not run it)", d->digest);
	_cleanup_free_ char *map = xasprintf("%s/layers/%s", p->blobs, d->digest + 7);
	if (fs_write_file_atomic(map, *id, strlen(*id), 0600, err) < 0) {
		free(*id);
		*id = NULL;
		return -1;
	}
	reg_progress_layer(prog, d, true);
	return 0;
}

static int pull_image(struct pull *p, const struct img_pull_opts *o, struct img_image *img, st_error_t *err)
{
	struct reg_manifest m = {0};
	struct reg_progress prog = {0};
	struct strv diff_ids = {0};
	int r = -1;
	if (resolve_manifest(p, &m, err) < 0)
		return -1;
	memset(img, 0, sizeof(*img));
	if (get_config(p, &m.config, img, err) < 0)
		goto out;
	if (img->layers.n != m.n_layers) {
		st_error(err, 0, "its config lists %zu layers, its manifest %zu", img->layers.n, m.n_layers);
		goto out;
	}
	/* The registry's diff ids are digests of its tars; ours are of the
	 * canonical tar of what was extracted (store.h), so an export of
	 * this image matches what the store holds. */
	diff_ids = img->layers;
	memset(&img->layers, 0, sizeof(img->layers));
	int64_t total = 0;
	for (size_t i = 0; i < m.n_layers; i++)
		total += m.layers[i].size;
	reg_progress_begin(&prog, o->progress, o->progress_tty, p->ref, m.n_layers, total);
	for (size_t i = 0; i < m.n_layers; i++) {
		char *id = NULL;
		if (pull_layer(p, &m.layers[i], diff_ids.v[i], &prog, &id, err) < 0)
			goto out;
		strv_push_take(&img->layers, id);
	}
	free(img->name);
	free(img->source);
	img->name = xstrdup(p->ref);
	img->source = xasprintf("%s@%s", p->ref, p->digest);
	if (img_image_write(p->s, img, NULL, err) < 0)
		goto out;
	reg_progress_end(&prog);
	r = 0;
out:
	if (r < 0) {
		if (prog.out && prog.tty)
			reg_progress_line(&prog, "pull %s: failed", p->ref);
		img_image_free(img);
	}
	reg_progress_free(&prog);
	reg_manifest_free(&m);
	strv_free(&diff_ids);
	return r;
}

int img_registry_pull(const struct img_store *s, const char *ref, const struct img_pull_opts *o,
		      struct img_image *out, st_error_t *err)
{
	struct pull p = {.s = s, .ref = ref, .work_lock = -1};
	int r = -1;
	p.blobs = xasprintf("%s/blobs", s->root);
	_cleanup_free_ char *layers = xasprintf("%s/layers", p.blobs);
	if (fs_mkdir_p(layers, 0700, err) < 0)
		goto out;
	/* What a writer killed between link and rename left. */
	fs_sweep_tmp(layers);
	if (reg_client_open(&p.c, ref, o, err) < 0)
		goto out;
	r = pull_image(&p, o, out, err);
out:
	/* Removed while still locked: a sweep cannot take it meanwhile. */
	if (p.work)
		fs_remove_tree(p.work, NULL);
	if (p.work_lock >= 0)
		close(p.work_lock);
	reg_client_close(&p.c);
	free(p.work);
	free(p.blobs);
	free(p.digest);
	if (r < 0)
		st_error_prefix(err, "pull `%s`", ref);
	return r;
}
