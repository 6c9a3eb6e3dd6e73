#include "cli/image_resolve.h"
#include "image/store.h"
#include "util/mem.h"
#include "util/paths.h"

#include <string.h>

static const char *base_kind_hint(enum spec_base_kind k)
{
	switch (k) {
	case SPEC_BASE_PULL:
		return "pulling from a registry is not available yet";
	case SPEC_BASE_OCI:
	case SPEC_BASE_DEBOOTSTRAP:
		return "debootstrap bases are not available yet";
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

/* A base of the stack: its store entry, imported now if need be. */
static int resolve_base(const struct img_store *store, const struct spec_base *base, struct img_image *img,
			st_error_t *err)
{
	if (base->kind != SPEC_BASE_ROOTFS && base->kind != SPEC_BASE_OCI)
		return st_error(err, 0, "base image `%s`: %s; use a `rootfs:` or `oci:` base for now", base->name,
				base_kind_hint(base->kind));
	bool oci = base->kind == SPEC_BASE_OCI;
	_cleanup_free_ char *key = img_source_key(oci ? "oci" : "rootfs", base->path, err);
	if (!key)
		return st_error_prefix(err, "base image `%s`", base->name);
	int found = img_image_read(store, key, img, err);
	if (found < 0)
		return -1;
	if (found)
		return 0;
	return oci ? import_oci_base(store, base, key, img, err) : import_base(store, base, key, img, err);
}

int cli_image_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		      struct cli_image *out, st_error_t *err)
{
	struct img_store store = {0};
	struct img_image img = {0};
	int r = -1;
	memset(out, 0, sizeof(*out));
	if (img_store_open(paths->root, &store, err) < 0)
		return -1;
	const struct spec_base *base = spec_find_base(stack, image);
	if (base) {
		if (resolve_base(&store, base, &img, err) < 0)
			goto out;
	} else {
		int found = img_image_read(&store, image, &img, err);
		if (found < 0)
			goto out;
		if (found == 0) {
			if (spec_find_image(stack, image))
				st_error(err, 0, "image `%s` is built from a Dockerfile and is not built yet; "
						 "building arrives with `stack build`", image);
			else
				st_error(err, 0, "image `%s` is not in the image store and the stack does not define it: "
						 "add it under `bases:` (e.g. `%s: {rootfs: ./rootfs}`)", image, image);
			goto out;
		}
	}
	if (img.layers.n == 0) {
		st_error(err, 0, "image `%s` has no layers: there is nothing to run (an image built FROM scratch "
				 "needs a COPY or ADD)", image);
		goto out;
	}
	/* Its layers become lower dirs of this process's containers: no prune
	 * may remove them while we (or the supervisor we become) live. */
	img_store_pin(&store);
	/* The store lists layers bottom first; overlayfs wants the top first. */
	for (size_t i = img.layers.n; i-- > 0;)
		strv_push_take(&out->layers, img_layer_path(&store, img.layers.v[i]));
	strv_copy(&out->defaults.env, &img.env);
	strv_copy(&out->defaults.entrypoint, &img.entrypoint);
	strv_copy(&out->defaults.cmd, &img.cmd);
	out->defaults.working_dir = img.working_dir ? xstrdup(img.working_dir) : NULL;
	out->defaults.user = img.user ? xstrdup(img.user) : NULL;
	r = 0;
out:
	img_image_free(&img);
	img_store_close(&store);
	return r;
}

void cli_image_free(struct cli_image *img)
{
	strv_free(&img->layers);
	strv_free(&img->defaults.env);
	strv_free(&img->defaults.entrypoint);
	strv_free(&img->defaults.cmd);
	free((char *)img->defaults.working_dir);
	free((char *)img->defaults.user);
	memset(img, 0, sizeof(*img));
}
