/* The event record (supervisor/event_rec.h): what is encoded parses back
 * to the same fields; times are RFC 3339 UTC with up to ns; a reader
 * given garbage, the wrong types or a time that is not one gets an error
 * saying which, never a half-filled record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervisor/event_rec.h"

#include <stdlib.h>
#include <string.h>

static void test_round_trip(void **state)
{
	(void)state;
	json_t *attrs = json_pack("{s:i, s:s}", "exit_code", 137, "signal", "SIGKILL");
	char *line = sup_event_encode("2026-12-02T05:00:01.123456789Z", "die", "web", "p-web-1", attrs);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	assert_int_equal(attrs->refcount, 1); /* not taken */
	struct sup_event_rec r;
	st_error_t err = NULL;
	assert_int_equal(sup_event_parse(line, strlen(line), &r, &err), 0);
	assert_string_equal(r.action, "die");
	assert_string_equal(r.service, "web");
	assert_string_equal(r.container, "p-web-1");
	assert_string_equal(json_string_value(json_object_get(r.obj, "type")), "container");
	assert_true(json_equal(r.attributes, attrs));
	assert_int_equal(r.time_ns, 1796187601LL * 1000000000 + 123456789);
	sup_event_rec_free(&r);
	json_decref(attrs);
	free(line);
}

static void test_no_attributes(void **state)
{
	(void)state;
	char *line = sup_event_encode("2026-12-02T05:00:00Z", "stop", "a \"quoted\" name", "c", NULL);
	struct sup_event_rec r;
	assert_int_equal(sup_event_parse(line, strlen(line), &r, NULL), 0);
	assert_string_equal(r.service, "a \"quoted\" name");
	assert_true(json_is_object(r.attributes));
	assert_int_equal(json_object_size(r.attributes), 0);
	sup_event_rec_free(&r);
	free(line);
	/* a record without attributes (an older writer) gets an empty object */
	const char *bare = "{\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"start\",\"service\":\"s\",\"container\":\"c\"}";
	assert_int_equal(sup_event_parse(bare, strlen(bare), &r, NULL), 0);
	assert_true(json_is_object(r.attributes));
	sup_event_rec_free(&r);
}

static void test_times(void **state)
{
	(void)state;
	int64_t ns;
	assert_int_equal(sup_event_parse_time("1970-01-01T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(sup_event_parse_time("1970-01-01T00:00:01.5Z", &ns), 0);
	assert_int_equal(ns, 1500000000);
	/* more than ns: the rest is dropped, not rounded into an error */
	assert_int_equal(sup_event_parse_time("1970-01-01T00:00:00.0000000019Z", &ns), 0);
	assert_int_equal(ns, 1);
	const char *bad[] = {"", "yesterday", "2026-12-02", "2026-12-02T05:00:00", "2026-12-02T05:00:00+01:00",
			     "2026-13-02T05:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T05:00:00.Z",
			     "2026-12-02T05:00:00Zjunk", "2026-1-02T05:00:00Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sup_event_parse_time(bad[i], &ns), -1);
}

static void expect_bad(const char *line, const char *msg)
{
	struct sup_event_rec r;
	st_error_t err = NULL;
	assert_int_equal(sup_event_parse(line, strlen(line), &r, &err), -1);
	assert_non_null(err);
	if (!strstr(err->msg, msg))
		fail_msg("`%s`: error `%s` does not say `%s`", line, err->msg, msg);
	assert_null(r.obj);
	st_error_free(&err);
}

static void test_garbage(void **state)
{
	(void)state;
	expect_bad("not json", "not JSON");
	expect_bad("{\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"die\"", "not JSON"); /* cut short */
	expect_bad("[1,2]", "not a JSON object");
	expect_bad("{\"action\":\"die\",\"service\":\"s\",\"container\":\"c\"}", "`time`");
	expect_bad("{\"time\":\"2026-12-02T05:00:00Z\",\"action\":7,\"service\":\"s\",\"container\":\"c\"}", "`action`");
	expect_bad("{\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"die\",\"container\":\"c\"}", "`service`");
	expect_bad("{\"time\":\"soon\",\"action\":\"die\",\"service\":\"s\",\"container\":\"c\"}", "RFC 3339");
	expect_bad("{\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"die\",\"service\":\"s\",\"container\":\"c\","
		   "\"attributes\":[1]}",
		   "`attributes`");
	expect_bad("{\"time\":\"2026-12-02T05:00:00Z\",\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"die\"}",
		   "not JSON"); /* duplicate keys */
	/* a NUL inside the line is no record either */
	struct sup_event_rec r;
	assert_int_equal(sup_event_parse("{\"a\0\":1}", 9, &r, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_attributes),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
