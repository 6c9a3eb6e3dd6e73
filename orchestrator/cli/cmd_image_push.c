/* stack image push [--insecure] NAME REF: an image of the store to a
 * registry (image/registry.h says how). */
#include "cli/cli.h"
#include "builder/base.h"
#include "cli/image_resolve.h"
#include "image/registry.h"
#include "spec/ref.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

int cmd_image_push(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"insecure", no_argument, NULL, 'k'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool insecure = false, quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			insecure = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs("Usage: stack image push [--insecure] [-q] NAME REF\n\n"
			      "Push the image NAME of the store to the registry image REF (HOST/PATH:TAG).\n"
			      "Layers go as uncompressed OCI tars (their digests are the image's diff ids).\n\n"
			      "Options:\n"
			      "      --insecure   the registry may be plain HTTP or have an unverified\n"
			      "                   certificate (a loopback registry always may)\n"
			      "  -q, --quiet      print only errors (no progress)\n"
			      "  -h, --help       show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("image push", "invalid option");
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("image push", "give NAME and REF");
	const char *name = argv[optind], *ref_in = argv[optind + 1];
	char *msg = NULL;
	_cleanup_free_ char *ref = NULL;
	if (spec_ref_normalize(ref_in, &ref, &msg) < 0) {
		int rc = cli_usage_error("image push", "REF `%s`: %s", ref_in, msg);
		free(msg);
		return rc;
	}
	st_interrupt_catch();
	_cleanup_error_ st_error_t err = NULL;
	struct img_store store = {0};
	if (img_store_open(g->paths.root, &store, &err) < 0) {
		st_error_print(&err, stderr);
		return CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *config = build_docker_config_path();
	struct img_pull_opts o = {
		.insecure = insecure,
		.docker_config = config,
		.progress = quiet ? NULL : stderr,
		.progress_tty = isatty(STDERR_FILENO),
	};
	char digest[IMG_DIGEST_LEN];
	int r = img_registry_push(&store, name, ref, &o, digest, &err);
	img_store_close(&store);
	if (r < 0) {
		st_error_print(&err, stderr);
		return st_interrupted() ? 128 + st_interrupted() : CLI_EXIT_FAILURE;
	}
	printf("%s@%s\n", ref, digest);
	return CLI_EXIT_OK;
}
