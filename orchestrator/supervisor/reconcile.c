/* `stack up` on a running stack: load the stack file as the client sees
 * it (its files, project, profiles, environment, working directory) and
 * bring the running services to it, as compose does: a service whose
 * config digest (confhash.c) changed is recreated, a new one is started,
 * a stopped one is started again, an unchanged running one is left alone;
 * services no longer in the file are orphans, removed only when asked.
 * Published ports follow (reconcile_ports.c): a service whose `ports:`
 * changed is recreated on new listeners, a new one gets its own, a removed
 * orphan's are closed; a port that cannot be bound fails the request with
 * nothing changed. */
#include "supervisor/internal.h"
#include "util/diag.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void strv_from_json(json_t *arr, struct strv *out)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr))
		return;
	json_array_foreach (arr, i, v)
		if (json_is_string(v))
			strv_push(out, json_string_value(v));
}

static struct spec_stack *load_stack(json_t *req, st_error_t *err)
{
	struct spec_load_opts opts = {0};
	struct strv env = {0};
	strv_from_json(json_object_get(req, "files"), &opts.files);
	strv_from_json(json_object_get(req, "profiles"), &opts.profiles);
	strv_from_json(json_object_get(req, "env"), &env);
	opts.project_name = json_string_value(json_object_get(req, "project"));
	opts.workdir = json_string_value(json_object_get(req, "workdir"));
	opts.environ = strv_argv(&env);
	struct spec_stack *stack = NULL;
	struct diag_list diags = {0};
	int r = -1;
	if (!opts.workdir) {
		st_error(err, EINVAL, "`up` needs the client's `workdir`");
	} else {
		r = spec_load(&opts, &stack, &diags);
		if (r < 0 || diag_failed(&diags)) {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			if (f) {
				diag_sort(&diags);
				diag_print(&diags, f);
				fclose(f);
			}
			st_error(err, EINVAL, "the stack file is not valid:\n%s", text ? text : "");
			free(text);
			if (stack)
				spec_stack_free(stack);
			stack = NULL;
		}
	}
	diag_free(&diags);
	strv_free(&env);
	strv_free(&opts.files);
	strv_free(&opts.profiles);
	return stack;
}

/* The digest the service's container would get from spec now. */
static int new_hash(struct sup *sup, struct sup_service *s, const struct spec_stack *stack,
		    const struct spec_service *spec, char out[65], st_error_t *err)
{
	struct sup_image img;
	struct sup_ctconf conf;
	_cleanup_free_ char *tmp_id = xasprintf("%s.cfg", s->id);
	if (sup_service_prepare(sup, stack, spec, &img, &conf, tmp_id, err) < 0)
		return -1;
	int r = sup_confhash(spec, &conf, out, err);
	sup_ctconf_remove_host_files(&conf);
	sup_ctconf_free(&conf);
	sup_image_free(&img);
	return r;
}

static void adopt_spec(struct sup_service *s, const struct spec_stack *stack, const struct spec_service *spec)
{
	s->stack = stack;
	s->spec = spec;
	s->log.max_size = (uint64_t)spec->logging.max_size;
	s->log.max_file = spec->logging.max_file;
}

