/* From a `bases:` entry to its image in the store, fetched on first use:
 * what `stack run` (an image: naming a base), `stack pull` and the builder
 * (a FROM naming one) all need. */
#ifndef STACK_BUILDER_BASE_H
#define STACK_BUILDER_BASE_H

#include "image/store.h"
#include "spec/model.h"
#include "util/error.h"

#include <stdbool.h>
#include <stdio.h>

/* The store entry of `base` in *img (free with img_image_free), put into
 * the store now if it has none for the base's current source: rootfs: and
 * oci: are imported again when their source changed, pull: is pulled,
 * debootstrap: is run (*imported, may be NULL, says whether that
 * happened).  `pull` fetches it again even when the store has one
 * (`stack build --pull`, `stack pull`).  Pulls and debootstrap report
 * progress to `progress` (NULL: none), a pull's redrawn in place when
 * `progress_tty` (util/progress.h), else as plain lines. */
int build_base_resolve(const struct img_store *store, const struct spec_base *base, bool pull, FILE *progress,
		       bool progress_tty, struct img_image *img, bool *imported, st_error_t *err);

/* The name `base` has in the store now (caller frees), as
 * build_base_resolve stores it: the normalized ref of a pull:, the
 * parameters' key of a debootstrap:, the source's key of a rootfs: or oci:
 * (shared by every project with that source).  NULL on error. */
char *build_base_store_name(const struct spec_base *base, st_error_t *err);

/* Where Docker's credentials are: $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json (caller frees; NULL without HOME). */
char *build_docker_config_path(void);

#endif
