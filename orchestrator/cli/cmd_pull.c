/* stack pull [BASE|SERVICE...]
 *
 * Fetch the stack's bases again, as `docker compose pull` does for its
 * services' images: a `pull:` base from its registry (unchanged blobs are
 * not downloaded again), a `debootstrap:` base by running debootstrap, a
 * `rootfs:` base imported when its source changed.  With no names, every
 * base of the stack (those of `bases:`, the registry images services name
 * and those the Dockerfiles' FROM lines name); a SERVICE stands for the
 * base its `image:` is. */
#include "builder/plan.h"
#include "cli/cli.h"
#include "builder/base.h"
#include "cli/image_resolve.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/progress.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fputs("Usage: stack pull [OPTIONS] [BASE|SERVICE...]\n\n"
	      "Pull the stack's registry bases and run its debootstrap bases again\n"
	      "(rootfs: bases are imported when they changed).  Default: every base.\n\n"
	      "Options:\n"
	      "  -q, --quiet           print only errors (no progress)\n"
	      "      --progress MODE   auto (tty when stderr is a terminal), tty (layers, bytes of\n"
	      "                        total and rate redrawn in place) or plain\n"
	      "  -h, --help            show this help\n",
	      out);
}

/* The Dockerfiles' registry FROMs as implicit bases; a Dockerfile that
 * does not parse is reported and its bases are skipped. */
static int add_from_bases(struct spec_stack *s)
{
	struct build_plan *plan = NULL;
	int rc = cli_plan_stack(s, &plan);
	build_plan_free(plan);
	return rc;
}

/* The base a command-line name stands for, or NULL (said why). */
static const struct spec_base *named_base(const struct spec_stack *s, const char *name)
{
	const struct spec_base *b = spec_find_base(s, name);
	if (b)
		return b;
	const struct spec_service *svc = spec_find_service(s, name);
	if (svc && svc->image && (b = spec_find_base(s, svc->image)))
		return b;
	if (svc && svc->image)
		fprintf(stderr, "stack pull: service `%s` runs `%s`, which the stack builds: `stack build` makes it\n",
			name, svc->image);
	else
		fprintf(stderr, "stack pull: no base or service `%s` in this stack\n", name);
	return NULL;
}

static int fetch(const struct img_store *store, const struct spec_base *b, bool quiet, bool tty)
{
	struct img_image img = {0};
	_cleanup_error_ st_error_t err = NULL;
	if (build_base_resolve(store, b, b->kind != SPEC_BASE_ROOTFS, quiet ? NULL : stderr, tty, &img, NULL, &err) < 0) {
		st_error_print(&err, stderr);
		return CLI_EXIT_FAILURE;
	}
	if (!quiet)
		printf("%s: %s\n", b->name, img.source ? img.source : b->name);
	img_image_free(&img);
	return CLI_EXIT_OK;
}

int cmd_pull(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"progress", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool quiet = false, tty = cli_progress_tty();
	enum st_progress_mode mode;
	int c;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'p':
			if (st_progress_mode_parse(optarg, STDERR_FILENO, &mode) < 0)
				return cli_usage_error("pull", "--progress: `%s` is not auto, tty or plain", optarg);
			tty = mode == ST_PROGRESS_TTY;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("pull", "invalid option");
		}
	}
	/* A ^C mid-layer stops the download and removes its work dir. */
	st_interrupt_catch();
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (optind >= argc && (rc = add_from_bases(stack)) != CLI_EXIT_OK)
		goto out;
	const struct spec_base **todo = xcalloc(stack->n_bases + (size_t)argc, sizeof(*todo));
	size_t n = 0;
	for (int i = optind; i < argc; i++) {
		const struct spec_base *b = named_base(stack, argv[i]);
		if (!b) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		todo[n++] = b;
	}
	for (size_t i = 0; optind >= argc && i < stack->n_bases; i++)
		todo[n++] = &stack->bases[i];
	if (rc == CLI_EXIT_OK) {
		struct img_store store = {0};
		_cleanup_error_ st_error_t err = NULL;
		if (img_store_open(g->paths.root, &store, &err) < 0) {
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
		}
		for (size_t i = 0; rc == CLI_EXIT_OK && i < n; i++) {
			rc = fetch(&store, todo[i], quiet, tty);
			if (st_interrupted())
				rc = 128 + st_interrupted();
		}
		img_store_close(&store);
	}
	free(todo);
out:
	spec_stack_free(stack);
	return rc;
}
