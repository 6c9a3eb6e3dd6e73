/* Both ends of the range of every numeric key the loader takes, and the
 * rules for names that become paths or lines of generated files: the value
 * at each end is accepted, the one past it refused with the range named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/load_internal.h"
#include "spec/names.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char env_home[] = "HOME=/home/tester";
static char *test_env[] = {env_home, NULL};

/* Load `services: {s: {image: x, BODY}}` from a temp dir.  Returns NULL
 * and the first message in *msg when refused. */
static struct spec_stack *load_service(const char *body, char **msg)
{
	char dir[] = "/tmp/test-load-ranges-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *path = xasprintf("%s/stack.yaml", dir);
	_cleanup_free_ char *text = xasprintf("services:\n  s: {image: x, %s}\n", body);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	struct spec_load_opts opts = {.workdir = dir, .environ = test_env};
	strv_push(&opts.files, "stack.yaml");
	struct diag_list d = {0};
	struct spec_stack *s = NULL;
	spec_load(&opts, &s, &d);
	*msg = d.n ? xstrdup(d.v[0].msg) : NULL;
	diag_free(&d);
	strv_free(&opts.files);
	unlink(path);
	rmdir(dir);
	return s;
}

static void accepted(const char *body)
{
	char *msg = NULL;
	struct spec_stack *s = load_service(body, &msg);
	if (!s)
		fail_msg("`%s` was refused: %s", body, msg);
	spec_stack_free(s);
}

static void refused(const char *body, const char *want)
{
	char *msg = NULL;
	struct spec_stack *s = load_service(body, &msg);
	if (s)
		fail_msg("`%s` was accepted", body);
	if (!strstr(msg, want))
		fail_msg("`%s`: message `%s` does not say `%s`", body, msg, want);
	free(msg);
}

static void test_limits(void **state)
{
	(void)state;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	_cleanup_free_ char *cpus_max = xasprintf("cpus: %ld", cpus);
	_cleanup_free_ char *cpus_over = xasprintf("cpus: %ld.001", cpus);
	_cleanup_free_ char *cpus_range = xasprintf("expected 0.01 to %ld", cpus);
	accepted("cpus: 0");
	accepted("cpus: 0.01");
	accepted(cpus_max);
	refused("cpus: 0.0099", cpus_range);
	refused(cpus_over, cpus_range);
	refused("cpus: 1e10", cpus_range);
	refused("cpus: -1", "non-negative");

	accepted("pids_limit: -1");
	accepted("pids_limit: 0");
	accepted("pids_limit: 4194304");
	refused("pids_limit: -2", "from -1 to 4194304");
	refused("pids_limit: 4194305", "from -1 to 4194304");
	refused("deploy: {resources: {limits: {pids: 4194305}}}", "from -1 to 4194304");

	accepted("mem_limit: 0");
	accepted("mem_limit: 6m");
	accepted("mem_limit: 8191p");
	refused("mem_limit: 6291455", "minimum of 6m");
	refused("mem_limit: 8192p", "too large");
	refused("deploy: {resources: {limits: {memory: 5m}}}", "minimum of 6m");
	accepted("mem_limit: 6m, memswap_limit: 6m");
	accepted("mem_limit: 6m, memswap_limit: -1");
	refused("mem_limit: 6m, memswap_limit: 1", "minimum of 6m");

	accepted("cpu_shares: 2");
	accepted("cpu_shares: 262144");
	refused("cpu_shares: 1", "from 2 to 262144");
	refused("cpu_shares: 262145", "from 2 to 262144");

	accepted("ulimits: {nofile: 0, nproc: unlimited, core: -1}");
	accepted("ulimits: {nofile: 1048576}"); /* fs.nr_open's default; larger on a tuned host */
	refused("ulimits: {nofile: unlimited}", "expected 0 to");
	refused("ulimits: {nofile: 1099511627776}", "expected 0 to");
	refused("ulimits: {nproc: -2}", "at least -1");
}

