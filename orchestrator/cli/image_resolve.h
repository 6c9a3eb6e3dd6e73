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

/* A `bases:` entry (rootfs:, oci:, pull:, debootstrap:; builder/base.h:
 * put into the store on first use and reused), or an image in the store by
 * ref: an image of the stack once `stack build` made it; one not built yet
 * needs `stack build`, and the error says so. */
int cli_image_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		      struct cli_image *out, st_error_t *err);
void cli_image_free(struct cli_image *img);

#endif
