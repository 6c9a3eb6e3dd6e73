/* The layer importer's entry points for the other importers of image/
 * (import_oci.c).  Internal to image/. */
#ifndef STACK_IMAGE_IMPORT_INT_H
#define STACK_IMAGE_IMPORT_INT_H

#include "image/store.h"

/* Import one layer of an image (a tar, plain, gzip or zstd) as
 * img_import_rootfs does, but as hostile input: an absolute name, a `..`
 * component (in a name or a hard link's target) or a device node other
 * than an overlay whiteout is refused, not stripped or kept; symlinks a
 * later entry would write through are refused by libarchive's
 * ARCHIVE_EXTRACT_SECURE_* flags, as for every import.  The caller has
 * checked its digests and size (import_oci.c). */
int img_import_layer(const struct img_store *s, const char *path, char **digest, st_error_t *err);

/* Sweep dead temp dirs, then make `tmp` (a mkdtemp template under
 * STORE/tmp/ whose name starts with "import-", so a later sweep finds it
 * when we are killed) and flock it: *lock_fd holds it until closed. */
int img_import_tmpdir(const struct img_store *s, char *tmp, int *lock_fd, st_error_t *err);

#endif
