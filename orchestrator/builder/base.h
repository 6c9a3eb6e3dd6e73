/* From a `bases:` entry to its image in the store, imported on first use:
 * what `stack run` (an image: naming a base) and the builder (a FROM
 * naming one) both need. */
#ifndef STACK_BUILDER_BASE_H
#define STACK_BUILDER_BASE_H

#include "image/store.h"
#include "spec/model.h"
#include "util/error.h"

#include <stdbool.h>

/* The store entry of `base` in *img (free with img_image_free), imported
 * now if the store has none for its current source (*imported, may be
 * NULL, says so).  `pull` imports it again even when the store has one
 * (`stack build --pull`). */
int build_base_resolve(const struct img_store *store, const struct spec_base *base, bool pull,
		       struct img_image *img, bool *imported, st_error_t *err);

#endif
