/* The config digest `stack up` compares to decide what to recreate: the
 * same service gives the same digest whatever its container is named
 * (the state dir and the environment-secrets dir carry the name); a change
 * to the command, the environment, the image's layers, or to the restart
 * policy and logging (which act outside the container) gives another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/spec.h"
#include "supervisor/ctconf.h"
#include "supervisor/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char stack_yaml[] =
	"name: hash\n"
	"bases:\n"
	"  img: {rootfs: ./rootfs}\n"
	"secrets:\n"
	"  tok: {environment: TOKEN}\n"
	"services:\n"
	"  a: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok]}\n"
	"  b: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok]}\n";

static char dir[] = "/tmp/stack-confhash-XXXXXX";
static struct st_paths paths;
static char *root, *run;

static struct spec_stack *load(const char *yaml)
{
	char *p = xasprintf("%s/stack.yaml", dir);
	assert_int_equal(fs_write_file_atomic(p, yaml, strlen(yaml), 0644, NULL), 0);
	free(p);
	static char token[] = "TOKEN=secret-value";
	static char *env[] = {token, NULL};
	struct spec_load_opts opts = {.workdir = dir, .environ = env};
	strv_push(&opts.files, "stack.yaml");
	struct diag_list d = {0};
	struct spec_stack *s = NULL;
	int r = spec_load(&opts, &s, &d);
	if (r < 0)
		diag_print(&d, stderr);
	diag_free(&d);
	strv_free(&opts.files);
	assert_int_equal(r, 0);
	return s;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	char *rootfs = xasprintf("%s/rootfs", dir);
	mkdir(rootfs, 0755);
	free(rootfs);
	paths.root = root = xasprintf("%s/root", dir);
	paths.run = run = xasprintf("%s/run", dir);
	paths.cgroup_parent = "stack-confhash-test";
	/* ctconf reads environment secrets from the process environment */
	return setenv("TOKEN", "secret-value", 1);
}

static int teardown(void **state)
{
	(void)state;
	free(root);
	free(run);
	return fs_remove_tree(dir, NULL);
}

static void hash_of(const struct spec_stack *s, const char *svc, const char *id, const char *layer, char out[65])
{
	const struct spec_service *sv = spec_find_service(s, svc);
	assert_non_null(sv);
	struct strv layers = {0};
	strv_push(&layers, layer);
	struct sup_ctconf conf;
	st_error_t err = NULL;
	int r = sup_ctconf_build(&paths, s, sv, id, &layers, NULL, NULL, &conf, &err);
	if (r < 0)
		st_error_print(&err, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(sup_confhash(sv, &conf, out, NULL), 0);
	assert_int_equal(strlen(out), 64);
	sup_ctconf_remove_host_files(&conf);
	sup_ctconf_free(&conf);
	strv_free(&layers);
}

static void test_same_service_any_name(void **state)
{
	(void)state;
	struct spec_stack *s = load(stack_yaml);
	char h1[65], h2[65], h3[65];
	hash_of(s, "a", "hash-a-1", "/layers/x", h1);
	hash_of(s, "a", "hash-a-1.cfg", "/layers/x", h2);
	assert_string_equal(h1, h2);
	/* another service with the same keys differs by its host name only */
	hash_of(s, "b", "hash-b-1", "/layers/x", h3);
	assert_string_not_equal(h1, h3);
	spec_stack_free(s);
}

static void test_changes_are_seen(void **state)
{
	(void)state;
	struct spec_stack *s = load(stack_yaml);
	char base[65], h[65];
	hash_of(s, "a", "hash-a-1", "/layers/x", base);
	hash_of(s, "a", "hash-a-1", "/layers/y", h);
	assert_string_not_equal(base, h); /* a new image */
	spec_stack_free(s);

	static const char *const variants[] = {
		"  a: {image: img, command: [sleep, '2'], environment: {K: v}, secrets: [tok]}\n",
		"  a: {image: img, command: [sleep, '1'], environment: {K: w}, secrets: [tok]}\n",
		"  a: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok], restart: always}\n",
		("  a: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok], "
		 "logging: {options: {max-size: 1m}}}\n"),
		"  a: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok], cap_drop: [CHOWN]}\n",
		"  a: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok], mem_limit: 64m}\n",
		"  a: {image: img, command: [sleep, '1'], environment: {K: v}, secrets: [tok], user: '1000'}\n",
	};
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		char *yaml = xasprintf("name: hash\nbases:\n  img: {rootfs: ./rootfs}\nsecrets:\n  tok: {environment: "
				       "TOKEN}\nservices:\n%s",
				       variants[i]);
		struct spec_stack *v = load(yaml);
		hash_of(v, "a", "hash-a-1", "/layers/x", h);
		if (strcmp(base, h) == 0)
			fail_msg("variant %zu has the base's digest", i);
		spec_stack_free(v);
		free(yaml);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_service_any_name),
		cmocka_unit_test(test_changes_are_seen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
