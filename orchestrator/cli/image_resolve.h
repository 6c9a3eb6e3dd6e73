/* From a service's `image:` to the layers the runtime mounts. */
#ifndef STACK_CLI_IMAGE_RESOLVE_H
#define STACK_CLI_IMAGE_RESOLVE_H

#include "spec/model.h"
#include "supervisor/ctconf.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/strv.h"

struct cli_image {
	struct strv layers; /* topmost first */
	struct sup_image_defaults defaults;
};

/* A `bases:` entry (builder/base.h: imported into the store once and
 * reused), or an image in the store by ref: an image of the stack once
 * `stack build` made it.  Registry and debootstrap bases need their
 * importers, and an image of the stack not built yet needs `stack build`:
 * the error says so rather than guessing. */
int cli_image_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		      struct cli_image *out, st_error_t *err);
void cli_image_free(struct cli_image *img);

#endif
