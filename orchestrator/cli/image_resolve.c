#include "cli/image_resolve.h"
#include "builder/base.h"
#include "image/store.h"
#include "util/mem.h"
#include "util/paths.h"

#include <string.h>

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
		if (build_base_resolve(&store, base, false, stderr, &img, NULL, err) < 0)
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
