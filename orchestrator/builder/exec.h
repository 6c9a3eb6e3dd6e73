/* Building one image of the stack: its Dockerfile's stages, instruction by
 * instruction, each step looked up in the build cache first (cache.h). */
#ifndef STACK_BUILDER_EXEC_H
#define STACK_BUILDER_EXEC_H

#include "builder/digest.h"
#include "builder/plan.h"
#include "image/store.h"
#include "spec/model.h"
#include "util/error.h"
#include "util/paths.h"

#include <stdbool.h>
#include <stdint.h>

/* What the executor reports, from the thread that builds the image. */
struct build_events {
	/* A step finished: n of total, its instruction as shown, from the
	 * cache or after ms milliseconds. */
	void (*step)(void *data, const char *image, int n, int total, const char *text, bool cached, int64_t ms);
	/* A step starts (may be NULL). */
	void (*step_begin)(void *data, const char *image, int n, int total, const char *text);
	/* A line of a RUN step's output. */
	void (*output)(void *data, const char *image, const char *line, size_t len);
	void *data;
};

struct build_image_ctx {
	const struct st_paths *paths;
	const struct spec_stack *stack;
	const struct build_plan *plan;
	const struct img_store *store;
	size_t node; /* index in plan->nodes */
	bool no_cache, pull;
	struct build_digests *digests; /* of the image's context */
	const struct build_events *ev;
};

/* Build it and store it under its name.  Errors name the Dockerfile:LINE
 * and the instruction; a RUN that failed gives its exit status. */
int build_image(const struct build_image_ctx *cx, st_error_t *err);

#endif
