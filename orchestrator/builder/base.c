/* From a `bases:` entry to its image in the store, fetched on first use:
 * what `stack run` and `stack up` (an image: naming a base), `stack pull`
 * and the builder (a FROM naming one) all need. */
#include "builder/base.h"
#include "image/debootstrap.h"
#include "image/registry.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *build_docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	const char *home = getenv("HOME");
	return home && *home ? xasprintf("%s/.docker/config.json", home) : NULL;
}

/* A `pull:` base: stored under its normalized reference, pulled on first
 * use (as `docker run` does) or when asked to. */
static int pull_base(const struct img_store *store, const struct spec_base *base, FILE *progress, bool tty,
		     struct img_image *img, st_error_t *err)
{
	_cleanup_free_ char *config = build_docker_config_path();
	struct img_pull_opts o = {
		.insecure = base->insecure,
		.docker_config = config,
		.progress = progress,
		.progress_tty = progress && tty,
	};
	if (img_registry_pull(store, base->ref, &o, img, err) < 0)
		return st_error_prefix(err, "base image `%s`", base->name);
	return 0;
}

/* A `debootstrap:` base: stored under its parameters' key (debootstrap.h). */
static void debootstrap_opts(const struct spec_base *base, FILE *progress, struct img_debootstrap *o)
{
	*o = (struct img_debootstrap){
		.suite = base->debootstrap.suite,
		.variant = base->debootstrap.variant,
		.mirror = base->debootstrap.mirror,
		.include = &base->debootstrap.include,
		.apt_dir = "/etc/apt",
		.progress = progress,
	};
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

char *build_base_store_name(const struct spec_base *base, st_error_t *err)
{
	switch (base->kind) {
	case SPEC_BASE_PULL:
		return xstrdup(base->ref);
	case SPEC_BASE_DEBOOTSTRAP: {
		struct img_debootstrap o;
		debootstrap_opts(base, NULL, &o);
		return img_debootstrap_key(&o, err);
	}
	case SPEC_BASE_OCI:
		return img_source_key("oci", base->path, err);
	case SPEC_BASE_ROOTFS:
		break;
	}
	return img_source_key("rootfs", base->path, err);
}

int build_base_resolve(const struct img_store *store, const struct spec_base *base, bool pull, FILE *progress,
		       bool progress_tty, struct img_image *img, bool *imported, st_error_t *err)
{
	memset(img, 0, sizeof(*img));
	if (imported)
		*imported = false;
	_cleanup_free_ char *key = build_base_store_name(base, err);
	if (!key)
		return st_error_prefix(err, "base image `%s`", base->name);
	if (!pull) {
		int found = img_image_read(store, key, img, err);
		if (found != 0)
			return found < 0 ? -1 : 0;
	}
	/* Two first uses at once (two `stack build`s, a build and a `stack
	 * up`): the second waits for the first and takes its result instead
	 * of running debootstrap or the pull again; so does a second `stack
	 * pull` that waited for one that made the entry anew. */
	_cleanup_free_ char *before = NULL;
	if (pull && img_ref_resolve(store, key, &before, err) < 0)
		return -1;
	bool waited = false;
	_cleanup_close_ int lock = img_store_lock_make(store, key, progress, &waited, err);
	if (lock < 0)
		return st_error_prefix(err, "base image `%s`", base->name);
	_cleanup_free_ char *after = NULL;
	if (!pull || waited) {
		int found = img_ref_resolve(store, key, &after, err);
		if (found < 0)
			return -1;
		bool made = found == 1 && (!pull || !before || strcmp(before, after) != 0);
		if (made) {
			found = img_image_read(store, key, img, err);
			if (found != 0)
				return found < 0 ? -1 : 0;
		}
	}
	if (imported)
		*imported = true;
	switch (base->kind) {
	case SPEC_BASE_PULL:
		return pull_base(store, base, progress, progress_tty, img, err);
	case SPEC_BASE_DEBOOTSTRAP: {
		struct img_debootstrap o;
		debootstrap_opts(base, progress, &o);
		return img_debootstrap_import(store, &o, key, img, err);
	}
	case SPEC_BASE_OCI:
		return import_oci_base(store, base, key, img, err);
	case SPEC_BASE_ROOTFS:
		break;
	}
	return import_base(store, base, key, img, err);
}
