/* The registry client's parts (image/registry_*.c).  Internal to image/. */
#ifndef STACK_IMAGE_REGISTRY_INT_H
#define STACK_IMAGE_REGISTRY_INT_H

#include "image/registry.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strv.h"

#include "util/progress.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* "127.0.0.1:5000/a/b:tag" or ".../a/b@sha256:HEX", split. */
struct reg_ref {
	char *host;	 /* as written: "docker.io", "127.0.0.1:5000" */
	char *api_host;	 /* where the API is: registry-1.docker.io for docker.io */
	char *repo;	 /* "library/debian" */
	char *reference; /* the tag or the digest */
};

int reg_ref_parse(const char *ref, struct reg_ref *out, st_error_t *err);
void reg_ref_free(struct reg_ref *r);
/* localhost, 127.0.0.0/8 or [::1], with or without a port. */
bool reg_host_is_loopback(const char *host);

/* What a response body goes to: memory (at most `limit` bytes) or a file
 * (at most `limit` bytes, hashed on the way). */
struct reg_sink {
	struct strbuf *mem;
	int fd;
	struct st_sha256 *md;
	int64_t limit;
	int64_t got;
	bool over; /* more than `limit` came: the transfer was stopped */
	int write_errno;
	void (*progress)(void *ctx, int64_t got);
	void *progress_ctx;
};

struct reg_client {
	void *curl; /* CURL *, reused: its connection cache keeps the connection */
	struct reg_ref ref;
	bool insecure;	 /* TLS unchecked, plain HTTP after HTTPS failed */
	bool http_ok;	 /* loopback or insecure: plain HTTP may be tried */
	bool plain_http; /* HTTPS failed and HTTP answered: stay there */
	char *basic;	 /* base64 user:password for this registry, or NULL */
	char *authz;	 /* "Authorization: ..." once a challenge was answered */
	char *content_type; /* of the last response */
	char *challenge;    /* WWW-Authenticate of the last response */
	char *location;	    /* Location of the last response (an upload's URL) */
	bool push;	    /* tokens are asked for pull,push */
	long requests;	    /* HTTP requests sent, for the progress */
};

int reg_client_open(struct reg_client *c, const char *ref, const struct img_pull_opts *o, st_error_t *err);
void reg_client_close(struct reg_client *c);

/* A request: its method, headers and body (memory, or a file from its
 * start), and where a 2xx response's body goes. */
struct reg_req {
	const char *method; /* "GET" (NULL), "HEAD", "POST", "PUT" */
	const char *accept;
	const char *content_type;
	const void *body; /* a body in memory ... */
	size_t body_len;
	int body_fd;	  /* ... or in a file (-1: none; 0 is never one here) */
	int64_t body_size;
	struct reg_sink *sink;
};

/* METHOD /v2/<repo>/<what> (e.g. "manifests/latest", "blobs/sha256:..."),
 * or `what` itself when it is a URL of the registry (an upload's
 * Location), answering an auth challenge once.  Returns the HTTP status
 * (200 ...) or -1; a non-2xx status also sets *err with the server's words. */
long reg_call(struct reg_client *c, const char *what, const struct reg_req *rq, st_error_t *err);
/* reg_call of a GET. */
long reg_get(struct reg_client *c, const char *what, const char *accept, struct reg_sink *sink, st_error_t *err);

/* The lower layer: one request to a full URL with the client's headers;
 * the status, -1 (a transport failure, with curl's reason), or -2 (TLS
 * failed: perhaps not HTTPS). */
long reg_http(struct reg_client *c, const char *url, const char *authz, const struct reg_req *rq, st_error_t *err);
long reg_http_get(struct reg_client *c, const char *url, const char *authz, const char *accept,
		  struct reg_sink *sink, st_error_t *err);

/* Answer the last response's WWW-Authenticate challenge: set c->authz.
 * 0: answered (retry), -1: cannot (the error says why and what to do). */
int reg_auth_answer(struct reg_client *c, st_error_t *err);
/* The base64 credentials for `host` in a Docker config.json, or NULL. */
char *reg_auth_from_config(const char *config_path, const char *host, st_error_t *err);

/* A descriptor of a manifest. */
struct reg_desc {
	char *media_type;
	char *digest; /* "sha256:<64 hex>", checked */
	int64_t size;
};

struct reg_manifest {
	struct reg_desc config;
	struct reg_desc *layers;
	size_t n_layers;
};

/* The manifest (or index) in `body`: `media_type` from the response's
 * Content-Type or the document's own mediaType.  For an index, *platform
 * gets the linux/amd64 manifest's digest and *m is left empty. */
int reg_manifest_parse(const char *body, size_t len, const char *content_type, struct reg_manifest *m,
		       char **platform, st_error_t *err);
void reg_manifest_free(struct reg_manifest *m);
/* Progress of a pull on a terminal or as plain lines (registry_progress.c). */
struct reg_progress {
	FILE *out;
	bool tty;
	struct st_progress *pr; /* the renderer (util/progress.h) lines and the row go through */
	const char *ref;
	size_t layer, n_layers;
	int64_t done, total;	  /* bytes of the manifest's layers */
	int64_t fetched;	  /* of those, downloaded (not already pulled) */
	int64_t layer_got;	  /* of the one downloading */
	struct timespec start, last;
};

void reg_progress_begin(struct reg_progress *p, FILE *out, bool tty, const char *ref, size_t n_layers,
			int64_t total);
void reg_progress_bytes(void *p, int64_t layer_got);
/* A layer is done: `fetched` it was downloaded now, else it had been. */
void reg_progress_layer(struct reg_progress *p, const struct reg_desc *d, bool fetched);
void reg_progress_line(struct reg_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reg_progress_end(struct reg_progress *p);
/* Release the renderer (after end, or on failure; safe twice). */
void reg_progress_free(struct reg_progress *p);

/* Fetch blob `d` to a file in the work dir `dir`, hashed and sized as
 * `d` says: *path gets it. */
int reg_blob_fetch(struct reg_client *c, const struct reg_desc *d, const char *dir, struct reg_progress *p,
		   char **path, st_error_t *err);
/* A downloaded layer, uncompressed in one pass before it is extracted:
 * refused unless its digest is `diff_id` (the config's word for it) and
 * it unpacks to at most img_unpack_limit of its size (oci_source.h). */
int reg_layer_check(const char *path, const struct reg_desc *d, const char *diff_id, st_error_t *err);
/* Fetch a JSON blob (config) into memory, verified. */
int reg_blob_fetch_json(struct reg_client *c, const struct reg_desc *d, char **body, size_t *len,
			st_error_t *err);

#endif
