/* stack image inspect|rm|prune|save: one image of the store, or all.
 * Needs no stack file: the store is STACK_ROOT's. */
#include "cli/cli.h"
#include "cli/image_list.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fputs("Usage: stack image COMMAND [ARGS...]\n\n"
	      "Manage the images of the store (STACK_ROOT).\n\n"
	      "Commands:\n"
	      "  ls         list the images (as `stack images`)\n"
	      "  inspect    print images' config and layers as a JSON array\n"
	      "  rm         remove image names\n"
	      "  tag        give an image another name\n"
	      "  prune      remove what no name reaches\n"
	      "  save       write an image as an OCI image archive\n"
	      "  push       push an image to a registry\n\n"
	      "Options:\n"
	      "  -h, --help   show this help\n\n"
	      "Run 'stack image COMMAND --help' for a command's options.\n",
	      out);
}

static const char inspect_help[] =
	"Usage: stack image inspect NAME...\n\n"
	"Print each image's config and layers (Id, RepoTags, Size, LayerDirs, Config,\n"
	"Source) as a JSON array.\n\n"
	"Options:\n"
	"  -h, --help   show this help\n";

static const char rm_help[] =
	"Usage: stack image rm NAME...\n\n"
	"Remove the image names; `stack image prune` frees the space of what no name\n"
	"reaches any more.\n\n"
	"Options:\n"
	"  -h, --help   show this help\n";

static const char tag_help[] =
	"Usage: stack image tag SOURCE NAME\n\n"
	"Give the image SOURCE (a name or id) the name NAME too.\n\n"
	"Options:\n"
	"  -h, --help   show this help\n";

static int open_store(struct cli_globals *g, struct img_store *s)
{
	_cleanup_error_ st_error_t err = NULL;
	if (img_store_open(g->paths.root, s, &err) < 0) {
		st_error_print(&err, stderr);
		return -1;
	}
	return 0;
}

/* Only the command's own -h and, for some, flags: parsed per command. */
static int no_options(const char *cmd, const char *help, int argc, char **argv, int min_args)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 1;
		}
		return cli_usage_error(cmd, "invalid option");
	}
	if (argc - optind < min_args)
		return cli_usage_error(cmd, min_args > 1 ? "missing SOURCE or NAME" : "missing NAME");
	return 0;
}

static json_t *inspect_one(const struct img_store *s, const char *name, st_error_t *err)
{
	_cleanup_free_ char *id = NULL;
	int found = img_ref_resolve(s, name, &id, err);
	if (found == 0)
		st_error(err, 0, "no image `%s` in the store (`stack images` lists them)", name);
	if (found <= 0)
		return NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct img_image img;
	if (img_blob_read(s, id, 0, &text, &len, err) < 0 || img_config_parse(text, len, &img, err) < 0)
		return NULL;
	json_t *cfg = json_loadb(text, len, 0, NULL);
	json_t *names = json_array(), *paths = json_array();
	struct img_ref *refs = NULL;
	size_t n = 0;
	const char *source = NULL;
	if (img_ref_list(s, &refs, &n, err) == 0)
		for (size_t i = 0; i < n; i++)
			if (strcmp(refs[i].id, id) == 0) {
				json_array_append_new(names, json_string(refs[i].name));
				if (refs[i].source && !source)
					source = refs[i].source;
			}
	for (size_t i = 0; i < img.layers.n; i++) {
		char *p = img_layer_path(s, img.layers.v[i]);
		json_array_append_new(paths, json_string(p));
		free(p);
	}
	json_t *o = json_pack("{s:s, s:o, s:I, s:o, s:o}", "Id", id, "RepoTags", names, "Size",
			      (json_int_t)cli_image_size(s, &img), "LayerDirs", paths, "Config", cfg);
	json_object_set_new(o, "Source", source ? json_string(source) : json_null());
	img_ref_list_free(refs, n);
	img_image_free(&img);
	return o;
}

static int image_inspect(struct cli_globals *g, int argc, char **argv)
{
	int r = no_options("image inspect", inspect_help, argc, argv, 1);
	if (r)
		return r > 0 ? CLI_EXIT_OK : r;
	struct img_store s;
	if (open_store(g, &s) < 0)
		return CLI_EXIT_FAILURE;
	json_t *arr = json_array();
	int rc = CLI_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ st_error_t err = NULL;
		json_t *o = inspect_one(&s, argv[i], &err);
		if (!o) {
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		json_array_append_new(arr, o);
	}
	char *text = json_dumps(arr, JSON_INDENT(2));
	puts(text);
	free(text);
	json_decref(arr);
	img_store_close(&s);
	return rc;
}

