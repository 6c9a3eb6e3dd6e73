/* SHA-256 with OpenSSL's libcrypto, loaded on first use (util/dl.h): the
 * container start path never needs a digest, so it never pays for loading
 * libcrypto. */
#ifndef STACK_UTIL_SHA256_H
#define STACK_UTIL_SHA256_H

#include "util/error.h"

#include <stddef.h>

#define ST_SHA256_HEX_LEN 64

struct st_sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int st_sha256_begin(struct st_sha256 *h, st_error_t *err);
void st_sha256_update(struct st_sha256 *h, const void *data, size_t len);
/* Finish into hex (NUL-terminated) and release the context. */
void st_sha256_end_hex(struct st_sha256 *h, char hex[ST_SHA256_HEX_LEN + 1]);
/* The digest of data[0..len) in one call. */
int st_sha256_hex(const void *data, size_t len, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err);
/* Release without finishing (error paths); safe on a zeroed struct. */
void st_sha256_abort(struct st_sha256 *h);

#endif
