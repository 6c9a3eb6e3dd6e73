/* Image references, as the docker reference grammar defines them:
 *   [DOMAIN[:PORT]/]PATH[:TAG][@ALGO:HEX]
 * PATH is lower-case components ([a-z0-9]+ joined by ., _, __ or -+)
 * separated by '/'; a first component with a '.' or ':' or equal to
 * "localhost" is the registry domain. */
#ifndef STACK_SPEC_REF_H
#define STACK_SPEC_REF_H

#include <stdbool.h>

/* Validate and normalize: docker.io when no domain, library/ for
 * single-component Docker Hub names, :latest when neither tag nor digest.
 * Returns 0 and *out (malloc'd), or -1 and *errmsg (malloc'd). */
int spec_ref_normalize(const char *ref, char **out, char **errmsg);

/* A valid reference (as spec_ref_normalize accepts), not normalized. */
bool spec_ref_valid(const char *ref, char **errmsg);

/* A name for an image built by the stack: PATH components only (no
 * domain, tag or digest), lower-case.  Returns false and *errmsg if not. */
bool spec_image_name_valid(const char *name, char **errmsg);

#endif
