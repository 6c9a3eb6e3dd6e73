#include "builder/base.h"
#include "util/mem.h"

#include <string.h>

static const char *base_kind_hint(enum spec_base_kind k)
{
	switch (k) {
	case SPEC_BASE_PULL:
		return "pulling from a registry is not available yet";
	case SPEC_BASE_DEBOOTSTRAP:
		return "debootstrap bases are not available yet";
	case SPEC_BASE_OCI:
	case SPEC_BASE_ROOTFS:
		break;
	}
	return "";
}

/* A `rootfs:` base is imported on first use, as a registry image is pulled
 * on first use: later runs reuse the stored layer.  The store entry is named
 * by the source (img_rootfs_key), never by the base's name: another
 * project's `debian` is another entry, and a changed rootfs a new one. */
static int import_base(const struct img_store *store, const struct spec_base *base, const char *key,
		       struct img_image *img, st_error_t *err)
{
	char *digest = NULL;
	if (img_import_rootfs(store, base->path, &digest, err) < 0)
		return st_error_prefix(err, "base image `%s`", base->name);
	memset(img, 0, sizeof(*img));
	img->name = xstrdup(key);
	img->source = xstrdup(base->path);
	strv_push_take(&img->layers, digest);
	/* A bare rootfs has no config; docker's import gives it this PATH too. */
	strv_push(&img->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	return img_image_write(store, img, NULL, err);
}

/* An `oci:` base keeps its image's config; its layers are stored once,
 * shared with every image that has them. */
static int import_oci_base(const struct img_store *store, const struct spec_base *base, const char *key,
			   struct img_image *img, st_error_t *err)
{
	if (img_import_oci(store, base->path, img, err) < 0)
		return st_error_prefix(err, "base image `%s`", base->name);
	img->name = xstrdup(key);
	img->source = xstrdup(base->path);
	return img_image_write(store, img, NULL, err);
}

int build_base_resolve(const struct img_store *store, const struct spec_base *base, bool pull,
		       struct img_image *img, bool *imported, st_error_t *err)
{
	memset(img, 0, sizeof(*img));
	if (imported)
		*imported = false;
	if (base->kind != SPEC_BASE_ROOTFS && base->kind != SPEC_BASE_OCI)
		return st_error(err, 0, "base image `%s`: %s; use a `rootfs:` or `oci:` base for now", base->name,
				base_kind_hint(base->kind));
	bool oci = base->kind == SPEC_BASE_OCI;
	_cleanup_free_ char *key = img_source_key(oci ? "oci" : "rootfs", base->path, err);
	if (!key)
		return st_error_prefix(err, "base image `%s`", base->name);
	if (!pull) {
		int found = img_image_read(store, key, img, err);
		if (found != 0)
			return found < 0 ? -1 : 0;
	}
	if (imported)
		*imported = true;
	return oci ? import_oci_base(store, base, key, img, err) : import_base(store, base, key, img, err);
}
