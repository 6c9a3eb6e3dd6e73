/* `stack build`: the images asked for and every image they build FROM, in
 * the plan's order (builder/plan.h), images whose dependencies are built
 * in parallel.  A failing image stops the images built FROM it; the
 * others go on.  A stop signal (util/interrupt.h) stops the build
 * containers and starts nothing new; the store keeps only what finished. */
#ifndef STACK_BUILDER_BUILD_H
#define STACK_BUILDER_BUILD_H

#include "builder/plan.h"
#include "spec/model.h"
#include "util/error.h"
#include "util/paths.h"

#include <stdbool.h>
#include <stdio.h>

enum build_progress {
	BUILD_PROGRESS_PLAIN, /* a line per step, RUN output prefixed with its image */
	BUILD_PROGRESS_QUIET, /* errors only */
	BUILD_PROGRESS_JSON,  /* a JSON object per line: steps, output, results */
	BUILD_PROGRESS_TTY,   /* a live view: running steps redrawn in place (util/progress.h), a summary */
};

struct build_opts {
	const struct st_paths *paths;
	bool no_cache; /* run every step, whatever the cache has */
	bool pull;     /* import bases again */
	enum build_progress progress;
	const bool *wanted; /* per plan node; NULL: all */
	int jobs;           /* images at once; 0: the number of CPUs */
	FILE *out;          /* progress */
	FILE *errors;       /* failures */
};

/* 0 when every image asked for was built; 1 when one failed or was not
 * built because an image it builds FROM failed (each said on o->errors);
 * -1 and *err when the build could not start. */
int build_stack(const struct spec_stack *stack, const struct build_plan *plan, const struct build_opts *o,
		st_error_t *err);

#endif
