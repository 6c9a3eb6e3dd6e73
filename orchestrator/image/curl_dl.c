#include "image/curl_dl.h"
#include "util/dl.h"
#include "util/mem.h"

struct img_curl_api lc;

#define IMG_CURL_SYM(sym) {#sym, (void **)&lc.sym},
static const struct st_dl_sym curl_syms[] = {IMG_CURL_SYMBOLS(IMG_CURL_SYM)};
#undef IMG_CURL_SYM

/* curl_global_init is not thread-safe before 7.84: st_dl_load runs this
 * under its lock, once. */
static void curl_on_load(void)
{
	lc.curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Debian's libcurl4 (OpenSSL): the soname libcurl4-openssl-dev links. */
static struct st_dl_lib curl_lib = {
	.soname = "libcurl.so.4",
	.package = "libcurl4",
	.syms = curl_syms,
	.n_syms = ARRAY_SIZE(curl_syms),
	.on_load = curl_on_load,
};

int img_curl_load(st_error_t *err)
{
	return st_dl_load(&curl_lib, err);
}
