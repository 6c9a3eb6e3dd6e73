/* From a service's `image:` to the layers the runtime mounts. */
#ifndef STACK_CLI_IMAGE_RESOLVE_H
#define STACK_CLI_IMAGE_RESOLVE_H

#include "image/store.h"
#include "spec/model.h"
#include "supervisor/ctconf.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/strv.h"

#include <stdio.h>

struct cli_image {
	struct strv layers; /* topmost first */
	struct sup_image_defaults defaults;
};

/* A `bases:` entry (rootfs:, oci:, pull:, debootstrap:) is put into the
 * store on first use (cli_base_fetch) and reused; any other name is looked
 * up in the store (a built image); an image of the stack that is not built
 * yet needs `stack build`, and the error says so. */
int cli_image_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		      struct cli_image *out, st_error_t *err);
void cli_image_free(struct cli_image *img);

/* Put a base into the store if it is not there (rootfs: and oci: imported
 * again when their source changed), or fetch it again when `force`
 * (`--pull`, `stack pull`: a registry image pulled, a debootstrap run
 * again); *img gets its record.  Pulls and debootstrap report progress to
 * `progress` (NULL: none), redrawing one line when it is a terminal. */
int cli_base_fetch(const struct img_store *store, const struct spec_base *base, bool force, FILE *progress,
		   struct img_image *img, st_error_t *err);

/* Where Docker's credentials are: $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json (caller frees; NULL without HOME). */
char *cli_docker_config_path(void);

#endif
