/* Load a shared library on first use and resolve a table of its symbols.
 *
 * Libraries that only some commands need (libarchive for imports, libcrypto
 * for content digests) are not linked: loading them costs every `stack`
 * invocation 0.6-1.3 ms, container start included.  systemd loads its
 * optional heavy libraries the same way. */
#ifndef STACK_UTIL_DL_H
#define STACK_UTIL_DL_H

#include "util/error.h"

#include <stdatomic.h>
#include <stddef.h>

struct st_dl_sym {
	const char *name;
	void **ptr; /* where the function pointer is stored, cast through void ** */
};

/* One library, a static of the module that calls it (see util/sha256.c).
 * The builder and the supervisor call in from many threads, so the first
 * load is serialised and the library counts as loaded only once every ptr
 * is filled and on_load has run. */
struct st_dl_lib {
	const char *soname;
	const char *package; /* Debian's, named in the error when it is missing */
	const struct st_dl_sym *syms;
	size_t n_syms;
	void (*on_load)(void); /* NULL, or one-time set-up after the symbols are filled */
	void *_Atomic handle;  /* set last, by st_dl_load */
};

/* dlopen(lib->soname) once and fill every ptr; on a missing library or
 * symbol nothing is filled, the error says which, and a later call tries
 * again.  Thread-safe.  A child forked while another thread is loading must
 * not call it (the lock is held in the parent's copy): load before fork. */
int st_dl_load(struct st_dl_lib *lib, st_error_t *err);

#endif
