/* Variable interpolation as the Compose spec defines it:
 * ${V} $V ${V:-d} ${V-d} ${V:?err} ${V?err} ${V:+alt} ${V+alt} $$ (nested
 * defaults allowed).  Applied to values only, never to mapping keys. */
#ifndef STACK_SPEC_INTERP_H
#define STACK_SPEC_INTERP_H

#include "spec/model.h"
#include "spec/node.h"
#include "util/diag.h"

/* Where variables come from: the process environment wins over the .env
 * file beside the stack file. */
struct spec_env {
	char **environ;              /* NULL-terminated KEY=VALUE, or NULL */
	struct spec_kvlist dotenv;   /* from PROJECT_DIR/.env, may be empty */
};

const char *spec_env_get(const struct spec_env *env, const char *name);

/* Interpolate one string.  Returns 0 and *out (malloc'd), or -1 and *errmsg
 * (malloc'd) e.g. "required variable DB_PASS is missing a value: set it". */
int spec_interpolate(const char *in, const struct spec_env *env, char **out, char **errmsg);

/* The same with any source of variables (the .env parser looks at earlier
 * keys of its own file first).  lookup returns NULL for an unset variable. */
typedef const char *(*spec_lookup_fn)(void *ctx, const char *name);
int spec_interpolate_fn(const char *in, spec_lookup_fn lookup, void *ctx, char **out, char **errmsg);

/* Interpolate every scalar value of a tree in place; errors carry the node's position. */
int spec_interpolate_tree(struct spec_node *root, const struct spec_env *env, struct diag_list *diags);

#endif
