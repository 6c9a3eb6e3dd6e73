/* The canonical tar of a layer directory, shared by the export, the
 * import (whose layer id is this tar's digest) and the commit of an
 * overlay upper dir.  Internal to image/. */
#ifndef STACK_IMAGE_LAYER_TAR_H
#define STACK_IMAGE_LAYER_TAR_H

#include "util/error.h"
#include "util/sha256.h"

/* The xattr by which overlayfs marks a directory opaque (its lower
 * directories' entries are hidden), and the OCI file that says so. */
#define IMG_OPAQUE_XATTR "trusted.overlay.opaque"
#define IMG_WH_PREFIX ".wh."
#define IMG_WH_META_PREFIX ".wh..wh."
#define IMG_WH_OPAQUE ".wh..wh..opq"

/* The only extended attribute a layer keeps (file capabilities, as
 * Docker's layers do): anything else (SELinux labels, user.*, ACLs) would
 * make the same content hash differently from one host to the next. */
#define IMG_KEPT_XATTR "security.capability"

/* Write the canonical tar of the directory `dir_fd` to `out_fd` (-1: only
 * hash it) and put its sha256 in `hex`.  `what` names the directory in
 * errors.  libarchive must be loaded (img_archive_load). */
int img_layer_tar(int dir_fd, const char *what, int out_fd, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err);

#endif