json_t *sup_reconcile(struct sup *sup, json_t *req, st_error_t *err)
{
	struct spec_stack *stack = load_stack(req, err);
	if (!stack)
		return NULL;
	if (strcmp(stack->name, sup->project) != 0) {
		st_error(err, EINVAL, "this supervisor runs project `%s`, not `%s`", sup->project, stack->name);
		spec_stack_free(stack);
		return NULL;
	}
	struct strv names = {0};
	strv_from_json(json_object_get(req, "services"), &names);
	bool force = json_is_true(json_object_get(req, "force_recreate"));
	bool no_recreate = json_is_true(json_object_get(req, "no_recreate"));
	bool remove_orphans = json_is_true(json_object_get(req, "remove_orphans"));
	if (sup_check_stack(stack, &names, err) < 0) {
		strv_free(&names);
		spec_stack_free(stack);
		return NULL;
	}
	/* Every hash first: a service whose image cannot be resolved fails the
	 * request before anything is stopped. */
	char (*hashes)[65] = xcalloc(stack->n_services + 1, sizeof(*hashes));
	for (size_t i = 0; i < stack->n_services; i++) {
		struct sup_service *s = sup_find(sup, stack->services[i].name);
		if (s && s->state != SUP_REMOVED && new_hash(sup, s, stack, &stack->services[i], hashes[i], err) < 0) {
			free(hashes);
			strv_free(&names);
			spec_stack_free(stack);
			return NULL;
		}
	}
	/* The listeners next: a host port in use fails the request before
	 * anything is stopped. */
	_cleanup_free_ bool *sel = xcalloc(stack->n_services + 1, sizeof(*sel));
	_cleanup_free_ struct sup_ports **bound = xcalloc(stack->n_services + 1, sizeof(*bound));
	_cleanup_free_ struct sup_service **closed = NULL;
	size_t n_closed = 0;
	if (sup_select_mask(stack, &names, sel, err) < 0 ||
	    sup_reconcile_ports(sup, stack, sel, no_recreate, remove_orphans, bound, &closed, &n_closed, err) < 0) {
		free(hashes);
		strv_free(&names);
		spec_stack_free(stack);
		return NULL;
	}
	sup->stacks = xrealloc(sup->stacks, (sup->n_stacks + 1) * sizeof(*sup->stacks));
	sup->stacks[sup->n_stacks++] = stack;
	/* The new file's networks (and addresses for its new services); a
	 * changed subnet is refused before anything is stopped. */
	if (sup_nets_setup_current(sup, err) < 0) {
		sup_reconcile_ports_undo(sup, stack, bound, closed, n_closed);
		sup->n_stacks--;
		free(hashes);
		strv_free(&names);
		spec_stack_free(stack);
		return NULL;
	}
	json_t *starts = json_array();
	for (size_t i = 0; i < sup->n_svcs; i++)
		json_array_append_new(starts, json_integer(sup->svcs[i]->starts));
	json_t *recreated = json_array(), *started = json_array(), *unchanged = json_array(), *orphans = json_array();

	/* what the new file asks for (with its dependencies) is selected */
	for (size_t i = 0; i < sup->n_svcs; i++)
		sup->svcs[i]->selected = false;
	st_error_t serr = NULL;
	if (sup_select(sup, stack, &names, &serr) < 0)
		st_error_free(&serr); /* checked by sup_check_stack */
	for (size_t i = 0; i < sup->n_svcs; i++) {
		struct sup_service *s = sup->svcs[i];
		const struct spec_service *sv = spec_find_service(stack, s->name);
		if (!sv) {
			if (s->state == SUP_REMOVED)
				continue;
			json_array_append_new(orphans, json_string(s->name));
			if (remove_orphans)
				sup_service_stop(s, -1, SUP_AFTER_REMOVE);
			continue;
		}
		size_t idx = (size_t)(sv - stack->services);
		/* a container is not told its ports, but compose recreates on a
		 * change of them, and so do we (on the new listeners) */
		bool changed = force || strcmp(hashes[idx], s->hash) != 0 || (bound[idx] && sup_ports_differ(s->spec, sv));
		if (no_recreate)
			changed = false;
		if (bound[idx]) {
			s->ports = bound[idx];
			bound[idx] = NULL;
			if (!changed && s->ct && !s->reaping && s->state == SUP_RUNNING)
				sup_ports_attach(s->ports, s->ct);
		}
		if (!s->selected) {
			if (!changed)
				adopt_spec(s, stack, sv);
			continue;
		}
		if (s->ct && !s->reaping && s->state == SUP_RUNNING) {
			if (changed) {
				adopt_spec(s, stack, sv);
				sup_service_stop(s, -1, SUP_AFTER_START);
				json_array_append_new(recreated, json_string(s->name));
				json_array_append_new(started, json_string(s->name));
			} else {
				adopt_spec(s, stack, sv);
				json_array_append_new(unchanged, json_string(s->name));
			}
		} else if (!s->ct && s->state != SUP_RESTARTING) {
			adopt_spec(s, stack, sv);
			s->state = SUP_CREATED;
			json_array_append_new(started, json_string(s->name));
		} else {
			adopt_spec(s, stack, sv); /* stopping or restarting: it starts with the new config */
			json_array_append_new(unchanged, json_string(s->name));
		}
	}
	for (size_t i = 0; i < stack->n_services; i++)
		sup_ports_close(bound[i]); /* none is left: each went to its service */
	free(hashes);
	strv_free(&names);
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "recreated", recreated, "started", started, "unchanged", unchanged,
			 "orphans", orphans, "_starts", starts);
}
