/* What a FROM name refers to: a stack image (images are tagged `latest`
 * implicitly, so `flask112:latest` is image flask112), a base (matched as
 * docker matches references: `debian`, `debian:latest` and
 * `docker.io/library/debian:latest` are one image), or a registry image. */
#include "builder/plan_internal.h"
#include "spec/ref.h"
#include "util/mem.h"

#include <string.h>

/* The normalized form of a name from the stack file, or NULL if it is not a
 * reference at all (the loader decides whether such names are allowed). */
static char *norm(const char *name)
{
	char *out = NULL, *err = NULL;
	if (spec_ref_normalize(name, &out, &err) < 0) {
		free(err);
		return NULL;
	}
	return out;
}

static bool same_ref(const char *stack_name, const char *ref)
{
	_cleanup_free_ char *n = norm(stack_name);
	return n && !strcmp(n, ref);
}

int plan_resolve_ref(const struct planner *pl, const char *name, struct plan_use *u, char **err)
{
	const struct spec_stack *s = pl->stack;
	*err = NULL;
	u->registry = false;
	u->ref = NULL;
	for (size_t i = 0; i < s->n_images; i++) {
		if (!strcmp(s->images[i].name, name)) {
			u->kind = BUILD_FROM_IMAGE;
			u->index = i;
			return 0;
		}
	}
	for (size_t i = 0; i < s->n_bases; i++) {
		if (!strcmp(s->bases[i].name, name)) {
			u->kind = BUILD_FROM_BASE;
			u->index = i;
			return 0;
		}
	}
	_cleanup_free_ char *ref = NULL;
	if (spec_ref_normalize(name, &ref, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_images; i++) {
		if (same_ref(s->images[i].name, ref)) {
			u->kind = BUILD_FROM_IMAGE;
			u->index = i;
			return 0;
		}
	}
	for (size_t i = 0; i < s->n_bases; i++) {
		if (same_ref(s->bases[i].name, ref)) {
			u->kind = BUILD_FROM_BASE;
			u->index = i;
			return 0;
		}
	}
	u->kind = BUILD_FROM_BASE;
	u->registry = true;
	u->ref = steal_pointer(&ref);
	return 0;
}

size_t plan_implicit_base(struct planner *pl, const char *name, const char *ref)
{
	const struct spec_stack *s = pl->stack;
	struct build_plan *p = pl->plan;
	/* A second FROM naming the same registry image (maybe spelled
	 * differently) shares the first one's base. */
	ssize_t b = spec_find_pull_base(s, name, ref);
	if (b >= 0)
		return (size_t)b;
	for (size_t i = 0; i < p->n_pulls; i++)
		if (!strcmp(p->pulls[i].name, name) || !strcmp(p->pulls[i].ref, ref))
			return s->n_bases + i;
	p->pulls = xrealloc(p->pulls, (p->n_pulls + 1) * sizeof(*p->pulls));
	p->pulls[p->n_pulls] = (struct build_pull){.name = xstrdup(name), .ref = xstrdup(ref)};
	return s->n_bases + p->n_pulls++;
}
