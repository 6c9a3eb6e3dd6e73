/* Which stack files to load, and the project's name. */
#ifndef STACK_SPEC_LOOKUP_H
#define STACK_SPEC_LOOKUP_H

#include "spec/spec.h"
#include "util/diag.h"
#include "util/strv.h"

/* The file names looked for in the working directory, in order. */
extern const char *const spec_default_files[];
extern const size_t spec_n_default_files;

/* -f files (relative to workdir; "-" is stdin), else the first default file
 * found in workdir.  names: as the user named them (for messages; stdin is
 * "<stdin>"), paths: absolute ("-" for stdin).  Returns -1 with a diagnostic
 * when there is nothing to load. */
int spec_lookup_files(const struct strv *files, const char *workdir, struct strv *names, struct strv *paths,
		      struct diag_list *diags);

/* Compose's normalization of a directory name: lower-case, only [a-z0-9_-],
 * leading '_' and '-' removed.  May return "" (caller reports). */
char *spec_project_name_normalize(const char *raw);
/* A name given by -p or name: must already be normal, and at most
 * SPEC_NAME_MAX (spec/names.h) bytes: it names STACK_RUN/PROJECT. */
bool spec_project_name_valid(const char *name);

#endif