static void test_durations_ports_and_counts(void **state)
{
	(void)state;
	accepted("stop_grace_period: 0");
	accepted("stop_grace_period: 2562047h");
	refused("stop_grace_period: 2562048h", "too long");
	refused("stop_grace_period: -1s", "negative");

	accepted("healthcheck: {test: [CMD, true], interval: 1ms, timeout: 1ms, start_interval: 1ms, start_period: 0}");
	refused("healthcheck: {test: [CMD, true], interval: 999us}", "at least 1ms");
	refused("healthcheck: {test: [CMD, true], timeout: 0}", "at least 1ms");
	refused("healthcheck: {test: [CMD, true], start_interval: 999999ns}", "at least 1ms");
	accepted("healthcheck: {test: [CMD, true], retries: 1}");
	accepted("healthcheck: {test: [CMD, true], retries: 1000000}");
	refused("healthcheck: {test: [CMD, true], retries: 0}", "from 1 to 1000000");
	refused("healthcheck: {test: [CMD, true], retries: 1000001}", "from 1 to 1000000");
	accepted("healthcheck: {http: {port: 1, status: 100}}");
	accepted("healthcheck: {http: {port: 65535, status: 599}}");
	refused("healthcheck: {http: {port: 80, status: 99}}", "from 100 to 599");
	refused("healthcheck: {http: {port: 80, status: 600}}", "from 100 to 599");
	refused("healthcheck: {tcp: {port: 0}}", "1-65535");
	refused("healthcheck: {tcp: {port: 65536}}", "1-65535");

	accepted("ports: [\"1:1\", \"65535:65535\"]");
	refused("ports: [\"0:80\"]", "1-65535");
	refused("ports: [\"80:65536\"]", "1-65535");

	accepted("restart: \"on-failure:0\"");
	accepted("restart: \"on-failure:1000000\"");
	refused("restart: \"on-failure:1000001\"", "not a number of retries");
}

static void test_names(void **state)
{
	(void)state;
	static const char *ok[] = {"a", "A.b_c-d", "0", "x..y", NULL};
	static const char *bad[] = {"", ".", "..", "../x", "a/b", "/a", ".a", "-a", "_a", "a\nb", "a b", "a\x7f",
				    "\xc3\xa9", NULL};
	for (const char **n = ok; *n; n++)
		assert_true(spec_name_valid(*n));
	for (const char **n = bad; *n; n++)
		if (spec_name_valid(*n))
			fail_msg("name `%s` was accepted", *n);
	char longest[SPEC_NAME_MAX + 2];
	memset(longest, 'n', sizeof(longest));
	longest[SPEC_NAME_MAX] = '\0';
	assert_true(spec_name_valid(longest));
	longest[SPEC_NAME_MAX] = 'n';
	longest[SPEC_NAME_MAX + 1] = '\0';
	assert_false(spec_name_valid(longest));

	static const char *hok[] = {"a", "web-1", "a.b.c", "1.2.3.4", "A-0.example", NULL};
	static const char *hbad[] = {"", "-a", "a-", "a..b", ".a", "a.", "a_b", "a b", "a\n6.6.6.6 bank", "a#b", NULL};
	for (const char **n = hok; *n; n++)
		assert_true(spec_hostname_valid(*n));
	for (const char **n = hbad; *n; n++)
		if (spec_hostname_valid(*n))
			fail_msg("hostname `%s` was accepted", *n);
	char h[80];
	memset(h, 'h', sizeof(h));
	h[63] = '\0';
	assert_true(spec_hostname_valid(h)); /* one label of 63 */
	h[63] = 'h';
	h[64] = '\0';
	assert_false(spec_hostname_valid(h)); /* one label of 64 */
	h[31] = '.';
	assert_true(spec_hostname_valid(h)); /* 64 in all */
	h[64] = 'h';
	h[65] = '\0';
	assert_false(spec_hostname_valid(h)); /* 65 in all */

	_cleanup_free_ char *shown = spec_name_printable("a\nb\tc\x01");
	assert_string_equal(shown, "a\\nb\\tc\\x01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_durations_ports_and_counts),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
