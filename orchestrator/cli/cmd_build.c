/* stack build [--no-cache] [--pull] [--progress MODE] [IMAGE|SERVICE...]
 *
 * Builds the images named (a service names the image it runs, its
 * `build:` one included), and every image they build FROM, in order;
 * with no name, every image of the stack. */
#include "builder/build.h"
#include "builder/plan.h"
#include "cli/cli.h"
#include "supervisor/stale.h"
#include "util/escape.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/progress.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fputs("Usage: stack build [OPTIONS] [IMAGE|SERVICE...]\n\n"
	      "Build the stack's images (all, or those named and what they build FROM), in\n"
	      "the order their FROM lines imply, independent images in parallel.  Steps\n"
	      "whose inputs did not change come from the build cache.\n\n"
	      "Options:\n"
	      "      --no-cache         run every step, whatever the cache has\n"
	      "      --pull             import the bases again\n"
	      "      --progress MODE    auto (tty on a terminal, else plain), tty, plain, quiet or json\n"
	      "  -h, --help             show this help\n",
	      out);
}

static ssize_t node_of(const struct build_plan *p, const char *image)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->nodes[i].image->name, image))
			return (ssize_t)i;
	return -1;
}

/* Names → the plan's nodes; a name that is neither an image nor a
 * service with one to build is a usage error. */
static int select_nodes(const struct spec_stack *s, const struct build_plan *p, char **names, int n, bool *wanted)
{
	for (int k = 0; k < n; k++) {
		ssize_t i = node_of(p, names[k]);
		const struct spec_service *svc = i < 0 ? spec_find_service(s, names[k]) : NULL;
		if (svc && svc->image)
			i = node_of(p, svc->image);
		if (i >= 0) {
			wanted[i] = true;
			continue;
		}
		if (svc)
			return cli_usage_error("build", "service `%s` runs `%s`, which is not an image of this stack "
							"(nothing to build)", names[k], svc->image ? svc->image : "?");
		return cli_usage_error("build", "no image or service `%s` in this stack (see `stack config --images`)",
				       names[k]);
	}
	return CLI_EXIT_OK;
}

int cmd_build(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-cache", no_argument, NULL, 'n'},
		{"pull", no_argument, NULL, 'P'},
		{"progress", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct build_opts o = {.paths = &g->paths, .out = stdout, .errors = stderr};
	int c;
	st_interrupt_catch();
	enum st_progress_mode auto_mode;
	st_progress_mode_parse("auto", STDERR_FILENO, &auto_mode);
	if (auto_mode == ST_PROGRESS_TTY) {
		o.progress = BUILD_PROGRESS_TTY;
		o.out = stderr;
	}
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.no_cache = true;
			break;
		case 'P':
			o.pull = true;
			break;
		case 'p':
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "plain") || !strcmp(optarg, "tty")) {
				/* The live view goes to stderr, as BuildKit's does; plain
				 * lines stay on stdout. */
				enum st_progress_mode m;
				st_progress_mode_parse(optarg, STDERR_FILENO, &m);
				o.progress = m == ST_PROGRESS_TTY ? BUILD_PROGRESS_TTY : BUILD_PROGRESS_PLAIN;
				o.out = m == ST_PROGRESS_TTY ? stderr : stdout;
			} else if (!strcmp(optarg, "quiet"))
				o.progress = BUILD_PROGRESS_QUIET;
			else if (!strcmp(optarg, "json"))
				o.progress = BUILD_PROGRESS_JSON;
			else
				return cli_usage_error("build", "--progress: `%s` is not auto, tty, plain, quiet or json", optarg);
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("build", "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	struct build_plan *plan = NULL;
	bool *wanted = NULL;
	_cleanup_error_ st_error_t err = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		goto out;
	if ((rc = cli_plan_stack(stack, &plan)) != CLI_EXIT_OK)
		goto out;
	if (optind < argc) {
		wanted = xcalloc(plan->n ? plan->n : 1, sizeof(bool));
		if ((rc = select_nodes(stack, plan, argv + optind, argc - optind, wanted)) != CLI_EXIT_OK)
			goto out;
		o.wanted = wanted;
	}
	/* Build containers of a build that was killed (kill -9) go first. */
	if (sup_sweep_stale(&g->paths, stack, &err) < 0) {
		_cleanup_free_ char *t = st_error_text(err);
		_cleanup_free_ char *shown = st_escape(t, strlen(t), ST_ESCAPE_NL_N);
		fprintf(stderr, "stack build: warning: %s\n", shown);
		st_error_free(&err);
	}
	int r = build_stack(stack, plan, &o, &err);
	if (r < 0) {
		st_error_print(&err, stderr);
		rc = CLI_EXIT_FAILURE;
	} else {
		rc = r ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	}
	if (st_interrupted()) {
		char sig_name[32];
		fprintf(stderr, "stack build: stopped by %s\n", st_signal_name(st_interrupted(), sig_name, sizeof(sig_name)));
		rc = 128 + st_interrupted();
	}
out:
	free(wanted);
	build_plan_free(plan);
	if (stack)
		spec_stack_free(stack);
	return rc;
}
