/* The digest of what a layer blob unpacks to (its diff id), within the
 * decompression-bomb limit (oci_source.h): the one check of a layer that
 * `oci:` bases (import_oci.c) and registry pulls (registry_blob.c) share.
 * Internal to image/. */
#ifndef STACK_IMAGE_LAYER_UNPACK_H
#define STACK_IMAGE_LAYER_UNPACK_H

#include "image/archive_dl.h"
#include "util/sha256.h"

#include <stdint.h>

struct img_layer_in {
	const char *what;	/* names the layer in errors ("layer sha256:...") */
	int64_t size;		/* its size as stored: the base of the bomb limit */
	const char *path;	/* the blob's file; NULL: read with `read` */
	archive_read_callback *read;
	void *ctx;		/* read's */
	const int *read_errno;	/* the errno of read's failure (EINTR: a stop signal), or NULL */
};

/* Decompress the layer (any filter libarchive knows, or none) and put the
 * sha256 of its bytes in hex; more than img_unpack_limit(size) bytes is
 * refused as a decompression bomb. */
int img_layer_unpacked_hex(const struct img_layer_in *in, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err);

#endif
