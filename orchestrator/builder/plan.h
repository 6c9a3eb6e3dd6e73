/* Build order: each image's FROM lines → edges → DAG → topological levels. */
#ifndef STACK_BUILDER_PLAN_H
#define STACK_BUILDER_PLAN_H

#include "builder/dockerfile.h"
#include "spec/model.h"
#include "util/diag.h"

#include <stdbool.h>
#include <stdio.h>

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
	/* Additions (plan): */
	bool copy;    /* a COPY --from= or RUN --mount=from= rather than a FROM */
	size_t index; /* IMAGE: index in plan->nodes; BASE: index in stack->bases,
	               * or, from stack->n_bases on, in plan->pulls (see there);
	               * STAGE: index of the stage in the Dockerfile */
};

struct build_node {
	const struct spec_image *image;
	struct df_file *dockerfile;
	struct build_from *froms; /* FROMs and --from= of the stages the target needs, in file order */
	size_t n_froms;
	size_t *deps; /* indexes of nodes this one builds FROM */
	size_t n_deps;
	int level;    /* 0: depends on no stack image */
};

/* A registry image a Dockerfile names that the stack has no base for:
 * docker would pull it. */
struct build_pull {
	char *name; /* as written, after ARG substitution */
	char *ref;  /* normalized */
};

struct build_plan {
	struct build_node *nodes; /* same order as stack->images */
	size_t n;
	int n_levels;
	/* The bases the stack lacks, in the order they were first named: base
	 * index stack->n_bases + i is pulls[i], so that appending them to the
	 * stack (build_plan_add_bases) makes every BASE index one of
	 * stack->bases. */
	struct build_pull *pulls;
	size_t n_pulls;
};

/* Parse every image's Dockerfile, resolve FROMs, order.  The stack is only
 * read: registry references become plan->pulls.  A cycle is reported as
 * `a -> b -> a` with the FILE:LINE of each FROM. */
int build_plan_make(const struct spec_stack *stack, struct build_plan **out, struct diag_list *diags);
/* Add plan->pulls to the stack as implicit `pull:` bases (what `stack
 * config` shows); call once, on the stack the plan was made from. */
void build_plan_add_bases(const struct build_plan *p, struct spec_stack *stack);
void build_plan_free(struct build_plan *p);

/* The order as `stack config --build-order` prints it: one line per level,
 *     python3-pip3
 *     flask112 other
 * images of a level (which can build in parallel) in stack file order. */
void build_plan_print(const struct build_plan *p, FILE *out);

/* Append BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT and their TARGET*
 * twins for this host to `vars`, as BuildKit defines them in the global
 * scope of every build; the planner and the executor share them so both
 * expand FROM lines alike. */
void build_platform_args(struct spec_kvlist *vars);

/* Expand one Dockerfile word as BuildKit does for FROM and COPY --from:
 * $V ${V} ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m}, quotes removed,
 * `escape` ('\\' or '`') escaping.  A key with a NULL value in `vars` is set
 * to "" (a declared ARG without value); later entries win.  Returns 0 and
 * *out, or -1 and *errmsg (both malloc'd). */
int build_expand_word(const char *word, char escape, const struct spec_kvlist *vars, char **out, char **errmsg);

#endif
