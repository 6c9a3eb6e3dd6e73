/* A read-only view of a root filesystem: the layer directories of an image
 * (topmost first) merged as overlayfs merges them, whiteouts and opaque
 * directories included, or one plain directory (a build context).  COPY
 * reads its sources through it (the context, or --from a stage or image)
 * and looks up its destination's parents in the image it writes on, and
 * --chown reads /etc/passwd through it, all without mounting anything on
 * the host.  Paths are relative to the view's root and resolved in it
 * (btree_resolve): a symlink, absolute or full of "..", never leads out. */
#ifndef STACK_BUILDER_TREE_H
#define STACK_BUILDER_TREE_H

#include "util/error.h"
#include "util/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct btree {
	int *fds; /* one per layer, topmost first */
	size_t n;
	bool overlay; /* layers: 0:0 character devices are whiteouts, opaque xattrs count */
};

/* An entry of the view: the topmost layer's, and for a directory every
 * layer whose directory of that path shows through (topmost first). */
struct btree_ent {
	struct stat st;
	size_t layer;
	size_t *lay;
	size_t n_lay;
};

/* `layers`: directories, topmost first.  overlay: see above. */
int btree_open(struct btree *t, const char *const *layers, size_t n, bool overlay, st_error_t *err);
void btree_close(struct btree *t);
void btree_ent_free(struct btree_ent *e);

/* The root directory (an empty view, no layers, has an empty root). */
void btree_root(const struct btree *t, struct btree_ent *out);
/* The entry `name` of directory `dir` (at `dir_path`, "" for the root):
 * 1 and *out, 0 when there is none (or a whiteout hides it), -1 on error. */
int btree_child(const struct btree *t, const struct btree_ent *dir, const char *dir_path, const char *name,
		struct btree_ent *out, st_error_t *err);
/* The names in directory `dir`, sorted, without "." and ".." (some may be
 * whiteouts: btree_child says 0 for them). */
int btree_list(const struct btree *t, const struct btree_ent *dir, const char *dir_path, struct strv *names,
	       st_error_t *err);
/* Resolve `path` (absolute or relative to the root; symlinks followed
 * inside the view, the last one too when follow_last): *canon gets the
 * path without symlinks, "" for the root, also when nothing is there.
 * 1 and *out when it exists, 0 when not, -1 on error (ELOOP after 40
 * links). */
int btree_resolve(const struct btree *t, const char *path, bool follow_last, char **canon, struct btree_ent *out,
		  st_error_t *err);
/* Open the regular file `e` at `path` (O_RDONLY, no symlink on the way). */
int btree_open_file(const struct btree *t, const struct btree_ent *e, const char *path, st_error_t *err);
/* The target of the symlink `e` at `path` (malloc'd). */
char *btree_readlink(const struct btree *t, const struct btree_ent *e, const char *path, st_error_t *err);
/* The content of the regular file at `path` (resolved), NULL when there is
 * none: for /etc/passwd and /etc/group.  *len excludes the added NUL. */
char *btree_read_small(const struct btree *t, const char *path, size_t max, size_t *len);

#endif
