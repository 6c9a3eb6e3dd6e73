/* Load a shared library on first use and resolve a table of its symbols.
 *
 * Libraries that only some commands need (libarchive for imports, libcrypto
 * for content digests) are not linked: loading them costs every `stack`
 * invocation 0.6-1.3 ms, container start included.  systemd loads its
 * optional heavy libraries the same way. */
#ifndef STACK_UTIL_DL_H
#define STACK_UTIL_DL_H

#include "util/error.h"

#include <stddef.h>

struct st_dl_sym {
	const char *name;
	void **ptr; /* where the function pointer is stored, cast through void ** */
};

/* dlopen(soname) once (*handle caches it) and fill every ptr; on a missing
 * library or symbol nothing is filled and the error says which. */
int st_dl_load(const char *soname, const char *package, const struct st_dl_sym *syms, size_t n, void **handle,
	       st_error_t *err);

#endif
