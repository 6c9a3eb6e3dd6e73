/* What `stack down` removes on request, after the containers are gone:
 * -v, the stack's named volumes; --rmi local|all, its images. */
#ifndef STACK_CLI_DOWN_EXTRA_H
#define STACK_CLI_DOWN_EXTRA_H

#include "spec/spec.h"
#include "util/error.h"
#include "util/paths.h"

#include <stdio.h>

/* Remove the directory of every named volume of the top-level `volumes:`
 * (STACK_ROOT/volumes/PROJECT_NAME; the stack has no external volumes),
 * never a bind mount's source.  Through a descriptor of the volumes
 * directory (which must not be a symlink): a volume directory that is a
 * symlink loses the link, not what it points to, and removal never follows
 * a symlink nor enters a mount; a volume directory that is itself a mount
 * point is left whole (util/fs.h: fs_remove_tree_at).  " Volume NAME
 * Removed" lines on `out`, and the error of each volume that could not be
 * removed (the others still are): 0, or -1 when one was kept.  A broken
 * volumes directory is -1 with *err set, before any volume. */
int cli_down_volumes(const struct st_paths *paths, const struct spec_stack *stack, FILE *out, st_error_t *err);

enum cli_rmi {
	CLI_RMI_NONE,
	CLI_RMI_LOCAL, /* images built for services without an `image:` name (PROJECT-SERVICE) */
	CLI_RMI_ALL,   /* every image the stack uses: `images:`, builds, and `bases:` (also implicit) */
};

/* Remove the store names of the stack's images (the space is freed by
 * `stack image prune`, as after `stack image rm`).  An image whose layers
 * are the bottom of a running container's of another project (it runs the
 * image, an identical build of it, or an image built on it; its state file
 * records its layers) is kept, and a line on `out` says which container:
 * that project starts it again from the name.  0, or -1 at the first failure. */
int cli_down_images(const struct st_paths *paths, const struct spec_stack *stack, enum cli_rmi which, FILE *out,
		    st_error_t *err);

#endif
