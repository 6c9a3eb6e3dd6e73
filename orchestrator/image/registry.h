/* Pull an image from an OCI distribution registry (Docker Hub, a registry
 * of one's own) into the store.
 *
 * Transport: HTTPS.  Plain HTTP only to a loopback registry (localhost,
 * 127.0.0.0/8, ::1) or one the stack marks `insecure: true`, and only
 * after HTTPS failed, as Docker does for its insecure registries; to any
 * other registry no plain-HTTP request is ever sent.  `insecure` also
 * skips the TLS certificate check.  Redirects (blob stores) stay on HTTPS
 * unless the registry itself is allowed HTTP.
 * Auth: anonymous; a `WWW-Authenticate: Bearer` challenge answered with a
 * token from its realm; `Basic`.  Credentials come from a Docker-style
 * config.json (`auths.HOST.auth`, base64 of user:password) and are sent
 * only to the registry and its token realm.
 * Content: an image index / manifest list is resolved to its linux/amd64
 * manifest; layers may be plain, gzip or zstd tars (libarchive detects
 * which).  Every blob (manifest, config, layer) is hashed while it
 * downloads and refused unless it has the digest and size its descriptor
 * says; a layer is imported with devices refused (img_import_layer) and
 * libarchive's protections ("..", absolute names, writes through links).
 * Limits: a manifest or config is at most IMG_REGISTRY_MAX_JSON bytes, a
 * layer blob at most IMG_REGISTRY_MAX_LAYER (its descriptor is refused
 * before any byte of it is fetched).
 * Sharing: a layer blob pulled once is recorded under blobs/layers/ (blob
 * digest -> layer id), so no image pulls it again; the layer itself is
 * stored once by its content (store.h). */
#ifndef STACK_IMAGE_REGISTRY_H
#define STACK_IMAGE_REGISTRY_H

#include "image/store.h"
#include "util/error.h"

#include <stdbool.h>
#include <stdio.h>

#define IMG_REGISTRY_MAX_JSON (4 << 20)
#define IMG_REGISTRY_MAX_LAYER (8LL << 30)

struct img_pull_opts {
	bool insecure;		   /* the base's `insecure: true` */
	const char *docker_config; /* a config.json with credentials, or NULL */
	FILE *progress;		   /* where progress goes (NULL: nowhere) */
	bool progress_tty;	   /* redraw one line, else one line per event */
};

/* Pull `ref` (normalized: spec_ref_normalize) and write it to the store
 * as the image named `ref`; *out gets it.  On any failure nothing but the
 * store's tmp/ (swept) and already verified layers was written. */
int img_registry_pull(const struct img_store *s, const char *ref, const struct img_pull_opts *o,
		      struct img_image *out, st_error_t *err);

/* Push the store's image `name` to `ref` (normalized) as an OCI image:
 * each layer is its canonical tar, uncompressed (so a blob's digest is the
 * layer id and the config's diff id: the same image pushes the same
 * digests every time), the config blob as stored, then an OCI manifest.
 * A blob the registry has already (HEAD) is not uploaded.  `digest` gets
 * the manifest's digest.  Transport and auth as for a pull (tokens are
 * asked for pull,push). */
int img_registry_push(const struct img_store *s, const char *name, const char *ref, const struct img_pull_opts *o,
		      char digest[IMG_DIGEST_LEN], st_error_t *err);

#endif
