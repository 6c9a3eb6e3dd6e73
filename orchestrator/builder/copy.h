/* COPY and ADD of local files: which files (sources, globs, .dockerignore,
 * directories copied by their content), where they go (the destination
 * resolved in the image it is written on, so a symlinked /var/run leads to
 * /run as it would in a container), what they hash to for the cache, and
 * writing them into a new layer directory.  Sources are read through a
 * view (tree.h) rooted at the context or at another stage or image: no
 * path or symlink leads out of it. */
#ifndef STACK_BUILDER_COPY_H
#define STACK_BUILDER_COPY_H

#include "builder/digest.h"
#include "builder/ignore.h"
#include "builder/tree.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/strv.h"

#include <stdbool.h>
#include <sys/types.h>

struct build_copy_src {
	const struct btree *tree;
	const struct build_ignore *ignore; /* the context's .dockerignore, or NULL */
	const struct build_ignore *exclude; /* COPY --exclude= patterns, or NULL */
	struct build_digests *digests;     /* the context's digest cache; NULL: a stage or image */
	const char *identity;              /* a stage or image: what its layers are (their ids) */
};

struct build_copy_req {
	const char *cmd;          /* "COPY" or "ADD", for messages */
	const struct strv *srcs;  /* after expansion */
	const char *dest;         /* after expansion; relative to workdir unless absolute */
	const char *workdir;
	bool chown;
	uid_t uid;
	gid_t gid;
	bool chmod;
	mode_t mode;
};

struct build_copy_item {
	char *src;   /* canonical path in the source view */
	char *dst;   /* canonical path in the image, without a leading / */
	char *shown; /* the path a user knows it by (context-relative) */
	struct stat st;
	size_t layer; /* of the source entry */
	char hex[ST_SHA256_HEX_LEN + 1]; /* content, regular files */
	char *link;   /* symlinks: the target */
	bool named;   /* a source as written (or a glob's match), not found in a directory */
	bool extract; /* ADD of a local archive: unpacked into dest, not copied */
};

struct build_copy_plan {
	struct build_copy_item *v;
	size_t n, cap;
	char *dest_dir; /* the destination, when it is a directory made or filled */
	char *dest;     /* the destination, canonical, without a leading / */
	uid_t uid;
	gid_t gid;
	bool chmod;
	mode_t mode;
};

/* Select and hash what `req` copies from `src` onto `image`. */
int build_copy_select(const struct build_copy_src *src, const struct btree *image, const struct build_copy_req *req,
		      struct build_copy_plan *out, st_error_t *err);
/* Add what the plan copies (paths, types, modes, owners, content) to h. */
void build_copy_hash(const struct build_copy_plan *p, struct st_sha256 *h);
/* Write the plan into the empty layer directory `layer_dir`; parents of
 * the destination that the image has are made with the image's metadata,
 * new ones 0755 and owned as the copied files.  Items to extract are left
 * to the caller; their destination directory is made. */
int build_copy_write(const struct build_copy_src *src, const struct btree *image, const struct build_copy_plan *p,
		     const char *layer_dir, st_error_t *err);
void build_copy_plan_free(struct build_copy_plan *p);

#endif
