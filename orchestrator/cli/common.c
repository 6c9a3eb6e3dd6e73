#include "cli/cli.h"
#include "builder/plan.h"
#include "cli/printable.h"
#include "util/mem.h"
#include "util/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int cli_load_stack(struct cli_globals *g, struct spec_stack **out)
{
	struct spec_load_opts opts = {
		.files = g->files,
		.project_name = g->project,
		.profiles = g->profiles,
	};
	struct diag_list diags = {0};
	int r = spec_load(&opts, out, &diags);
	diag_sort(&diags);
	diag_print(&diags, stderr);
	bool failed = r < 0 || diag_failed(&diags);
	diag_free(&diags);
	return failed ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

bool cli_progress_tty(void)
{
	enum st_progress_mode m;
	st_progress_mode_parse("auto", STDERR_FILENO, &m);
	return m == ST_PROGRESS_TTY;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "stack %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'stack %s --help' for usage.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_plan_stack(struct spec_stack *s, struct build_plan **out)
{
	struct diag_list diags = {0};
	*out = NULL;
	int r = build_plan_make(s, out, &diags);
	bool failed = r < 0 || diag_failed(&diags);
	if (!failed)
		build_plan_add_bases(*out, s);
	diag_sort(&diags);
	diag_print(&diags, stderr);
	diag_free(&diags);
	if (failed) {
		build_plan_free(*out);
		*out = NULL;
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

const struct spec_service *cli_find_service(const char *cmd, const struct spec_stack *stack, const char *name)
{
	const struct spec_service *svc = spec_find_service(stack, name);
	if (svc)
		return svc;
	_cleanup_free_ char *shown = cli_printable(name);
	fprintf(stderr, "stack %s: no service `%s` in this stack; services:", cmd, shown);
	for (size_t i = 0; i < stack->n_services; i++)
		fprintf(stderr, " %s", stack->services[i].name);
	fputc('\n', stderr);
	return NULL;
}
