/* stack config: validate the stack file(s) and print the resolved stack. */
#include "builder/plan.h"
#include "cli/cli.h"
#include "util/mem.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fputs("Usage: stack config [OPTIONS]\n\n"
	      "Validate the stack file(s) and print the resolved, normalized stack:\n"
	      "variables interpolated, -f files merged, defaults filled in, paths made\n"
	      "absolute, short forms expanded.  Secret values are never printed.\n\n"
	      "Options:\n"
	      "      --format yaml|json  yaml (default) or json\n"
	      "      --services        print the service names, one per line\n"
	      "      --images          print the stack's image names (incl. build:), one per line\n"
	      "      --build-order     print the image build levels, one line per level\n"
	      "  -q, --quiet           only validate; print nothing but errors\n"
	      "  -h, --help            show this help\n",
	      out);
}

enum config_mode { MODE_DUMP, MODE_SERVICES, MODE_IMAGES, MODE_BUILD_ORDER, MODE_QUIET };

int cmd_config(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'F'},   {"services", no_argument, NULL, 'S'},
		{"images", no_argument, NULL, 'I'},         {"build-order", no_argument, NULL, 'B'},
		{"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
		{0},
	};
	enum spec_dump_format fmt = SPEC_DUMP_YAML;
	enum config_mode mode = MODE_DUMP;
	int c, n_modes = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "json") == 0)
				fmt = SPEC_DUMP_JSON;
			else if (strcmp(optarg, "yaml") == 0)
				fmt = SPEC_DUMP_YAML;
			else
				return cli_usage_error("config", "unknown format `%s` (use yaml or json)", optarg);
			break;
		case 'S':
			mode = MODE_SERVICES;
			n_modes++;
			break;
		case 'I':
			mode = MODE_IMAGES;
			n_modes++;
			break;
		case 'B':
			mode = MODE_BUILD_ORDER;
			n_modes++;
			break;
		case 'q':
			mode = MODE_QUIET;
			n_modes++;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("config", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("config", "unexpected argument `%s`", argv[optind]);
	if (n_modes > 1)
		return cli_usage_error("config", "--services, --images, --build-order and --quiet exclude each other");

	struct spec_stack *s = NULL;
	struct build_plan *p = NULL;
	int rc = cli_load_stack(g, &s);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (mode != MODE_SERVICES && mode != MODE_IMAGES && s->n_images > 0 && (rc = cli_plan_stack(s, &p)) != CLI_EXIT_OK)
		goto out;
	switch (mode) {
	case MODE_SERVICES:
		for (size_t i = 0; i < s->n_services; i++)
			puts(s->services[i].name);
		break;
	case MODE_IMAGES:
		for (size_t i = 0; i < s->n_images; i++)
			puts(s->images[i].name);
		break;
	case MODE_BUILD_ORDER:
		if (p)
			build_plan_print(p, stdout);
		break;
	case MODE_QUIET:
		break;
	case MODE_DUMP:
		if (spec_dump(s, fmt, stdout) < 0) {
			perror("stack config: write");
			rc = CLI_EXIT_FAILURE;
		}
		break;
	}
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
		perror("stack config: write");
		rc = CLI_EXIT_FAILURE;
	}
out:
	build_plan_free(p);
	spec_stack_free(s);
	return rc;
}