static int image_rm(struct cli_globals *g, int argc, char **argv)
{
	int r = no_options("image rm", rm_help, argc, argv, 1);
	if (r)
		return r > 0 ? CLI_EXIT_OK : r;
	struct img_store s;
	if (open_store(g, &s) < 0)
		return CLI_EXIT_FAILURE;
	int rc = CLI_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ st_error_t err = NULL;
		int removed = img_ref_remove(&s, argv[i], &err);
		if (removed == 0)
			st_error(&err, 0, "no image `%s` in the store (`stack images` lists them)", argv[i]);
		if (removed <= 0) {
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		_cleanup_free_ char *norm = img_ref_normalize(argv[i]);
		printf("Untagged: %s\n", norm);
	}
	img_store_close(&s);
	return rc;
}

static int image_tag(struct cli_globals *g, int argc, char **argv)
{
	int r = no_options("image tag", tag_help, argc, argv, 2);
	if (r)
		return r > 0 ? CLI_EXIT_OK : r;
	if (argc - optind != 2)
		return cli_usage_error("image tag", "expected SOURCE and NAME");
	struct img_store s;
	if (open_store(g, &s) < 0)
		return CLI_EXIT_FAILURE;
	_cleanup_error_ st_error_t err = NULL;
	_cleanup_free_ char *id = NULL;
	int found = img_ref_resolve(&s, argv[optind], &id, &err);
	if (found == 0)
		st_error(&err, 0, "no image `%s` in the store (`stack images` lists them)", argv[optind]);
	if (found <= 0 || img_ref_set(&s, argv[optind + 1], id, NULL, &err) < 0) {
		st_error_print(&err, stderr);
		img_store_close(&s);
		return CLI_EXIT_FAILURE;
	}
	img_store_close(&s);
	return CLI_EXIT_OK;
}

static int image_prune(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0}};
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
		} else if (c == 'h') {
			fputs("Usage: stack image prune [-a]\n\n"
			      "Remove the layers and configs no name reaches, and the imported bases whose\n"
			      "source changed or is gone.\n\n"
			      "Options:\n"
			      "  -a, --all    remove every imported base too (imported again when used)\n"
			      "  -h, --help   show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		} else {
			return cli_usage_error("image prune", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("image prune", "unexpected argument `%s`", argv[optind]);
	struct img_store s;
	if (open_store(g, &s) < 0)
		return CLI_EXIT_FAILURE;
	_cleanup_error_ st_error_t err = NULL;
	struct img_prune_report rep;
	int r = img_store_prune(&s, all, &rep, &err);
	img_store_close(&s);
	char hs[32];
	cli_human_size(rep.bytes, hs, sizeof(hs));
	if (r < 0) {
		st_error_print(&err, stderr);
		if (rep.layers || rep.blobs)
			fprintf(stderr, "stack: removed %zu layers and %zu configs (%s) before that\n", rep.layers,
				rep.blobs, hs);
		return CLI_EXIT_FAILURE;
	}
	printf("Removed %zu base entries, %zu layers, %zu configs\nTotal reclaimed space: %s (%llu bytes)\n", rep.refs,
	       rep.layers, rep.blobs, hs, (unsigned long long)rep.bytes);
	return CLI_EXIT_OK;
}

static int image_save(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"gzip", no_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *out = NULL;
	bool gz = false;
	int c;
	while ((c = getopt_long(argc, argv, "o:zh", opts, NULL)) != -1) {
		if (c == 'o') {
			out = optarg;
		} else if (c == 'z') {
			gz = true;
		} else if (c == 'h') {
			fputs("Usage: stack image save -o FILE [-z] NAME\n\n"
			      "Write the image NAME as an OCI image archive (what skopeo's oci-archive:,\n"
			      "umoci and podman load read).\n\n"
			      "Options:\n"
			      "  -o, --output FILE   where to write the archive (required)\n"
			      "  -z, --gzip          gzip the layers\n"
			      "  -h, --help          show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		} else {
			return cli_usage_error("image save", "invalid option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("image save", argc - optind == 0 ? "missing NAME" : "save one image per archive");
	if (!out)
		return cli_usage_error("image save", "missing -o FILE (where to write the archive)");
	st_interrupt_catch();
	struct img_store s;
	if (open_store(g, &s) < 0)
		return CLI_EXIT_FAILURE;
	_cleanup_error_ st_error_t err = NULL;
	int r = img_image_save(&s, argv[optind], out, gz, &err);
	img_store_close(&s);
	if (r < 0) {
		st_error_print(&err, stderr);
		return st_interrupted() ? 128 + st_interrupted() : CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cmd_image(struct cli_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	static const struct {
		const char *name;
		cli_command_fn fn;
	} subs[] = {
		{"ls", cmd_images}, {"inspect", image_inspect}, {"rm", image_rm}, {"tag", image_tag},
		{"prune", image_prune}, {"save", image_save}, {"push", cmd_image_push},
	};
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].fn(g, argc - 1, argv + 1);
		}
	return cli_usage_error("image", "unknown command `%s` (ls, inspect, rm, tag, prune, save, push)", argv[1]);
}
