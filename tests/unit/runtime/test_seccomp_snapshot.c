/* bench/seccomp-default.json is the built-in seccomp profile as the peers
 * (crun, runc) get it in the benchmark.  A snapshot can drift from the
 * code; this test fails when it does, so the benchmark never compares our
 * start with a peer running a different filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/seccomp_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static void test_bench_snapshot_matches_builtin(void **state)
{
	(void)state;
	size_t len = 0;
	const char *text = sc_default_profile_json(&len);
	json_error_t jerr;
	json_t *builtin = json_loadb(text, len, 0, &jerr);
	assert_non_null(builtin);
	json_t *snapshot = json_load_file(TEST_SOURCE_DIR "/../bench/seccomp-default.json", 0, &jerr);
	if (!snapshot)
		fprintf(stderr, "bench/seccomp-default.json: %s\n", jerr.text);
	assert_non_null(snapshot);
	if (!json_equal(builtin, snapshot))
		fprintf(stderr, "bench/seccomp-default.json differs from the built-in profile: "
				"regenerate it from sc_default_profile_json()\n");
	assert_true(json_equal(builtin, snapshot));
	json_decref(builtin);
	json_decref(snapshot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_snapshot_matches_builtin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
