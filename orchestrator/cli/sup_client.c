#include "cli/sup_client.h"
#include "cli/image_resolve.h"
#include "supervisor/control.h"
#include "supervisor/files.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

char *cli_sup_run_dir(const struct cli_globals *g, const struct spec_stack *stack)
{
	return sup_run_dir(&g->paths, stack->name);
}

pid_t cli_sup_alive(const struct cli_globals *g, const struct spec_stack *stack)
{
	_cleanup_free_ char *run = cli_sup_run_dir(g, stack);
	pid_t pid = 0;
	return sup_alive(run, &pid) ? (pid > 0 ? pid : 1) : 0;
}

int cli_sup_request(const char *cmd, const struct cli_globals *g, const struct spec_stack *stack, json_t *req,
		    int timeout_ms, json_t **reply)
{
	_cleanup_free_ char *run = cli_sup_run_dir(g, stack);
	st_error_t err = NULL;
	int r = sup_ctl_request(run, req, timeout_ms, reply, &err);
	json_decref(req);
	if (r < 0) {
		_cleanup_free_ char *t = st_error_text(err);
		fprintf(stderr, "stack %s: %s\n", cmd, t);
		st_error_free(&err);
		/* what it said per service */
		json_t *svcs = *reply ? json_object_get(*reply, "services") : NULL;
		size_t i;
		json_t *s;
		json_array_foreach (svcs, i, s) {
			const char *e = json_string_value(json_object_get(s, "error"));
			if (e)
				fprintf(stderr, "  %s: %s\n", json_string_value(json_object_get(s, "service")), e);
		}
		json_decref(*reply);
		*reply = NULL;
	}
	return r;
}

int cli_sup_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		    struct sup_image *out, st_error_t *err)
{
	struct cli_image img = {0};
	if (cli_image_resolve(paths, stack, image, &img, err) < 0)
		return -1;
	/* the same owned fields, handed over */
	out->layers = img.layers;
	out->defaults = img.defaults;
	return 0;
}

void cli_sup_add_services(json_t *req, int argc, char **argv)
{
	if (argc <= 0)
		return;
	json_t *a = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	json_object_set_new(req, "services", a);
}

int cli_sup_services(const char *cmd, const struct spec_stack *stack, int argc, char **argv, struct strv *out)
{
	if (argc == 0) {
		for (size_t i = 0; i < stack->n_services; i++)
			strv_push(out, stack->services[i].name);
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		if (!cli_find_service(cmd, stack, argv[i]))
			return -1;
		strv_push(out, argv[i]);
	}
	return 0;
}
