/* The build order of a stack's images.
 *
 * Every image's Dockerfile names what it builds on: FROM lines (after ARG
 * substitution, as BuildKit expands them), COPY --from= and RUN
 * --mount=from=.  Each such name is an earlier stage of the same file,
 * `scratch`, another image of the stack, a base, or else a registry image
 * (a pull of the plan, which the caller adds to the stack as an implicit
 * `pull:` base, as docker would pull it; a service's `image:` naming one is
 * the loader's to add).  Only
 * the stages the image's target needs count, as BuildKit builds only those.
 * Image-to-image edges form a DAG whose topological levels are the build
 * order; images of one level can build in parallel.  A cycle is reported
 * once per strongly connected set of images, with every edge's FILE:LINE. */
#include "builder/plan.h"
#include "builder/plan_internal.h"
#include "util/mem.h"

#include <string.h>
#include <unistd.h>

void build_plan_free(struct build_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct build_node *n = &p->nodes[i];
		df_free(n->dockerfile);
		for (size_t j = 0; j < n->n_froms; j++)
			free(n->froms[j].name);
		free(n->froms);
		free(n->deps);
	}
	free(p->nodes);
	for (size_t i = 0; i < p->n_pulls; i++) {
		free(p->pulls[i].name);
		free(p->pulls[i].ref);
	}
	free(p->pulls);
	free(p);
}

void build_plan_add_bases(const struct build_plan *p, struct spec_stack *stack)
{
	for (size_t i = 0; i < p->n_pulls; i++)
		spec_add_implicit_base(stack, p->pulls[i].name, p->pulls[i].ref);
}

void build_plan_print(const struct build_plan *p, FILE *out)
{
	for (int l = 0; l < p->n_levels; l++) {
		const char *sep = "";
		for (size_t i = 0; i < p->n; i++) {
			if (p->nodes[i].level != l)
				continue;
			fprintf(out, "%s%s", sep, p->nodes[i].image->name);
			sep = " ";
		}
		fputc('\n', out);
	}
}

/* Paths in messages: relative to the working directory when inside it (as a
 * compiler prints them), so they are short and can be pasted. */
const char *plan_display_path(const struct planner *pl, const char *path)
{
	size_t n = pl->cwd ? strlen(pl->cwd) : 0;
	if (n > 1 && path && !strncmp(path, pl->cwd, n) && path[n] == '/' && path[n + 1])
		return path + n + 1;
	return path;
}

static bool has_dep(const struct build_node *n, size_t d)
{
	for (size_t k = 0; k < n->n_deps; k++)
		if (n->deps[k] == d)
			return true;
	return false;
}

static void push_from(struct build_node *node, const struct plan_use *u)
{
	node->froms = xrealloc(node->froms, (node->n_froms + 1) * sizeof(*node->froms));
	node->froms[node->n_froms++] = (struct build_from){
		.name = xstrdup(u->name),
		.kind = u->kind,
		.line = u->line,
		.copy = u->copy,
		.index = u->index,
	};
	if (u->kind != BUILD_FROM_IMAGE || has_dep(node, u->index))
		return;
	node->deps = xrealloc(node->deps, (node->n_deps + 1) * sizeof(*node->deps));
	node->deps[node->n_deps++] = u->index;
}

/* Images the target needs: the target stage (default: the last), and the
 * stages it reaches through FROM and COPY --from. */
static void mark_reachable(struct plan_dockerfile *a)
{
	if (!a->n_stages)
		return;
	/* Uses are recorded in file order, so each stage's are contiguous:
	 * first[s]..first[s + 1]. */
	_cleanup_free_ size_t *first = xcalloc(a->n_stages + 1, sizeof(*first));
	for (size_t i = 0, s = 0; s <= a->n_stages; s++) {
		while (i < a->n_uses && a->uses[i].stage < s)
			i++;
		first[s] = i;
	}
	_cleanup_free_ size_t *work = xcalloc(a->n_stages, sizeof(*work));
	size_t top = 0;
	a->stages[a->target].reachable = true;
	work[top++] = a->target;
	while (top) {
		size_t s = work[--top];
		for (size_t i = first[s]; i < first[s + 1]; i++) {
			const struct plan_use *u = &a->uses[i];
			if (u->kind != BUILD_FROM_STAGE || !u->resolved)
				continue;
			if (!a->stages[u->index].reachable) {
				a->stages[u->index].reachable = true;
				work[top++] = u->index;
			}
		}
	}
}

