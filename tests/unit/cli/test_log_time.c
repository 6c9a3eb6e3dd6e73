/* The --since / --until parser of `stack logs` (cli/log_time.h): every
 * form docker takes, into the log files' UTC form, and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/log_time.h"
#include "cli/printable.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* 2026-12-02T04:30:00.250000000Z */
static const struct timespec now = {.tv_sec = 1796185800, .tv_nsec = 250000000};

static void expect(const char *in, const char *want)
{
	char out[40];
	char *err = NULL;
	int r = cli_log_time_parse(in, &now, out, &err);
	if (r != 0)
		fail_msg("`%s`: %s", in, err);
	assert_null(err);
	assert_string_equal(out, want);
}

static void expect_error(const char *in, const char *says)
{
	char out[40] = "untouched";
	char *err = NULL;
	assert_int_equal(cli_log_time_parse(in, &now, out, &err), -1);
	assert_non_null(err);
	if (!strstr(err, says))
		fail_msg("`%s`: error `%s` does not say `%s`", in, err, says);
	free(err);
}

static void test_rfc3339(void **state)
{
	(void)state;
	expect("2026-12-02T04:30:00Z", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-02t04:30:00z", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-02 04:30:00Z", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-02T04:30:00.5Z", "2026-12-02T04:30:00.500000000Z");
	expect("2026-12-02T04:30:00.123456789Z", "2026-12-02T04:30:00.123456789Z");
	expect("2026-12-02T06:30:00+02:00", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-01T23:00:00-05:30", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-02T04:30Z", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-02Z", "2026-12-02T00:00:00.000000000Z");
	expect("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000000Z"); /* leap day */
	expect("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000000Z");
	expect("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000000000Z"); /* far future: valid, matches nothing */
	expect("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000000Z");
	expect("1900-01-01T00:00:00Z", "1970-01-01T00:00:00.000000000Z"); /* before any record */
	expect("9999-12-31T23:59:59-00:00", "9999-12-31T23:59:59.000000000Z");
}

static void test_local_time(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	expect("2026-12-02T04:30:00", "2026-12-02T04:30:00.000000000Z");
	expect("2026-12-02", "2026-12-02T00:00:00.000000000Z");
	setenv("TZ", "EST5", 1);
	tzset();
	expect("2026-12-01T23:30:00", "2026-12-02T04:30:00.000000000Z");
	unsetenv("TZ");
	tzset();
}

static void test_unix(void **state)
{
	(void)state;
	expect("0", "1970-01-01T00:00:00.000000000Z");
	expect("1796185800", "2026-12-02T04:30:00.000000000Z");
	expect("1796185800.25", "2026-12-02T04:30:00.250000000Z");
	expect("253402300799", "9999-12-31T23:59:59.000000000Z");
}

static void test_duration(void **state)
{
	(void)state;
	expect("10m", "2026-12-02T04:20:00.250000000Z");
	expect("1h30m", "2026-12-02T03:00:00.250000000Z");
	expect("42s", "2026-12-02T04:29:18.250000000Z");
	expect("1.5s", "2026-12-02T04:29:58.750000000Z");
	expect("300ms", "2026-12-02T04:29:59.950000000Z");
	expect("+1s", "2026-12-02T04:29:59.250000000Z");
	expect("0s", "2026-12-02T04:30:00.250000000Z");
	expect("2000000h", "1970-01-01T00:00:00.000000000Z"); /* back past the epoch */
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "empty");
	expect_error("yesterday", "neither a time nor a duration");
}

static void test_errors_more(void **state)
{
	(void)state;
	expect_error("-10m", "cannot be negative");
	expect_error("-1", "cannot be negative");
	expect_error("10 m", "neither");
	expect_error("10mm", "neither");
	expect_error("2026-13-01T00:00:00Z", "no such day");
	expect_error("2026-02-30T00:00:00Z", "no such day");
	expect_error("2025-02-29", "no such day");
	expect_error("2026-12-02T24:00:00Z", "no such time");
	expect_error("2026-12-02T04:60:00Z", "no such time");
	expect_error("2026-12-02T04:30:60Z", "no such time");
	expect_error("2026-12-02T4:30:00Z", "HH:MM");
	expect_error("2026-1-02", "YYYY-MM-DD");
	expect_error("2026-12-02T04:30:00.Z", "SS[.F]");
	expect_error("2026-12-02T04:30:00.1234567891Z", "at most 9");
	expect_error("2026-12-02T04:30:00+2", "zone");
	expect_error("2026-12-02T04:30:00+24:00", "zone");
	expect_error("2026-12-02T04:30:00Zjunk", "unexpected text");
	expect_error("2026-12-02T04:30:00Z; rm -rf /", "unexpected text");
	expect_error("10000-01-01", "neither"); /* five-digit years are not RFC 3339 */
	expect_error("9999-12-31T23:59:59-01:00", "after the year 9999");
	expect_error("253402300800", "after the year 9999");
	expect_error("99999999999999999999999999", "after the year 9999");
	expect_error("1.", "Unix time");
	expect_error("1.1234567890", "Unix time");
	expect_error("9999999999h", "neither"); /* a duration past int64 ns */
}

static void test_printable(void **state)
{
	(void)state;
	char *p = cli_printable("a\033[2Jb\\\n");
	assert_string_equal(p, "a\\x1b[2Jb\\x5c\\x0a");
	free(p);
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p = cli_printable(big);
	assert_int_equal(strlen(p), 203);
	assert_string_equal(p + 200, "...");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),  cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_unix),     cmocka_unit_test(test_duration),
		cmocka_unit_test(test_errors),   cmocka_unit_test(test_errors_more),
		cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
