/* Units for the loader's parts: image references, project names, file
 * lookup, shell-like splitting, and the dump's formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/dump_internal.h"
#include "spec/load_internal.h"
#include "spec/lookup.h"
#include "spec/ref.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void test_ref_normalize(void **state)
{
	(void)state;
	static const char *ok[][2] = {
		{"ubuntu:focal", "docker.io/library/ubuntu:focal"},
		{"ubuntu", "docker.io/library/ubuntu:latest"},
		{"prom/prometheus", "docker.io/prom/prometheus:latest"},
		{"index.docker.io/library/debian:12", "docker.io/library/debian:12"},
		{"ghcr.io/owner/app:v1.2_3", "ghcr.io/owner/app:v1.2_3"},
		{"localhost:5000/app", "localhost:5000/app:latest"},
		{"localhost/app:1", "localhost/app:1"},
		{"my-registry.example.com:8443/a/b/c:tag", "my-registry.example.com:8443/a/b/c:tag"},
		{"busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		 "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"a__b.c-d---e:1", "docker.io/library/a__b.c-d---e:1"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *out = NULL, *err = NULL;
		assert_int_equal(spec_ref_normalize(ok[i][0], &out, &err), 0);
		assert_string_equal(out, ok[i][1]);
		free(out);
	}
	static const char *bad[] = {
		"", "Ubuntu", "ubuntu:", "ubuntu:-x", "ubuntu@sha256:abc", "a//b", "-a", "a_-b", "a___b",
		"ubuntu:focal:extra", "reg.io:port/a", "a/b:" /* empty tag */, "a b",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *out = NULL, *err = NULL;
		if (spec_ref_normalize(bad[i], &out, &err) == 0)
			fail_msg("`%s` was accepted as %s", bad[i], out);
		assert_non_null(err);
		free(err);
	}
}

static void test_image_names(void **state)
{
	(void)state;
	char *err = NULL;
	assert_true(spec_image_name_valid("espresso-run", &err));
	assert_true(spec_image_name_valid("team/app", &err));
	assert_false(spec_image_name_valid("App", &err));
	assert_non_null(strstr(err, "lowercase"));
	free(err);
	assert_false(spec_image_name_valid("app:1", &err));
	free(err);
}

static void test_project_names(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"My_Proj.Dir", "my_projdir"}, {"--x--", "x--"}, {"espresso", "espresso"}, {"Ünïcode 1", "ncode1"}, {"...", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *n = spec_project_name_normalize(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
	assert_true(spec_project_name_valid("a-b_c9"));
	assert_false(spec_project_name_valid("_a"));
	assert_false(spec_project_name_valid("A"));
	assert_false(spec_project_name_valid(""));
}

static void test_lookup_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/stack-lookup-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct strv none = {0}, names = {0}, paths = {0};
	struct diag_list d = {0};
	assert_int_equal(spec_lookup_files(&none, dir, &names, &paths, &d), -1);
	assert_int_equal(d.n, 1);
	assert_non_null(d.v[0].hint);
	diag_free(&d);
	/* Create them from the last to the first: the first of the list must win. */
	for (size_t i = spec_n_default_files; i-- > 0;) {
		char *p = xasprintf("%s/%s", dir, spec_default_files[i]);
		assert_int_equal(fs_write_file_atomic(p, "x", 1, 0644, NULL), 0);
		free(p);
		assert_int_equal(spec_lookup_files(&none, dir, &names, &paths, &d), 0);
		assert_string_equal(names.v[names.n - 1], spec_default_files[i]);
	}
	assert_string_equal(names.v[names.n - 1], "stack.yaml");
	char *expect = xasprintf("%s/stack.yaml", dir);
	assert_string_equal(paths.v[paths.n - 1], expect);
	free(expect);
	strv_free(&names);
	strv_free(&paths);
	assert_int_equal(fs_remove_tree(dir, NULL), 0);
}

static void test_shell_split(void **state)
{
	(void)state;
	struct strv sv = {0};
	char *err = NULL;
	assert_int_equal(spec_shell_split("  a 'b c' \"d \\\"e\\\" $f\" g\\ h ''", &sv, &err), 0);
	assert_int_equal(sv.n, 5);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[1], "b c");
	assert_string_equal(sv.v[2], "d \"e\" $f");
	assert_string_equal(sv.v[3], "g h");
	assert_string_equal(sv.v[4], "");
	strv_free(&sv);
	assert_int_equal(spec_shell_split("echo \"open", &sv, &err), -1);
	assert_string_equal(err, "unclosed double quote");
	free(err);
	strv_free(&sv);
}

static void test_durations(void **state)
{
	(void)state;
	static const struct {
		int64_t ns;
		const char *text;
	} cases[] = {
		{0, "0s"},         {10000000000LL, "10s"},  {90000000000LL, "1m30s"}, {1500000000LL, "1.5s"},
		{100000000LL, "100ms"}, {3600000000000LL, "1h"}, {5400000000000LL, "1h30m"}, {10000, "10us"},
		{5, "5ns"},        {61500000000LL, "1m1.5s"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = spec_format_duration(cases[i].ns);
		assert_string_equal(s, cases[i].text);
		/* and it reads back to the same value */
		int64_t back;
		char *err = NULL;
		assert_int_equal(spec_parse_duration(s, &back, &err), 0);
		assert_int_equal(back, cases[i].ns);
		free(s);
	}
}

/* Strings that YAML would read as another type are quoted; others are not. */
static void test_yaml_quoting(void **state)
{
	(void)state;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "a", "no", "b", "0444", "c", "plain text", "d",
			      "", "e", "line1\nline2\n", "f", 5, "g", json_null());
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(spec_dump_yaml(j, f), 0);
	fclose(f);
	assert_string_equal(buf, "a: \"no\"\nb: \"0444\"\nc: plain text\nd: \"\"\ne: |\n  line1\n  line2\nf: 5\ng: null\n");
	free(buf);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_normalize), cmocka_unit_test(test_image_names),
		cmocka_unit_test(test_project_names), cmocka_unit_test(test_lookup_order),
		cmocka_unit_test(test_shell_split),
		cmocka_unit_test(test_durations),     cmocka_unit_test(test_yaml_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
