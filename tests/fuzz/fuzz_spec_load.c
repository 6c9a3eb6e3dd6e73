/* libFuzzer target for the whole stack-file loader: YAML, interpolation,
 * the typed model, validation, and both `stack config` dumps.  The input is
 * written as stack.yaml into a private, otherwise empty directory, so the
 * relative paths a fuzzed file names resolve to nothing of the host's. */
#include "spec/spec.h"
#include "util/mem.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir_template[] = "/tmp/fuzz-spec-load-XXXXXX";
static char *dir, *file;
static FILE *sink;
static char env_a[] = "A=alpha", env_port[] = "PORT=5000", env_path[] = "PATH=/usr/bin:/bin";
static char *env_vars[] = {env_a, env_port, env_path, NULL};

static void cleanup(void)
{
	unlink(file);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = mkdtemp(dir_template);
	if (!dir)
		abort();
	file = xasprintf("%s/stack.yaml", dir);
	atexit(cleanup);
	sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(file, "w");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);

	struct spec_load_opts opts = {.project_name = "fuzz", .workdir = dir, .environ = env_vars};
	strv_push(&opts.files, file);
	struct spec_stack *stack = NULL;
	struct diag_list diags = {0};
	if (spec_load(&opts, &stack, &diags) == 0 && stack) {
		spec_dump(stack, SPEC_DUMP_YAML, sink);
		spec_dump(stack, SPEC_DUMP_JSON, sink);
	}
	diag_sort(&diags);
	diag_print(&diags, sink);
	if (stack)
		spec_stack_free(stack);
	diag_free(&diags);
	strv_free(&opts.files);
	return 0;
}
