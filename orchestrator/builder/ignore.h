/* .dockerignore, as Docker reads and matches it (moby/patternmatcher):
 * one pattern a line, `#` lines are comments, blanks trimmed, paths
 * cleaned and taken relative to the context root; `*` and `?` match within
 * one path component, `**` any number of components, `[...]` a class,
 * `\` escapes; a line starting with `!` is an exception.  A path is
 * excluded when the last pattern that matches it, or one of its parent
 * directories, is not an exception. */
#ifndef STACK_BUILDER_IGNORE_H
#define STACK_BUILDER_IGNORE_H

#include "util/strv.h"

#include <stdbool.h>

struct build_ignore_pat {
	struct strv parts; /* the pattern's components */
	bool exception;
};

struct build_ignore {
	struct build_ignore_pat *v;
	size_t n;
	bool has_exceptions;
};

void build_ignore_parse(const char *text, struct build_ignore *out);
void build_ignore_free(struct build_ignore *ig);
/* `path` is relative to the context root, cleaned, without a leading /. */
bool build_ignore_excluded(const struct build_ignore *ig, const char *path);

#endif
