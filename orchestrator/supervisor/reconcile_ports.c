/* The published ports of `stack up` on a running stack (reconcile.c):
 * before anything is stopped or started, the listeners of services whose
 * `ports:` changed and of orphans being removed are closed, and those of
 * the changed and new services bound.  A host port that cannot be bound
 * (in use by another program, or by an orphan that stays) is an error
 * naming it, and every closed listener is bound again: the running
 * services are as they were. */
#include "supervisor/internal.h"
#include "util/mem.h"

#include <string.h>

bool sup_ports_differ(const struct spec_service *a, const struct spec_service *b)
{
	if (a->n_ports != b->n_ports)
		return true;
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct spec_port *x = &a->ports[i], *y = &b->ports[i];
		const char *xi = x->host_ip ? x->host_ip : "", *yi = y->host_ip ? y->host_ip : "";
		if (strcmp(xi, yi) != 0 || x->published != y->published || x->target != y->target ||
		    x->protocol != y->protocol)
			return true;
	}
	return false;
}

/* A service of the running stack whose listeners are replaced (or closed). */
struct swap {
	struct sup_service *s; /* NULL: a new service */
	size_t idx;            /* in the new stack's services; SIZE_MAX: an orphan being removed */
};

/* Bind s's current spec's ports again (rollback), attached as before. */
static void rebind_old(struct sup_service *s)
{
	st_error_t err = NULL;
	if (!s->spec->n_ports)
		return;
	if (sup_ports_bind(&s->sup->loop, s->spec->ports, s->spec->n_ports, &s->ports, &err) < 0) {
		/* taken by someone else in the instant it was free: said, not hidden */
		st_error_prefix(&err, "service `%s`: published port, bound again after a failed `up`", s->name);
		st_error_print(&err, stderr);
		s->ports = NULL;
		return;
	}
	if (s->ct && s->state == SUP_RUNNING)
		sup_ports_attach(s->ports, s->ct);
}

void sup_reconcile_ports_undo(struct sup *sup, const struct spec_stack *stack, struct sup_ports **bound,
			      struct sup_service **closed, size_t n_closed)
{
	(void)sup;
	for (size_t i = 0; i < stack->n_services; i++) {
		sup_ports_close(bound[i]);
		bound[i] = NULL;
	}
	for (size_t j = 0; j < n_closed; j++)
		rebind_old(closed[j]);
}

int sup_reconcile_ports(struct sup *sup, const struct spec_stack *stack, const bool *sel, bool no_recreate,
			bool remove_orphans, struct sup_ports **bound, struct sup_service ***closed, size_t *n_closed,
			st_error_t *err)
{
	struct swap *sw = xcalloc(sup->n_svcs + stack->n_services + 1, sizeof(*sw));
	size_t n = 0;
	*closed = xcalloc(sup->n_svcs + 1, sizeof(**closed));
	*n_closed = 0;
	for (size_t i = 0; i < sup->n_svcs; i++) {
		struct sup_service *s = sup->svcs[i];
		const struct spec_service *sv = spec_find_service(stack, s->name);
		if (s->state == SUP_REMOVED)
			continue;
		if (!sv) {
			if (remove_orphans && s->ports)
				sw[n++] = (struct swap){.s = s, .idx = SIZE_MAX};
			continue;
		}
		size_t idx = (size_t)(sv - stack->services);
		if (sel[idx] && !no_recreate && (sup_ports_differ(s->spec, sv) || (!s->ports && sv->n_ports)))
			sw[n++] = (struct swap){.s = s, .idx = idx};
	}
	for (size_t i = 0; i < stack->n_services; i++) {
		struct sup_service *s = sup_find(sup, stack->services[i].name);
		if (sel[i] && stack->services[i].n_ports && (!s || s->state == SUP_REMOVED))
			sw[n++] = (struct swap){.s = NULL, .idx = i};
	}
	/* uv_close() frees a port at once (ports.c): closed first, so that a
	 * service can keep a host port while its target changes */
	for (size_t k = 0; k < n; k++)
		if (sw[k].s && sw[k].s->ports) {
			sup_ports_close(sw[k].s->ports);
			sw[k].s->ports = NULL;
			(*closed)[(*n_closed)++] = sw[k].s;
		}
	for (size_t k = 0; k < n; k++) {
		if (sw[k].idx == SIZE_MAX)
			continue;
		const struct spec_service *sv = &stack->services[sw[k].idx];
		if (sup_ports_bind(&sup->loop, sv->ports, sv->n_ports, &bound[sw[k].idx], err) < 0) {
			bound[sw[k].idx] = NULL;
			st_error_prefix(err, "service `%s`: published port", sv->name);
			sup_reconcile_ports_undo(sup, stack, bound, *closed, *n_closed);
			free(*closed);
			*closed = NULL;
			*n_closed = 0;
			free(sw);
			return -1;
		}
	}
	free(sw);
	return 0;
}
