#include "cli/ct_running.h"
#include "cli/sup_client.h"
#include "supervisor/files.h"
#include "util/mem.h"

#include <stdint.h>
#include <string.h>

bool cli_ct_alive(json_t *rec)
{
	json_int_t pid = json_integer_value(json_object_get(rec, "pid"));
	json_int_t start = json_integer_value(json_object_get(rec, "pid_start_time"));
	if (pid <= 0 || pid > INT32_MAX || start <= 0)
		return false;
	char state;
	/* A zombie (its supervisor killed, not yet reaped by whoever inherited
	 * it) still has its pid and start time: it runs nothing. */
	return sup_proc_stat((pid_t)pid, &state) == (uint64_t)start && state != 'Z' && state != 'X';
}

static bool wanted(const struct strv *names, const char *service)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], service) == 0)
			return true;
	return false;
}

void cli_ct_running(const struct cli_globals *g, const struct spec_stack *stack, const struct strv *names,
		    struct cli_ct **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	_cleanup_free_ char *run = cli_sup_run_dir(g, stack);
	json_t *list = sup_state_list(run);
	size_t i, cap = 0;
	json_t *r;
	json_array_foreach (list, i, r) {
		const char *svc = json_string_value(json_object_get(r, "service"));
		const char *ct = json_string_value(json_object_get(r, "container"));
		const char *cgpath = json_string_value(json_object_get(r, "cgroup"));
		json_int_t pid = json_integer_value(json_object_get(r, "pid"));
		if (!svc || !ct || !cgpath || !wanted(names, svc) || !cli_ct_alive(r))
			continue;
		/* "PARENT/NAME" as the runtime made it (cgroup.h) */
		const char *slash = strrchr(cgpath, '/');
		if (!slash || slash == cgpath || !slash[1])
			continue;
		_cleanup_free_ char *parent = xstrndup(cgpath, (size_t)(slash - cgpath));
		struct rt_cgroup_opts opts = {.parent = parent};
		struct rt_cgroup *cg = NULL;
		if (rt_cgroup_open(slash + 1, &opts, &cg, NULL) < 0)
			continue;
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = (struct cli_ct){
			.service = xstrdup(svc), .container = xstrdup(ct), .pid = (pid_t)pid, .cg = cg};
	}
	json_decref(list);
}

void cli_ct_free(struct cli_ct *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].service);
		free(v[i].container);
		rt_cgroup_free(v[i].cg);
	}
	free(v);
}

int cli_ct_running_args(const char *cmd, const struct cli_globals *g, const struct spec_stack *stack, int argc,
			char **argv, struct strv *names, struct cli_ct **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (cli_sup_services(cmd, stack, argc, argv, names) < 0)
		return CLI_EXIT_USAGE;
	cli_ct_running(g, stack, names, out, n);
	if (*n > 0)
		return CLI_EXIT_OK;
	if (!cli_sup_alive(g, stack))
		fprintf(stderr, "stack %s: project `%s` is not running: start it with `stack up -d`\n", cmd,
			stack->name);
	else
		fprintf(stderr, "stack %s: no running container of %s: start %s with `stack up -d`\n", cmd,
			argc > 0 ? "these services" : "the project", argc > 0 ? "them" : "it");
	return CLI_EXIT_FAILURE;
}
