/* depends_on, and what can only be checked once every service is known:
 * unknown or self dependencies, and cycles. */
#include "spec/load_internal.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static const char *const dep_keys[] = {"condition", "restart", "required"};

static void add_dep(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *at, const char *name,
		    struct spec_depends dep)
{
	for (size_t i = 0; i < sv->n_depends_on; i++) {
		if (strcmp(sv->depends_on[i].service, name) == 0) {
			ld_error(ld, at, "service `%s` depends on `%s` twice", sv->name, name);
			return;
		}
	}
	dep.service = xstrdup(name);
	dep.pos = ld_pos(ld, at);
	sv->depends_on = xrealloc(sv->depends_on, (sv->n_depends_on + 1) * sizeof(*sv->depends_on));
	sv->depends_on[sv->n_depends_on++] = dep;
}

void ld_depends_on(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (n->type == SPEC_NODE_SEQ) {
		for (size_t i = 0; i < n->n_items; i++) {
			const char *s;
			if (ld_string(ld, n->items[i], "depends_on", &s))
				add_dep(ld, sv, n->items[i], s,
					(struct spec_depends){.condition = SPEC_DEP_STARTED, .required = true});
		}
		return;
	}
	if (n->type != SPEC_NODE_MAP) {
		ld_error(ld, n, "`depends_on`: expected a list or a mapping, got %s", spec_node_type_name(n));
		return;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key, *v = n->pairs[i].value, *c;
		struct spec_depends dep = {.condition = SPEC_DEP_STARTED, .required = true};
		if (!spec_node_is_null(v)) {
			if (!ld_is_map(ld, v, "depends_on.SERVICE"))
				continue;
			ld_check_keys(ld, v, dep_keys, ARRAY_SIZE(dep_keys), "depends_on");
			if ((c = ld_get(v, "condition")) && ld_is_scalar(ld, c, "condition")) {
				if (strcmp(c->scalar, "service_started") == 0) {
					dep.condition = SPEC_DEP_STARTED;
				} else if (strcmp(c->scalar, "service_healthy") == 0) {
					dep.condition = SPEC_DEP_HEALTHY;
				} else if (strcmp(c->scalar, "service_completed_successfully") == 0) {
					dep.condition = SPEC_DEP_COMPLETED;
				} else {
					struct diag *d = ld_error(ld, c, "`condition`: unknown condition `%s`", c->scalar);
					diag_hint(d, "use service_started, service_healthy or service_completed_successfully");
				}
			}
			if ((c = ld_get(v, "restart")))
				ld_bool(ld, c, "depends_on.restart", &dep.restart);
			if ((c = ld_get(v, "required")))
				ld_bool(ld, c, "depends_on.required", &dep.required);
		}
		add_dep(ld, sv, k, k->scalar, dep);
	}
}

static ssize_t service_index(const struct spec_stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_services; i++)
		if (strcmp(s->services[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

enum { WHITE, GREY, BLACK };

/* Depth-first search; a grey target is a back edge, i.e. a cycle made of the
 * services on the path from it to here. */
static void find_cycles(struct spec_loader *ld, size_t at, int *color, size_t *path, size_t depth)
{
	struct spec_stack *s = ld->stack;
	color[at] = GREY;
	path[depth] = at;
	struct spec_service *sv = &s->services[at];
	for (size_t i = 0; i < sv->n_depends_on; i++) {
		ssize_t t = service_index(s, sv->depends_on[i].service);
		if (t < 0 || (size_t)t == at)
			continue;
		if (color[t] == GREY) {
			size_t from = depth;
			while (path[from] != (size_t)t)
				from--;
			char *cycle = xstrdup(s->services[t].name);
			for (size_t j = from + 1; j <= depth; j++) {
				char *c = xasprintf("%s -> %s", cycle, s->services[path[j]].name);
				free(cycle);
				cycle = c;
			}
			/* Point at the edge that closes the cycle. */
			const struct spec_pos *p = &sv->depends_on[i].pos;
			struct diag *d = ld_error_at(ld, p, "depends_on cycle: %s -> %s", cycle, s->services[t].name);
			diag_hint(d, "services cannot wait for each other; remove one of these dependencies");
			free(cycle);
		} else if (color[t] == WHITE) {
			find_cycles(ld, (size_t)t, color, path, depth + 1);
		}
	}
	color[at] = BLACK;
}

bool ld_check_depends(struct spec_loader *ld)
{
	struct spec_stack *s = ld->stack;
	const char **names = xcalloc(s->n_services, sizeof(*names));
	for (size_t i = 0; i < s->n_services; i++)
		names[i] = s->services[i].name;
	bool bad = false;
	for (size_t i = 0; i < s->n_services; i++) {
		struct spec_service *sv = &s->services[i];
		for (size_t j = 0; j < sv->n_depends_on; j++) {
			struct spec_depends *dep = &sv->depends_on[j];
			if (strcmp(dep->service, sv->name) == 0) {
				ld_error_at(ld, &dep->pos, "service `%s` depends on itself", sv->name);
				bad = true;
			} else if (service_index(s, dep->service) < 0) {
				struct diag *d = ld_error_at(ld, &dep->pos, "service `%s` depends on unknown service `%s`",
							   sv->name, dep->service);
				const char *sug = spec_suggest(dep->service, (const char *const *)names, s->n_services);
				if (sug)
					diag_hint(d, "did you mean `%s`?", sug);
				bad = true;
			}
		}
	}
	free(names);
	if (s->n_services) {
		int *color = xcalloc(s->n_services, sizeof(*color));
		size_t *path = xcalloc(s->n_services, sizeof(*path));
		for (size_t i = 0; i < s->n_services; i++)
			if (color[i] == WHITE)
				find_cycles(ld, i, color, path, 0);
		free(color);
		free(path);
	}
	return !bad;
}
