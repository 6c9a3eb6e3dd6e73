/* stack dockerfile FILE: print the parse of a Dockerfile as JSON.
 *
 * A debugging aid (what does stack think this Dockerfile says?) and the
 * seam the CLI tests and the malformed-Dockerfile corpus use to check the
 * parser from outside.  Needs no stack file. */
#include "builder/dockerfile.h"
#include "cli/cli.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DOCKERFILE_MAX (64u << 20)

static void usage(FILE *out)
{
	fputs("Usage: stack dockerfile [OPTIONS] FILE\n\n"
	      "Parse a Dockerfile and print it as JSON: one object per instruction with\n"
	      "cmd, flags, args (as written, before variable expansion), json (exec form),\n"
	      "line and end_line, heredocs, and next (the trigger of ONBUILD).\n"
	      "FILE may be - for standard input.  Errors are printed as FILE:LINE: error: ...\n"
	      "and the exit status is 1.\n\n"
	      "Options:\n"
	      "  -h, --help   show this help\n",
	      out);
}

int cmd_dockerfile(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	(void)g;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("dockerfile", "invalid option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("dockerfile", argc - optind == 0 ? "missing FILE" : "expected one FILE");
	const char *file = argv[optind];
	bool is_stdin = strcmp(file, "-") == 0;
	const char *label = is_stdin ? "<stdin>" : file;

	_cleanup_error_ st_error_t err = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = is_stdin ? fs_read_fd(STDIN_FILENO, "standard input", DOCKERFILE_MAX, &text, &len, &err)
			 : fs_read_file(file, DOCKERFILE_MAX, &text, &len, &err);
	if (r < 0) {
		st_error_prefix(&err, "dockerfile");
		st_error_print(&err, stderr);
		return CLI_EXIT_FAILURE;
	}

	struct diag_list diags = {0};
	struct df_file *df = NULL;
	r = df_parse(label, text, len, &df, &diags);
	if (r < 0 || diag_failed(&diags)) {
		diag_sort(&diags);
		diag_print(&diags, stderr);
		diag_free(&diags);
		df_free(df);
		return CLI_EXIT_FAILURE;
	}
	diag_free(&diags);

	json_t *j = df_to_json(df);
	df_free(df);
	r = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (r < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "stack dockerfile: write standard output: %s\n", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}
