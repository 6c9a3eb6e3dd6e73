/* Internals shared by seccomp*.c.  Not for use outside runtime/seccomp*.c. */
#ifndef STACK_RUNTIME_SECCOMP_INTERNAL_H
#define STACK_RUNTIME_SECCOMP_INTERNAL_H

#include "runtime/seccomp.h"

#include <jansson.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* The built-in default profile in Docker's JSON format, compact, built once
 * (static storage; the bytes are part of the cache key). */
const char *sc_default_profile_json(size_t *len);

/* Compile a Docker-format profile (already parsed) for the container's caps
 * into a libseccomp filter.  `label` names the file in errors. */
int sc_compile_profile(json_t *root, uint64_t caps, const char *label, scmp_filter_ctx *out, st_error_t *err);

#endif
