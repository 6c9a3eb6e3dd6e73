/* Where an `oci:` base's files come from: an OCI image layout directory,
 * or a tar of one (an OCI archive, `skopeo copy ... oci-archive:`), or a
 * `docker save` archive.  Internal to image/ (import_oci.c).
 *
 * An archive is unpacked first into a locked temp dir of the store, each
 * regular file under a flat name (its path with `/` escaped), so no name
 * in it can make a directory or a symlink of ours point anywhere; its
 * symlinks and hard links (docker save links a layer.tar shared by two
 * images) are kept as a map from name to name, followed when a file is
 * opened, never outside the archive.  A directory is read in place, every
 * open beneath it (openat2 RESOLVE_BENEATH). */
#ifndef STACK_IMAGE_OCI_SOURCE_H
#define STACK_IMAGE_OCI_SOURCE_H

#include "image/store.h"
#include "util/strv.h"

#include <stdint.h>

/* The decompression-bomb limit of every archive and layer of an `oci:`
 * base: what it unpacks to may be at most IMG_UNPACK_RATIO times its own
 * size, or IMG_UNPACK_FREE, whichever is more, and never more than
 * IMG_UNPACK_MAX.  gzip cannot pass 1032:1; real layers are 2:1 to 10:1
 * (a sparse or zero-filled file in an image is what the free allowance is
 * for). */
#define IMG_UNPACK_RATIO 100
#define IMG_UNPACK_FREE (1ull << 30)
#define IMG_UNPACK_MAX (64ull << 30)
uint64_t img_unpack_limit(uint64_t packed);

struct oci_source {
	const char *path;
	int dir_fd;	/* the layout directory, or the unpack dir */
	bool unpacked;	/* from an archive: flat names in dir_fd */
	char *tmp;	/* ours, locked: the unpack dir, or where a layout's layers are copied */
	int lock_fd;	/* its flock */
	struct strv link_from, link_to; /* archive links, by cleaned name */
};

/* Open `path` (a directory or an archive file). */
int oci_source_open(const struct img_store *s, const char *path, struct oci_source *out, st_error_t *err);
/* Remove what was unpacked and release the rest. */
void oci_source_close(struct oci_source *src);
/* An fd on the file `name` (relative, `/`-separated) of the source, or -1
 * (errno ENOENT: not there). */
int oci_source_openat(const struct oci_source *src, const char *name, st_error_t *err);
/* Whether it has `name`. */
bool oci_source_has(const struct oci_source *src, const char *name);
/* A whole (small) file, at most `max` bytes. */
int oci_source_read(const struct oci_source *src, const char *name, size_t max, char **data, size_t *len,
		    st_error_t *err);
/* The path of `name` when it can be read by path without following
 * anything of the source's (an unpacked file), else NULL. */
char *oci_source_private_path(const struct oci_source *src, const char *name);

#endif
