/* Build order: each image's FROM lines → edges → DAG → topological levels. */
#ifndef STACK_BUILD_PLAN_H
#define STACK_BUILD_PLAN_H

#include "build/dockerfile.h"
#include "spec/model.h"
#include "util/diag.h"

enum build_from_kind {
	BUILD_FROM_IMAGE,   /* another image of the stack */
	BUILD_FROM_BASE,    /* a bases: entry (explicit or implicit pull) */
	BUILD_FROM_SCRATCH,
	BUILD_FROM_STAGE,   /* an earlier stage of the same Dockerfile */
};

struct build_from {
	char *name; /* after ARG substitution */
	enum build_from_kind kind;
	int line;   /* of the FROM in the Dockerfile */
};

struct build_node {
	const struct spec_image *image;
	struct df_file *dockerfile;
	struct build_from *froms;
	size_t n_froms;
	size_t *deps; /* indexes of nodes this one builds FROM */
	size_t n_deps;
	int level;    /* 0: depends on no stack image */
};

struct build_plan {
	struct build_node *nodes; /* same order as stack->images */
	size_t n;
	int n_levels;
};

/* Parse every image's Dockerfile, resolve FROMs (adding implicit pull bases
 * to the stack for registry references), order.  A cycle is reported as
 * `a -> b -> a` with the FILE:LINE of each FROM. */
int build_plan_make(struct spec_stack *stack, struct build_plan **out, struct diag_list *diags);
void build_plan_free(struct build_plan *p);

#endif
