/* RUN --mount=type=cache|tmpfs|bind|secret, as BuildKit has them:
 *   cache:  a directory under STACK_ROOT/cache/mounts/ (by id, default the
 *           target) that persists between builds and is in no layer;
 *           sharing=shared|locked|private (locked and private: one step
 *           at a time holds it, by flock), uid, gid, mode, ro
 *   tmpfs:  an empty tmpfs (size=BYTES)
 *   bind:   a file or directory of the build context (source=, default
 *           its root), read-only
 *   secret: the file of a stack secret (id=NAME), read-only at target
 *           (default /run/secrets/NAME); `required` fails when the stack
 *           has no such secret; its content never enters a layer.
 * What this builder cannot do as BuildKit does is an error naming the
 * option (bind from= a stage, bind rw, ssh mounts), never ignored. */
#ifndef STACK_BUILDER_RUN_MOUNT_H
#define STACK_BUILDER_RUN_MOUNT_H

#include "builder/tree.h"
#include "runtime/config.h"
#include "spec/model.h"
#include "util/error.h"
#include "util/strv.h"

#include <stdbool.h>

struct build_mounts {
	struct rt_mount *v;
	size_t n;
	struct strv strings; /* what v points into */
	int *locks;          /* flock()ed cache dirs, closed by build_mounts_free */
	size_t n_locks;
	struct strv secret_targets; /* mount points a secret mount made: removed from the layer */
};

/* Parse every --mount= of a RUN (values expanded by the caller) and make
 * what they need on the host.  `workdir` makes relative targets absolute. */
int build_mounts_make(const struct strv *specs, const char *store_root, const struct spec_stack *stack,
		      const struct spec_image *image, const char *workdir, struct build_mounts *out, st_error_t *err);
void build_mounts_free(struct build_mounts *m);

#endif