static void add_uses_to_node(struct planner *pl, struct plan_dockerfile *a, struct build_node *node)
{
	for (size_t i = 0; i < a->n_uses; i++) {
		struct plan_use *u = &a->uses[i];
		if (!u->resolved || !a->stages[u->stage].reachable)
			continue;
		if (u->registry) {
			u->index = plan_implicit_base(pl, u->name, u->ref);
			u->registry = false;
		}
		push_from(node, u);
	}
}

/* The edge a -> b as a line a user can jump to. */
static char *edge_text(const struct planner *pl, size_t a, size_t b)
{
	const struct build_node *n = &pl->plan->nodes[a];
	for (size_t i = 0; i < n->n_froms; i++) {
		const struct build_from *f = &n->froms[i];
		if (f->kind == BUILD_FROM_IMAGE && f->index == b)
			return xasprintf("%s:%d: %s%s", pl->paths[a], f->line,
					 f->copy ? "COPY --from=" : "FROM ", f->name);
	}
	return xstrdup("?");
}

static void bfs(const struct build_plan *p, const bool *alive, size_t from, bool forward, bool *seen, size_t *parent)
{
	/* the start is queued once more if it reaches itself */
	_cleanup_free_ size_t *q = xcalloc(p->n + 1, sizeof(*q));
	size_t head = 0, tail = 0;
	q[tail++] = from;
	while (head < tail) {
		size_t u = q[head++];
		for (size_t v = 0; v < p->n; v++) {
			if (!alive[v] || seen[v])
				continue;
			if (forward ? !has_dep(&p->nodes[u], v) : !has_dep(&p->nodes[v], u))
				continue;
			seen[v] = true;
			if (parent)
				parent[v] = u;
			q[tail++] = v;
		}
	}
}

/* Report one cycle per strongly connected set of images that could not be
 * levelled (alive[]), starting at its first image in stack file order. */
static void report_cycles(struct planner *pl, bool *alive)
{
	struct build_plan *p = pl->plan;
	_cleanup_free_ bool *done = xcalloc(p->n, sizeof(bool));
	_cleanup_free_ bool *fwd = xcalloc(p->n, sizeof(bool));
	_cleanup_free_ bool *back = xcalloc(p->n, sizeof(bool));
	_cleanup_free_ size_t *parent = xcalloc(p->n, sizeof(size_t));
	_cleanup_free_ size_t *path = xcalloc(p->n + 1, sizeof(size_t));
	for (size_t u = 0; u < p->n; u++) {
		if (!alive[u] || done[u])
			continue;
		memset(fwd, 0, p->n * sizeof(bool));
		memset(back, 0, p->n * sizeof(bool));
		bfs(p, alive, u, true, fwd, parent);
		if (!fwd[u])
			continue; /* depends on a cycle but is not on one */
		bfs(p, alive, u, false, back, NULL);
		for (size_t v = 0; v < p->n; v++)
			if (fwd[v] && back[v])
				done[v] = true;

		/* The shortest way back to u: BFS parents from the image whose
		 * edge closes the cycle (nearest first, so the path is short). */
		size_t n_path = 0;
		if (has_dep(&p->nodes[u], u)) {
			path[n_path++] = u;
		} else {
			/* Among images that close the cycle, the one nearest to u
			 * (fwd and parent still hold the forward search from u). */
			size_t last = u, best = SIZE_MAX;
			for (size_t v = 0; v < p->n; v++) {
				if (!fwd[v] || v == u || !has_dep(&p->nodes[v], u))
					continue;
				size_t d = 0;
				for (size_t w = v; w != u; w = parent[w])
					d++;
				if (d < best) {
					best = d;
					last = v;
				}
			}
			for (size_t w = last; w != u; w = parent[w])
				path[n_path++] = w;
			path[n_path++] = u;
			for (size_t i = 0; i < n_path / 2; i++) {
				size_t t = path[i];
				path[i] = path[n_path - 1 - i];
				path[n_path - 1 - i] = t;
			}
		}
		path[n_path] = u;

		char *chain = xstrdup(p->nodes[u].image->name);
		char *lines = xstrdup("");
		for (size_t i = 0; i < n_path; i++) {
			char *c = xasprintf("%s -> %s", chain, p->nodes[path[i + 1]].image->name);
			free(chain);
			chain = c;
			_cleanup_free_ char *e = edge_text(pl, path[i], path[i + 1]);
			char *l = xasprintf("%s\n    %s", lines, e);
			free(lines);
			lines = l;
		}
		const struct build_from *first = NULL;
		for (size_t i = 0; i < p->nodes[u].n_froms && !first; i++)
			if (p->nodes[u].froms[i].kind == BUILD_FROM_IMAGE && p->nodes[u].froms[i].index == path[1])
				first = &p->nodes[u].froms[i];
		struct diag *d;
		if (n_path == 1)
			d = diag_add(pl->diags, pl->paths[u], first ? first->line : 0, 0,
				     "image `%s` builds from itself: %s", p->nodes[u].image->name, chain);
		else
			d = diag_add(pl->diags, pl->paths[u], first ? first->line : 0, 0,
				     "images build from each other in a cycle: %s", chain);
		diag_hint(d, "an image cannot be built before the images it builds from; change one of these lines:%s", lines);
		free(chain);
		free(lines);
	}
}

