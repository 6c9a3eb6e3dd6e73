/* stack images [--format table|json] [-q]: the images of the store.
 *
 * Every ref is a line: named images (built, tagged) and the imported
 * bases, named by their source's key (rootfs@..., oci@...) with the
 * source beside it.  Needs no stack file: the store is STACK_ROOT's. */
#include "cli/cli.h"
#include "cli/image_list.h"
#include "util/mem.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fputs("Usage: stack images [OPTIONS]\n\n"
	      "List the images of the store (STACK_ROOT): named images, and the bases\n"
	      "imported from `rootfs:` and `oci:` sources (named by their source's key).\n\n"
	      "Options:\n"
	      "      --format table|json   table (default) or a JSON array\n"
	      "  -q, --quiet               only the image ids, each once\n"
	      "  -h, --help                show this help\n",
	      out);
}

int cmd_images(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'F'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool json = false, quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return cli_usage_error("images", "--format must be `table` or `json`, not `%s`", optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("images", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("images", "unexpected argument `%s`", argv[optind]);
	_cleanup_error_ st_error_t err = NULL;
	struct img_store s;
	if (img_store_open(g->paths.root, &s, &err) < 0) {
		st_error_print(&err, stderr);
		return CLI_EXIT_FAILURE;
	}
	struct img_ref *refs = NULL;
	size_t n = 0;
	int rc = CLI_EXIT_OK;
	if (img_ref_list(&s, &refs, &n, &err) < 0) {
		st_error_print(&err, stderr);
		img_store_close(&s);
		return CLI_EXIT_FAILURE;
	}
	json_t *arr = json_array();
	struct strv seen = {0};
	if (!json && !quiet)
		printf("%-40s %-16s %-14s %-9s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "SIZE", "SOURCE");
	for (size_t i = 0; i < n; i++) {
		const char *hex = refs[i].id + 7;
		if (quiet) {
			if (!strv_contains(&seen, refs[i].id)) {
				printf("%.12s\n", hex);
				strv_push(&seen, refs[i].id);
			}
			continue;
		}
		struct img_image img;
		int found = img_image_load(&s, refs[i].id, &img, &err);
		if (found <= 0) {
			/* One broken entry does not hide the others; the exit status says so. */
			if (found == 0)
				st_error(&err, 0, "image `%s`: its config %s is missing", refs[i].name, refs[i].id);
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		uint64_t size = cli_image_size(&s, &img);
		_cleanup_free_ char *repo = NULL, *tag = NULL;
		cli_ref_split(refs[i].name, &repo, &tag);
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "name", refs[i].name, "repository", repo,
					      "tag", tag, "id", refs[i].id, "size", (json_int_t)size, "layers",
					      (int)img.layers.n);
			json_object_set_new(o, "source", refs[i].source ? json_string(refs[i].source) : json_null());
			json_object_set_new(o, "created", img.created ? json_string(img.created) : json_null());
			json_array_append_new(arr, o);
		} else {
			char hs[32];
			cli_human_size(size, hs, sizeof(hs));
			printf("%-40s %-16s %-14.12s %-9s %s\n", repo, tag, hex, hs,
			       refs[i].source ? refs[i].source : "-");
		}
		img_image_free(&img);
	}
	if (json) {
		char *text = json_dumps(arr, JSON_INDENT(2));
		puts(text);
		free(text);
	}
	json_decref(arr);
	strv_free(&seen);
	img_ref_list_free(refs, n);
	img_store_close(&s);
	return rc;
}
