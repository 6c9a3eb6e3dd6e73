#include "util/sha256.h"
#include "util/dl.h"
#include "util/mem.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>

static struct {
	__typeof__(OPENSSL_init_crypto) *init;
	__typeof__(EVP_sha256) *sha256;
	__typeof__(EVP_MD_CTX_new) *ctx_new;
	__typeof__(EVP_MD_CTX_free) *ctx_free;
	__typeof__(EVP_DigestInit_ex) *init_ex;
	__typeof__(EVP_DigestUpdate) *update;
	__typeof__(EVP_DigestFinal_ex) *final_ex;
} crypto;

/* A digest needs no openssl.cnf; reading it costs a file parse. */
static void crypto_on_load(void)
{
	crypto.init(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

static const struct st_dl_sym crypto_syms[] = {
	{"OPENSSL_init_crypto", (void **)&crypto.init},
	{"EVP_sha256", (void **)&crypto.sha256},
	{"EVP_MD_CTX_new", (void **)&crypto.ctx_new},
	{"EVP_MD_CTX_free", (void **)&crypto.ctx_free},
	{"EVP_DigestInit_ex", (void **)&crypto.init_ex},
	{"EVP_DigestUpdate", (void **)&crypto.update},
	{"EVP_DigestFinal_ex", (void **)&crypto.final_ex},
};

static struct st_dl_lib crypto_lib = {
	.soname = "libcrypto.so.3",
	.package = "libssl3",
	.syms = crypto_syms,
	.n_syms = ARRAY_SIZE(crypto_syms),
	.on_load = crypto_on_load,
};

int st_sha256_begin(struct st_sha256 *h, st_error_t *err)
{
	h->ctx = NULL;
	if (st_dl_load(&crypto_lib, err) < 0)
		return -1;
	EVP_MD_CTX *ctx = crypto.ctx_new();
	if (!ctx || crypto.init_ex(ctx, crypto.sha256(), NULL) != 1) {
		if (ctx)
			crypto.ctx_free(ctx);
		return st_error(err, 0, "sha256: OpenSSL could not initialise a digest");
	}
	h->ctx = ctx;
	return 0;
}

void st_sha256_update(struct st_sha256 *h, const void *data, size_t len)
{
	crypto.update(h->ctx, data, len);
}

void st_sha256_end_hex(struct st_sha256 *h, char hex[ST_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	crypto.final_ex(h->ctx, md, &len);
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	st_sha256_abort(h);
}

void st_sha256_abort(struct st_sha256 *h)
{
	if (h->ctx)
		crypto.ctx_free(h->ctx);
	h->ctx = NULL;
}

int st_sha256_hex(const void *data, size_t len, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	struct st_sha256 h;
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	st_sha256_update(&h, data, len);
	st_sha256_end_hex(&h, hex);
	return 0;
}
