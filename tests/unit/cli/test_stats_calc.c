/* `stack stats`'s numbers (cli/stats_calc.h), as docker computes them:
 * CPU % is container CPU time over host CPU time times the online CPUs;
 * the host's CPU time is /proc/stat's "cpu" line (user..steal) in ns;
 * memory usage leaves out the inactive page cache; sizes in binary units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/stats_calc.h"

#include <math.h>
#include <string.h>

static void test_cpu_percent(void **state)
{
	(void)state;
	const uint64_t s = 1000000000ULL;
	/* 2 CPUs, 1 s of wall time: the host's CPU time grows by 2 s.  A
	 * container that kept one CPU busy: 1 s of its own = 100 %. */
	assert_true(fabs(cli_stats_cpu_percent(0, s, 10 * s, 12 * s, 2) - 100.0) < 1e-9);
	/* both CPUs busy: 200 % */
	assert_true(fabs(cli_stats_cpu_percent(5 * s, 7 * s, 10 * s, 12 * s, 2) - 200.0) < 1e-9);
	/* a quarter of one CPU on a 4-CPU host (system delta 4 s): 25 % */
	assert_true(fabs(cli_stats_cpu_percent(0, s / 4, 0, 4 * s, 4) - 25.0) < 1e-9);
	/* idle, the first sample, counters that went back (a restart): 0 */
	assert_true(cli_stats_cpu_percent(s, s, 0, 2 * s, 2) == 0.0);
	assert_true(cli_stats_cpu_percent(0, s, 2 * s, 2 * s, 2) == 0.0);
	assert_true(cli_stats_cpu_percent(2 * s, s, 0, 2 * s, 2) == 0.0);
	assert_true(cli_stats_cpu_percent(0, s, 0, 2 * s, 0) == 0.0);
}

static void test_system_ns(void **state)
{
	(void)state;
	uint64_t ns = 0;
	/* user nice system idle iowait irq softirq steal guest guest_nice:
	 * docker sums the first eight (guest time is already in user) */
	const char *stat = "cpu  100 2 30 400 5 6 7 8 900 900\ncpu0 50 1 15 200 2 3 3 4 0 0\nintr 1 2 3\n";
	assert_int_equal(cli_stats_system_ns(stat, 100, &ns), 0);
	assert_true(ns == (100 + 2 + 30 + 400 + 5 + 6 + 7 + 8) * 10000000ULL);
	/* an old kernel's shorter line */
	assert_int_equal(cli_stats_system_ns("cpu  1 2 3 4\n", 100, &ns), 0);
	assert_true(ns == 10 * 10000000ULL);
	/* no aggregate line (cpu0 is not it), or garbage */
	assert_int_equal(cli_stats_system_ns("cpu0 1 2 3 4 5 6 7 8\n", 100, &ns), -1);
	assert_int_equal(cli_stats_system_ns("cpu  x\n", 100, &ns), -1);
	assert_int_equal(cli_stats_system_ns("", 100, &ns), -1);
	assert_int_equal(cli_stats_system_ns("cpu  1 2 3 4\n", 0, &ns), -1);
}

static void test_memory(void **state)
{
	(void)state;
	assert_true(cli_stats_mem_used(100, 30) == 70);
	assert_true(cli_stats_mem_used(100, 0) == 100);
	/* the counters are read one after the other: never below zero */
	assert_true(cli_stats_mem_used(100, 130) == 0);
	assert_true(fabs(cli_stats_percent(32, 64) - 50.0) < 1e-9);
	assert_true(cli_stats_percent(32, 0) == 0.0);
}

static void test_bytes(void **state)
{
	(void)state;
	char b[32];
	cli_stats_bytes(0, b, sizeof(b));
	assert_string_equal(b, "0B");
	cli_stats_bytes(1023, b, sizeof(b));
	assert_string_equal(b, "1023B");
	cli_stats_bytes(1024, b, sizeof(b));
	assert_string_equal(b, "1KiB");
	cli_stats_bytes(1536 * 1024, b, sizeof(b));
	assert_string_equal(b, "1.5MiB");
	cli_stats_bytes(96ULL << 20, b, sizeof(b));
	assert_string_equal(b, "96MiB");
	cli_stats_bytes(12ULL << 30, b, sizeof(b));
	assert_string_equal(b, "12GiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_percent),
		cmocka_unit_test(test_system_ns),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
