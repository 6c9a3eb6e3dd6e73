/* The status filter of `stack ps` (cli/ps_status.h): docker's statuses on
 * the supervisor's states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/ps_status.h"

static bool match(const char *status, const char *state, const char *note)
{
	unsigned mask = 0;
	assert_int_equal(cli_ps_status_add(status, &mask), 0);
	json_t *rec = json_pack("{s:s}", "state", state);
	if (note)
		json_object_set_new(rec, "note", json_string(note));
	bool r = cli_ps_status_match(mask, rec);
	json_decref(rec);
	return r;
}

static void test_mapping(void **state)
{
	(void)state;
	assert_true(match("created", "created", NULL));
	assert_true(match("running", "starting", NULL));
	assert_true(match("running", "running", NULL));
	assert_true(match("running", "stopping", NULL));
	assert_true(match("restarting", "restarting", NULL));
	assert_true(match("removing", "removed", NULL));
	assert_true(match("exited", "exited", NULL));
	assert_true(match("exited", "exited", CLI_PS_NOTE_DIED));
	assert_true(match("dead", "exited", CLI_PS_NOTE_DIED));
	assert_false(match("dead", "exited", NULL));
	assert_false(match("running", "exited", NULL));
	assert_false(match("exited", "running", NULL));
	assert_false(match("created", "restarting", NULL));
	assert_false(match("running", "running-ish", NULL));
	for (const char *const *st = (const char *const[]){"created", "starting", "running", "stopping", "exited",
							     "restarting", "removed", NULL};
	     *st; st++)
		assert_false(match("paused", *st, NULL));
}

static void test_or_and_unknown(void **state)
{
	(void)state;
	unsigned mask = 0;
	assert_int_equal(cli_ps_status_add("exited", &mask), 0);
	assert_int_equal(cli_ps_status_add("created", &mask), 0);
	json_t *a = json_pack("{s:s}", "state", "exited"), *b = json_pack("{s:s}", "state", "created"),
	       *c = json_pack("{s:s}", "state", "running"), *d = json_object();
	assert_true(cli_ps_status_match(mask, a));
	assert_true(cli_ps_status_match(mask, b));
	assert_false(cli_ps_status_match(mask, c));
	assert_false(cli_ps_status_match(mask, d)); /* no state at all */
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	unsigned before = mask;
	const char *bad[] = {"", "Running", "running ", "run", "running,exited", "exited;id", "stopping", "removed", "up"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_ps_status_add(bad[i], &mask), -1);
		assert_int_equal(mask, before);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_or_and_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