static int make_levels(struct planner *pl)
{
	struct build_plan *p = pl->plan;
	for (size_t i = 0; i < p->n; i++)
		p->nodes[i].level = -1;
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < p->n; i++) {
			struct build_node *n = &p->nodes[i];
			if (n->level >= 0)
				continue;
			int level = 0;
			bool ready = true;
			for (size_t k = 0; k < n->n_deps && ready; k++) {
				int l = p->nodes[n->deps[k]].level;
				if (l < 0)
					ready = false;
				else if (l + 1 > level)
					level = l + 1;
			}
			if (!ready)
				continue;
			n->level = level;
			if (level + 1 > p->n_levels)
				p->n_levels = level + 1;
			changed = true;
		}
	}
	_cleanup_free_ bool *alive = xcalloc(p->n ? p->n : 1, sizeof(bool));
	bool cycle = false;
	for (size_t i = 0; i < p->n; i++)
		cycle |= alive[i] = p->nodes[i].level < 0;
	if (cycle)
		report_cycles(pl, alive);
	return cycle ? -1 : 0;
}

int build_plan_make(const struct spec_stack *stack, struct build_plan **out, struct diag_list *diags)
{
	*out = NULL;
	size_t before = diags->n;
	struct build_plan *p = xzalloc(sizeof(*p));
	p->n = stack->n_images;
	p->nodes = xcalloc(p->n ? p->n : 1, sizeof(*p->nodes));
	struct planner pl = {
		.stack = stack,
		.diags = diags,
		.plan = p,
		.cwd = getcwd(NULL, 0),
		.paths = xcalloc(p->n ? p->n : 1, sizeof(char *)),
	};

	for (size_t i = 0; i < p->n; i++) {
		struct build_node *node = &p->nodes[i];
		node->image = &stack->images[i];
		struct plan_dockerfile a = {0};
		if (plan_analyse(&pl, i, &a) == 0) {
			mark_reachable(&a);
			add_uses_to_node(&pl, &a, node);
			node->dockerfile = steal_pointer(&a.df);
		}
		plan_dockerfile_free(&a);
	}

	int r = diags->n > before ? -1 : make_levels(&pl);
	for (size_t i = 0; i < p->n; i++)
		free(pl.paths[i]);
	free(pl.paths);
	free(pl.cwd);
	if (r < 0) {
		build_plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}
