/* .env and env_file parsing, as docker compose reads them: KEY=VALUE lines,
 * `export ` prefix, # comments, single quotes literal, double quotes with
 * escapes and ${VAR} interpolation of earlier keys/the environment,
 * unquoted values with trailing comments, KEY alone (no value). */
#ifndef STACK_SPEC_DOTENV_H
#define STACK_SPEC_DOTENV_H

#include "spec/interp.h"
#include "spec/model.h"
#include "util/diag.h"

/* Parse text into out (appending/replacing keys).  env may be NULL (no interpolation
 * beyond earlier keys of the same file).  Errors: FILE:LINE:COL. */
int spec_dotenv_parse(const char *file, const char *text, size_t len, const struct spec_env *env,
		      struct spec_kvlist *out, struct diag_list *diags);

#endif
