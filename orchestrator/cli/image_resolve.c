#include "cli/image_resolve.h"
#include "image/debootstrap.h"
#include "image/registry.h"
#include "image/store.h"
#include "util/mem.h"
#include "util/paths.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *cli_docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	const char *home = getenv("HOME");
	return home && *home ? xasprintf("%s/.docker/config.json", home) : NULL;
}

/* A `pull:` base: stored under its normalized reference, pulled on first
 * use (as `docker run` does) or when asked to. */
static int pull_base(const struct img_store *store, const struct spec_base *base, bool force, FILE *progress,
		     struct img_image *img, st_error_t *err)
{
	if (!force) {
		int found = img_image_read(store, base->ref, img, err);
		if (found != 0)
			return found < 0 ? -1 : 0;
	}
	_cleanup_free_ char *config = cli_docker_config_path();
	struct img_pull_opts o = {
		.insecure = base->insecure,
		.docker_config = config,
		.progress = progress,
		.progress_tty = progress && isatty(fileno(progress)),
	};
	if (img_registry_pull(store, base->ref, &o, img, err) < 0)
		return st_error_prefix(err, "base image `%s`", base->name);
	return 0;
}

/* A `debootstrap:` base: stored under its parameters' key, made on first
 * use or when asked to. */
static int debootstrap_base(const struct img_store *store, const struct spec_base *base, bool force,
			    FILE *progress, struct img_image *img, st_error_t *err)
{
	struct img_debootstrap o = {
		.suite = base->debootstrap.suite,
		.variant = base->debootstrap.variant,
		.mirror = base->debootstrap.mirror,
		.include = &base->debootstrap.include,
		.apt_dir = "/etc/apt",
		.progress = progress,
	};
	_cleanup_free_ char *key = img_debootstrap_key(&o, err);
	if (!key)
		return st_error_prefix(err, "base image `%s`", base->name);
	if (!force) {
		int found = img_image_read(store, key, img, err);
		if (found != 0)
			return found < 0 ? -1 : 0;
	}
	return img_debootstrap_import(store, &o, key, img, err);
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

int cli_base_fetch(const struct img_store *store, const struct spec_base *base, bool force, FILE *progress,
		   struct img_image *img, st_error_t *err)
{
	switch (base->kind) {
	case SPEC_BASE_PULL:
		return pull_base(store, base, force, progress, img, err);
	case SPEC_BASE_DEBOOTSTRAP:
		return debootstrap_base(store, base, force, progress, img, err);
	case SPEC_BASE_OCI:
	case SPEC_BASE_ROOTFS:
		break;
	}
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

/* The image's HEALTHCHECK as a service's healthcheck, with Docker's
 * defaults for what it leaves at 0 (an empty test: the image has none). */
static void image_health(const struct img_healthcheck *in, struct spec_health *out)
{
	const int64_t s = 1000000000LL;
	memset(out, 0, sizeof(*out));
	out->kind = SPEC_HEALTH_INHERIT;
	if (in->test.n == 0)
		return;
	if (strcmp(in->test.v[0], "NONE") == 0) {
		out->kind = SPEC_HEALTH_NONE;
	} else if (strcmp(in->test.v[0], "CMD") == 0 && in->test.n >= 2) {
		out->kind = SPEC_HEALTH_CMD;
		for (size_t i = 1; i < in->test.n; i++)
			strv_push(&out->test, in->test.v[i]);
	} else if (strcmp(in->test.v[0], "CMD-SHELL") == 0 && in->test.n == 2) {
		out->kind = SPEC_HEALTH_SHELL;
		strv_push(&out->test, in->test.v[1]);
	} else {
		return; /* not a test Docker would run either */
	}
	out->interval = in->interval > 0 ? in->interval : 30 * s;
	out->timeout = in->timeout > 0 ? in->timeout : 30 * s;
	out->start_period = in->start_period > 0 ? in->start_period : 0;
	out->start_interval = in->start_interval > 0 ? in->start_interval : 5 * s;
	out->retries = in->retries > 0 ? in->retries : 3;
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
		if (cli_base_fetch(&store, base, false, stderr, &img, err) < 0)
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
	image_health(&img.healthcheck, &out->defaults.health);
	r = 0;
out:
	img_image_free(&img);
	img_store_close(&store);
	return r;
}

void cli_image_free(struct cli_image *img)
{
	strv_free(&img->defaults.health.test);
	free(img->defaults.health.path);
	strv_free(&img->layers);
	strv_free(&img->defaults.env);
	strv_free(&img->defaults.entrypoint);
	strv_free(&img->defaults.cmd);
	free((char *)img->defaults.working_dir);
	free((char *)img->defaults.user);
	memset(img, 0, sizeof(*img));
}
