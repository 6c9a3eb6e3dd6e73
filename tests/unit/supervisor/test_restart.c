/* Docker's restart rules (moby's restartmanager): which exits restart,
 * and the backoff series 100 ms, 200, 400 ... capped at 1 min, back to
 * 100 ms after a run of 10 s or more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervisor/restart.h"

static void test_policies(void **state)
{
	(void)state;
	assert_false(sup_restart_wanted(SPEC_RESTART_NO, 0, 1, 0));
	assert_false(sup_restart_wanted(SPEC_RESTART_NO, 0, 0, 0));
	assert_true(sup_restart_wanted(SPEC_RESTART_ALWAYS, 0, 0, 100));
	assert_true(sup_restart_wanted(SPEC_RESTART_ALWAYS, 0, 137, 0));
	assert_true(sup_restart_wanted(SPEC_RESTART_UNLESS_STOPPED, 0, 0, 5));
	/* on-failure: only a non-zero exit, and at most N times */
	assert_false(sup_restart_wanted(SPEC_RESTART_ON_FAILURE, 0, 0, 0));
	assert_true(sup_restart_wanted(SPEC_RESTART_ON_FAILURE, 0, 1, 1000));
	assert_true(sup_restart_wanted(SPEC_RESTART_ON_FAILURE, 3, 1, 2));
	assert_false(sup_restart_wanted(SPEC_RESTART_ON_FAILURE, 3, 1, 3));
	assert_false(sup_restart_wanted(SPEC_RESTART_ON_FAILURE, 3, 0, 0));
}

static void test_backoff_doubles_and_caps(void **state)
{
	(void)state;
	int64_t d = 0;
	const int64_t want[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = sup_restart_delay(d, 50);
		assert_int_equal(d, want[i]);
	}
}

static void test_backoff_resets_after_10s_up(void **state)
{
	(void)state;
	assert_int_equal(sup_restart_delay(51200, 9999), 60000);
	assert_int_equal(sup_restart_delay(51200, 10000), 100);
	assert_int_equal(sup_restart_delay(60000, 3600 * 1000), 100);
	assert_int_equal(sup_restart_delay(0, 0), 100);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sup_restart_policy_name(SPEC_RESTART_NO), "no");
	assert_string_equal(sup_restart_policy_name(SPEC_RESTART_ALWAYS), "always");
	assert_string_equal(sup_restart_policy_name(SPEC_RESTART_ON_FAILURE), "on-failure");
	assert_string_equal(sup_restart_policy_name(SPEC_RESTART_UNLESS_STOPPED), "unless-stopped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_backoff_doubles_and_caps),
		cmocka_unit_test(test_backoff_resets_after_10s_up),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
