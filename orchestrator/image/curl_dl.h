/* libcurl, loaded on first use (util/dl.h), as libarchive is: only a pull
 * or a push needs HTTP, and linking it (with its TLS stack) would make
 * every `stack` invocation, container start included, load it. */
#ifndef STACK_IMAGE_CURL_DL_H
#define STACK_IMAGE_CURL_DL_H

#include "util/error.h"

/* Its type-checking macros would rewrite lc.curl_easy_setopt(...) calls. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#define IMG_CURL_SYMBOLS(X)                                                                  \
	X(curl_global_init)                                                                  \
	X(curl_easy_init)                                                                    \
	X(curl_easy_cleanup)                                                                 \
	X(curl_easy_reset)                                                                   \
	X(curl_easy_setopt)                                                                  \
	X(curl_easy_perform)                                                                 \
	X(curl_easy_getinfo)                                                                 \
	X(curl_easy_strerror)                                                                \
	X(curl_slist_append)                                                                 \
	X(curl_slist_free_all)                                                               \
	X(curl_easy_escape)                                                                  \
	X(curl_free)

struct img_curl_api {
#define IMG_CURL_FIELD(sym) __typeof__(sym) *sym;
	IMG_CURL_SYMBOLS(IMG_CURL_FIELD)
#undef IMG_CURL_FIELD
};

extern struct img_curl_api lc;

/* Load libcurl, resolve the table and run curl_global_init once;
 * idempotent and thread-safe. */
int img_curl_load(st_error_t *err);

#endif
