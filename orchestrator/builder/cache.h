/* The build cache: a step's key (the hash of everything it depends on,
 * see exec.c) → the layer it made, or none (a step that changes only the
 * config, or a RUN that wrote nothing).  One file per key under
 * STACK_ROOT/cache/build/, written atomically once the layer is in the
 * store: an entry exists only for a step that finished, and one whose
 * layer is gone (pruned) counts as a miss. */
#ifndef STACK_BUILDER_CACHE_H
#define STACK_BUILDER_CACHE_H

#include "image/store.h"
#include "util/error.h"
#include "util/sha256.h"

#include <stdbool.h>

/* 1 and *layer_id (NULL: the step made no layer) on a hit, 0 on a miss. */
int build_cache_get(const struct img_store *s, const char key[ST_SHA256_HEX_LEN + 1], char **layer_id);
int build_cache_put(const struct img_store *s, const char key[ST_SHA256_HEX_LEN + 1], const char *layer_id,
		    st_error_t *err);

#endif
