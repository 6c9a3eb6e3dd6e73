/* Loading a stack: file lookup, YAML → node tree → model, validation. */
#ifndef STACK_SPEC_SPEC_H
#define STACK_SPEC_SPEC_H

#include "spec/model.h"
#include "util/diag.h"

#include <stdio.h>

struct spec_load_opts {
	struct strv files;        /* -f, in order; empty: look up stack.yaml ... in cwd */
	const char *project_name; /* -p, or NULL */
	const char *workdir;      /* NULL: getcwd() */
	char **environ;           /* NULL: the process environment */
	struct strv profiles;     /* --profile; services with profiles need one of these */
};

/* Load, interpolate, merge, validate.  Returns 0 and a stack, or -1 with
 * every problem in diags (nothing is written anywhere either way). */
int spec_load(const struct spec_load_opts *opts, struct spec_stack **out, struct diag_list *diags);

/* Split a command line into words as a POSIX shell would (quotes,
 * backslashes; no expansion), as compose does for string commands. */
int spec_shell_split(const char *s, struct strv *out, char **errmsg);

enum spec_dump_format { SPEC_DUMP_YAML, SPEC_DUMP_JSON };
/* The resolved, normalized stack as `stack config` prints it.  Secret
 * values are never printed. */
int spec_dump(const struct spec_stack *s, enum spec_dump_format fmt, FILE *out);

#endif
