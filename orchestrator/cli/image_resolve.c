#include "cli/image_resolve.h"
#include "cli/cli.h"
#include "builder/base.h"
#include "image/store.h"
#include "util/mem.h"
#include "util/paths.h"

#include <string.h>

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
		if (build_base_resolve(&store, base, false, stderr, cli_progress_tty(), &img, NULL, err) < 0)
			goto out;
	} else {
		int found = img_image_read(&store, image, &img, err);
		if (found < 0)
			goto out;
		if (found == 0) {
			if (spec_find_image(stack, image))
				st_error(err, 0, "image `%s` is built from a Dockerfile and is not built yet: "
						 "run `stack build %s`", image, image);
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
