/* Shared between plan*.c only: one Dockerfile's stages and the names it
 * builds on, before they become a build_node. */
#ifndef STACK_BUILDER_PLAN_INTERNAL_H
#define STACK_BUILDER_PLAN_INTERNAL_H

#include "builder/plan.h"

struct planner {
	const struct spec_stack *stack;
	struct diag_list *diags;
	struct build_plan *plan;
	char *cwd;    /* for shorter paths in messages */
	char **paths; /* per image: the Dockerfile as named in messages */
};

/* A name a stage builds on: its FROM, or a COPY --from / RUN --mount from=. */
struct plan_use {
	size_t stage; /* the stage it appears in */
	int line;
	bool copy;
	char *name; /* after expansion */
	enum build_from_kind kind;
	size_t index;  /* see build_from.index */
	bool resolved; /* false after an error, or while a --from waits for all stage names */
	bool registry; /* BASE that the stack does not define: an implicit pull base */
	char *ref;     /* registry: the normalized reference */
};

struct plan_stage {
	char *name; /* lower-case AS name, or NULL */
	int line;
	bool reachable;
};

struct plan_dockerfile {
	struct df_file *df;
	struct plan_stage *stages;
	size_t n_stages;
	struct plan_use *uses;
	size_t n_uses, cap_uses;
	size_t target; /* stage index */
};

const char *plan_display_path(const struct planner *pl, const char *path);
/* Parse image i's Dockerfile and find its stages and uses; errors go to
 * pl->diags.  Returns -1 when the image cannot be planned. */
int plan_analyse(struct planner *pl, size_t i, struct plan_dockerfile *a);
void plan_dockerfile_free(struct plan_dockerfile *a);
/* A name that is not a stage or scratch: a stack image, a base, or a
 * registry reference (u->registry, u->ref).  -1 and *err when malformed. */
int plan_resolve_ref(const struct planner *pl, const char *name, struct plan_use *u, char **err);
/* The base index (see build_from.index) of the pull base for `ref`: a
 * base of the stack for the same image, or a pull of the plan, added if
 * missing. */
size_t plan_implicit_base(struct planner *pl, const char *name, const char *ref);

#endif
