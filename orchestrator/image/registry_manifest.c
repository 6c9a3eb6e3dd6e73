/* Manifests, indexes and image configs of the OCI image spec and their
 * Docker v2 schema 2 twins, read with jansson. */
#include "image/registry_int.h"
#include "util/mem.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* Layer media types whose blob is a tar, plain or compressed as
 * libarchive detects; anything else (encrypted layers, artifacts) is not
 * something a container can run from. */
static bool layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

static int parse_desc(json_t *j, const char *what, struct reg_desc *d, st_error_t *err)
{
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	const char *digest = json_string_value(json_object_get(j, "digest"));
	json_t *size = json_object_get(j, "size");
	if (!img_digest_valid(digest))
		return st_error(err, 0, "manifest: %s has no sha256 digest (`%s`)", what, digest ? digest : "");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return st_error(err, 0, "manifest: %s %s has no size", what, digest);
	d->media_type = xstrdup(mt ? mt : "");
	d->digest = xstrdup(digest);
	d->size = json_integer_value(size);
	return 0;
}

static const char *content_type_of(const char *content_type, json_t *doc)
{
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	if (mt && *mt)
		return mt;
	return content_type ? content_type : "";
}

static int pick_platform(json_t *doc, char **platform, st_error_t *err)
{
	size_t i;
	json_t *m;
	struct strv seen = {0};
	json_array_foreach (json_object_get(doc, "manifests"), i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *digest = json_string_value(json_object_get(m, "digest"));
		if (os && arch)
			strv_pushf(&seen, "%s/%s", os, arch);
		if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64")) {
			strv_free(&seen);
			if (!img_digest_valid(digest))
				return st_error(err, 0, "image index: the linux/amd64 entry has no sha256 digest");
			*platform = xstrdup(digest);
			return 0;
		}
	}
	struct strbuf list = {0};
	for (size_t k = 0; k < seen.n; k++) {
		strbuf_adds(&list, k ? ", " : "");
		strbuf_adds(&list, seen.v[k]);
	}
	_cleanup_free_ char *shown = strbuf_take(&list);
	strv_free(&seen);
	return st_error(err, 0, "the image has no linux/amd64 manifest (it has: %s); stack runs linux/amd64 images",
			*shown ? shown : "none");
}

int reg_manifest_parse(const char *body, size_t len, const char *content_type, struct reg_manifest *m,
		       char **platform, st_error_t *err)
{
	memset(m, 0, sizeof(*m));
	*platform = NULL;
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, 0, &jerr);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return st_error(err, 0, "manifest: not a JSON object (line %d: %s)", jerr.line, jerr.text);
	}
	const char *mt = content_type_of(content_type, doc);
	int r = -1;
	if (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST) ||
	    (!json_object_get(doc, "layers") && json_is_array(json_object_get(doc, "manifests")))) {
		r = pick_platform(doc, platform, err);
		goto out;
	}
	if (strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0 &&
	    !(json_object_get(doc, "config") && json_object_get(doc, "layers"))) {
		st_error(err, 0, "manifest: unsupported media type `%s` (a schema 1 image? push it again with a current tool)",
			 mt);
		goto out;
	}
	if (parse_desc(json_object_get(doc, "config"), "the config", &m->config, err) < 0)
		goto out;
	json_t *layers = json_object_get(doc, "layers");
	if (!json_is_array(layers) || json_array_size(layers) == 0) {
		st_error(err, 0, "manifest: no layers");
		goto out;
	}
	m->layers = xcalloc(json_array_size(layers), sizeof(*m->layers));
	size_t i;
	json_t *l;
	json_array_foreach (layers, i, l) {
		struct reg_desc *d = &m->layers[m->n_layers];
		_cleanup_free_ char *what = xasprintf("layer %zu", i + 1);
		if (parse_desc(l, what, d, err) < 0)
			goto out;
		m->n_layers++;
		if (!layer_type_ok(d->media_type)) {
			st_error(err, 0, "manifest: layer %zu has media type `%s`, which is not a tar layer", i + 1,
				 d->media_type);
			goto out;
		}
		if (d->size > IMG_REGISTRY_MAX_LAYER) {
			st_error(err, EFBIG, "manifest: layer %zu is %lld bytes, over the limit of %lld (8 GiB)", i + 1,
				 (long long)d->size, (long long)IMG_REGISTRY_MAX_LAYER);
			goto out;
		}
	}
	if (m->config.size > IMG_REGISTRY_MAX_JSON) {
		st_error(err, EFBIG, "manifest: the config is %lld bytes, over the limit of %d", (long long)m->config.size,
			 IMG_REGISTRY_MAX_JSON);
		goto out;
	}
	r = 0;
out:
	json_decref(doc);
	if (r < 0)
		reg_manifest_free(m);
	return r;
}

static void desc_free(struct reg_desc *d)
{
	free(d->media_type);
	free(d->digest);
}

void reg_manifest_free(struct reg_manifest *m)
{
	desc_free(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		desc_free(&m->layers[i]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}
