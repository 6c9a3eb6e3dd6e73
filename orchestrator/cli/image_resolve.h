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

/* Today: a `bases:` entry with `rootfs:` (directory or tarball), imported
 * into the layer store once and reused.  Images of the stack need the
 * builder; registry, OCI and debootstrap bases need the image module's
 * importers: both say so rather than guessing. */
int cli_image_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		      struct cli_image *out, st_error_t *err);
void cli_image_free(struct cli_image *img);

#endif
