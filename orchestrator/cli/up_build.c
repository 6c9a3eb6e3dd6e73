#include "cli/up_build.h"
#include "builder/build.h"
#include "builder/plan.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

/* Mark the plan node building IMAGE, if the stack builds it. */
static bool want_image(const struct build_plan *p, const char *image, bool *wanted)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->nodes[i].image->name, image)) {
			wanted[i] = true;
			return true;
		}
	return false;
}

int cli_up_build(struct cli_globals *g, struct spec_stack *stack, const struct strv *services)
{
	if (stack->n_images == 0)
		return CLI_EXIT_OK;
	struct build_plan *plan = NULL;
	int rc = cli_plan_stack(stack, &plan);
	if (rc != CLI_EXIT_OK)
		return rc;
	_cleanup_free_ bool *wanted = xcalloc(plan->n ? plan->n : 1, sizeof(bool));
	struct strv todo = {0};
	strv_copy(&todo, services);
	bool any = false;
	/* the named services and, as the supervisor will, what they depend on */
	for (size_t i = 0; i < todo.n; i++) {
		const struct spec_service *sv = spec_find_service(stack, todo.v[i]);
		if (!sv)
			continue;
		for (size_t d = 0; d < sv->n_depends_on; d++)
			if (!strv_contains(&todo, sv->depends_on[d].service))
				strv_push(&todo, sv->depends_on[d].service);
		if (sv->image && spec_find_image(stack, sv->image) && want_image(plan, sv->image, wanted))
			any = true;
	}
	strv_free(&todo);
	if (any) {
		struct build_opts o = {
			.paths = &g->paths, .wanted = wanted, .out = stderr, .errors = stderr,
			/* as `stack build --progress auto`: the live view on a terminal */
			.progress = cli_progress_tty() ? BUILD_PROGRESS_TTY : BUILD_PROGRESS_PLAIN,
		};
		st_error_t err = NULL;
		int r = build_stack(stack, plan, &o, &err);
		if (r < 0) {
			st_error_prefix(&err, "stack up: build");
			st_error_print(&err, stderr);
		}
		if (r != 0) {
			fputs("stack up: an image did not build; nothing was started or changed\n", stderr);
			rc = CLI_EXIT_FAILURE;
		} else if (st_interrupted()) {
			rc = 128 + st_interrupted();
		}
	}
	build_plan_free(plan);
	return rc;
}
