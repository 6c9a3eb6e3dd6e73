/* Typed scalar parsers: durations, sizes, ports, capabilities, signals, and
 * the did-you-mean helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/units.h"
#include "util/mem.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define NS 1LL
#define US 1000LL
#define MS 1000000LL
#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* The int64 parsers (durations, sizes) share a contract; these check it. */
typedef int (*int64_parser)(const char *s, int64_t *out, char **errmsg);
struct int64_case {
	const char *in;
	int64_t want;
};

/* Every input parses to its value. */
static void expect_int64_values(int64_parser parse, const struct int64_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = -1;
		char *err = NULL;
		if (parse(cases[i].in, &v, &err) != 0)
			fail_msg("`%s`: %s", cases[i].in, err);
		if (v != cases[i].want)
			fail_msg("`%s` → %lld, expected %lld", cases[i].in, (long long)v, (long long)cases[i].want);
	}
}

/* Every input {in, words} fails with a message containing `words`, and the
 * output is left alone. */
static void expect_int64_errors(int64_parser parse, const char *cases[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = 42;
		char *err = NULL;
		if (parse(cases[i][0], &v, &err) != -1)
			fail_msg("`%s` should fail, gave %lld", cases[i][0], (long long)v);
		if (!err || !strstr(err, cases[i][1]))
			fail_msg("`%s`: `%s` lacks `%s`", cases[i][0], err, cases[i][1]);
		assert_int_equal(v, 42);
		free(err);
	}
}

static void test_duration_ok(void **state)
{
	(void)state;
	static const struct int64_case cases[] = {
		{"0", 0},
		{"+0", 0},
		{"0s", 0},
		{"1s", SEC},
		{"+5s", 5 * SEC},
		{"1.5s", 1500 * MS},
		{".5s", 500 * MS},
		{"1.s", SEC},
		{"100ms", 100 * MS},
		{"10us", 10 * US},
		{"10\xc2\xb5s", 10 * US},
		{"10\xce\xbcs", 10 * US},
		{"5ns", 5 * NS},
		{"2h", 2 * HOUR},
		{"1m30s", 90 * SEC},
		{"1h2m3.5s", HOUR + 2 * MIN + 3500 * MS},
		{"1h1h", 2 * HOUR},
		{"3m0.5s", 3 * MIN + 500 * MS},
		{"1.000000001s", SEC + 1},
		{"0.1ns", 0},
		{"2562047h", 2562047 * HOUR},
		{"9223372036854775807ns", INT64_MAX},
		{"9223372036s854775807ns", INT64_MAX},
	};
	expect_int64_values(spec_parse_duration, cases, ARRAY_SIZE(cases));
}

static void test_duration_errors(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"", "empty duration"},
		{"-1s", "cannot be negative"},
		{"-0", "cannot be negative"},
		{"1", "missing unit"},
		{"30", "missing unit"},
		{"1s2", "missing unit"},
		{"s", "a duration is a number with a unit"},
		{".s", "a duration is a number with a unit"},
		{"1x", "unknown unit `x`"},
		{"1sec", "unknown unit `sec`"},
		{"1d", "unknown unit `d`"},
		{"1 s", "unknown unit ` s`"},
		{"+", "a duration is"},
		{"1.2.3s", "a duration is"},
		{"9223372036854775808ns", "too long"},
		{"2562048h", "too long"},
		{"9223372036s854775808ns", "too long"},
		{"99999999999999999999999h", "too long"},
	};
	expect_int64_errors(spec_parse_duration, cases, ARRAY_SIZE(cases));
}

static void test_size_ok(void **state)
{
	(void)state;
	static const struct int64_case cases[] = {
		{"0", 0},
		{"1", 1},
		{"100b", 100},
		{"100B", 100},
		{"1k", 1024},
		{"1K", 1024},
		{"1kb", 1024},
		{"1KiB", 1024},
		{"512m", 512LL << 20},
		{"1g", 1LL << 30},
		{"1G", 1LL << 30},
		{"1GB", 1LL << 30},
		{"1GiB", 1LL << 30},
		{"1gib", 1LL << 30},
		{"1 g", 1LL << 30},
		{"1.5g", 1610612736},
		{"0.5k", 512},
		{"1.5", 1},
		{"2t", 2LL << 40},
		{"3p", 3LL << 50},
		{"1073741824", 1LL << 30},
		{"8191p", 8191LL << 50},
		{"9223372036854775807", INT64_MAX},
	};
	expect_int64_values(spec_parse_size, cases, ARRAY_SIZE(cases));
}

static void test_size_errors(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"", "empty size"},
		{"-1", "cannot be negative"},
		{"-1g", "cannot be negative"},
		{"g", "a size is a number"},
		{"1x", "a size is a number"},
		{"1gg", "a size is a number"},
		{"1ibb", "a size is a number"},
		{"1.", "a size is a number"},
		{"1.g", "a size is a number"},
		{"1..5g", "a size is a number"},
		{"1  g", "a size is a number"},
		{" 1g", "a size is a number"},
		{"1e3", "a size is a number"},
		{"8192p", "too large"},
		{"9223372036854775808", "too large"},
		{"99999999999999999999", "too large"},
		{"8388608t", "too large"},
	};
	expect_int64_errors(spec_parse_size, cases, ARRAY_SIZE(cases));
}

static void test_port_number(void **state)
{
	(void)state;
	uint16_t p = 0;
	char *err = NULL;
	assert_int_equal(spec_parse_port_number("1", &p, &err), 0);
	assert_int_equal(p, 1);
	assert_int_equal(spec_parse_port_number("65535", &p, &err), 0);
	assert_int_equal(p, 65535);
	assert_int_equal(spec_parse_port_number("080", &p, &err), 0);
	assert_int_equal(p, 80);
	static const char *bad[][2] = {
		{"0", "port 0 is not valid"}, {"65536", "out of range"}, {"99999999999", "out of range"},
		{"", "empty port"},           {"-1", "invalid port"},   {"8o", "invalid port"},
		{"+80", "invalid port"},      {" 80", "invalid port"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (spec_parse_port_number(bad[i][0], &p, &err) != -1)
			fail_msg("`%s` should fail", bad[i][0]);
		if (!strstr(err, bad[i][1]))
			fail_msg("`%s`: `%s` lacks `%s`", bad[i][0], err, bad[i][1]);
		free(err);
	}
}

struct port_case {
	const char *in;
	size_t n;
	const char *ip;
	uint16_t published, target; /* of the first entry; the rest follow by +1 */
	enum spec_proto proto;
};

static void test_ports_ok(void **state)
{
	(void)state;
	static const struct port_case cases[] = {
		{"5000", 1, NULL, 0, 5000, SPEC_PROTO_TCP},
		{"5055:5000", 1, NULL, 5055, 5000, SPEC_PROTO_TCP},
		{"127.0.0.1:5055:5000", 1, "127.0.0.1", 5055, 5000, SPEC_PROTO_TCP},
		{"0.0.0.0:80:80/udp", 1, "0.0.0.0", 80, 80, SPEC_PROTO_UDP},
		{"[::1]:5055:5000", 1, "::1", 5055, 5000, SPEC_PROTO_TCP},
		{"[fe80::1:2]:1:2/udp", 1, "fe80::1:2", 1, 2, SPEC_PROTO_UDP},
		{"[::1]::5000", 1, "::1", 0, 5000, SPEC_PROTO_TCP},
		{"127.0.0.1::5000", 1, "127.0.0.1", 0, 5000, SPEC_PROTO_TCP},
		{"8000-8002:9000-9002", 3, NULL, 8000, 9000, SPEC_PROTO_TCP},
		{"9000-9002", 3, NULL, 0, 9000, SPEC_PROTO_TCP},
		{"53:53/udp", 1, NULL, 53, 53, SPEC_PROTO_UDP},
		{"53:53/UDP", 1, NULL, 53, 53, SPEC_PROTO_UDP},
		{"53:53/tcp", 1, NULL, 53, 53, SPEC_PROTO_TCP},
		{"65535:1", 1, NULL, 65535, 1, SPEC_PROTO_TCP},
		{"10.0.0.1:7000-7001:8000-8001/udp", 2, "10.0.0.1", 7000, 8000, SPEC_PROTO_UDP},
		{"65534-65535:65534-65535", 2, NULL, 65534, 65534, SPEC_PROTO_TCP},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct port_case *c = &cases[i];
		struct spec_port *ports = NULL;
		size_t n = 0;
		char *err = NULL;
		if (spec_parse_ports(c->in, &ports, &n, &err) != 0)
			fail_msg("`%s`: %s", c->in, err);
		assert_int_equal(n, c->n);
		for (size_t j = 0; j < n; j++) {
			if (c->ip)
				assert_string_equal(ports[j].host_ip, c->ip);
			else
				assert_null(ports[j].host_ip);
			assert_int_equal(ports[j].published, c->published ? c->published + j : 0);
			assert_int_equal(ports[j].target, c->target + j);
			assert_int_equal(ports[j].protocol, c->proto);
			free(ports[j].host_ip);
		}
		free(ports);
	}
}

static void test_ports_append(void **state)
{
	(void)state;
	struct spec_port *ports = NULL;
	size_t n = 0;
	char *err = NULL;
	assert_int_equal(spec_parse_ports("80:80", &ports, &n, &err), 0);
	assert_int_equal(spec_parse_ports("1000-1001:2000-2001", &ports, &n, &err), 0);
	assert_int_equal(spec_parse_ports("bad", &ports, &n, &err), -1); /* failure leaves the list as it was */
	free(err);
	assert_int_equal(n, 3);
	assert_int_equal(ports[0].target, 80);
	assert_int_equal(ports[2].published, 1001);
	assert_int_equal(ports[2].target, 2001);
	free(ports);
}

static void test_ports_errors(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"", "empty port mapping"},
		{"0", "port 0 is not valid"},
		{"80:0", "port 0 is not valid"},
		{"0:80", "port 0 is not valid"},
		{"65536", "out of range"},
		{"70000:80", "out of range"},
		{"http", "invalid container port"},
		{"53:53/sctp", "sctp is not supported"},
		{"53:53/icmp", "unknown protocol `icmp`"},
		{"53:53/", "unknown protocol"},
		{"8000-8002:9000-9001", "the host range has 3 ports and the container range 2"},
		{"8000-8010:80", "the host range has 11 ports and the container range 1"},
		{"8000:9000-9001", "the host range has 1 ports and the container range 2"},
		{"9002-9000", "the end is below the start"},
		{"9000-", "range end"},
		{":5000", "the host port is empty"},
		{"1.2.3.4.5:80:80", "not an IPv4 address"},
		{"localhost:80:80", "not an IPv4 address"},
		{"::1:80:80", "in brackets"},
		{"[::1:80:80", "expected [IPV6]:HOST:CONTAINER"},
		{"[::1]:80", "expected [IPV6]:HOST:CONTAINER"},
		{"[1.2.3.4]:80:80", "not an IPv6 address"},
		{"[nope]:80:80", "not an IPv6 address"},
		{"127.0.0.1:5000", "invalid host port"},
		{"a:b:c:d", "in brackets"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct spec_port *ports = NULL;
		size_t n = 0;
		char *err = NULL;
		if (spec_parse_ports(cases[i][0], &ports, &n, &err) != -1)
			fail_msg("`%s` should fail", cases[i][0]);
		assert_int_equal(n, 0);
		assert_null(ports);
		if (!err || !strstr(err, cases[i][1]))
			fail_msg("`%s`: `%s` lacks `%s`", cases[i][0], err, cases[i][1]);
		free(err);
	}
}

static void test_capabilities(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"CHOWN", "CHOWN"},
		{"chown", "CHOWN"},
		{"CAP_CHOWN", "CHOWN"},
		{"cap_net_bind_service", "NET_BIND_SERVICE"},
		{"Sys_Admin", "SYS_ADMIN"},
		{"SETUID", "SETUID"},
		{"ALL", "ALL"},
		{"all", "ALL"},
		{"CAP_ALL", "ALL"},
		{"checkpoint_restore", "CHECKPOINT_RESTORE"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = NULL, *err = NULL;
		if (spec_parse_capability(cases[i][0], &out, &err) != 0)
			fail_msg("`%s`: %s", cases[i][0], err);
		assert_string_equal(out, cases[i][1]);
		free(out);
	}
	static const char *bad[][2] = {
		{"SETUIDD", "did you mean SETUID?"},
		{"NET_BIND", "unknown capability `NET_BIND`"},
		{"CAP_", "unknown capability"},
		{"", "empty capability"},
		{"0", "unknown capability `0`"},
		{"5", "unknown capability `5`"},
		{"frobnicate", "valid"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *out = NULL, *err = NULL;
		if (spec_parse_capability(bad[i][0], &out, &err) != -1)
			fail_msg("`%s` should fail, gave %s", bad[i][0], out);
		if (!strstr(err, bad[i][1]))
			fail_msg("`%s`: `%s` lacks `%s`", bad[i][0], err, bad[i][1]);
		if (i == ARRAY_SIZE(bad) - 1) {
			/* The list names the valid ones, compactly. */
			assert_non_null(strstr(err, "CHOWN DAC_OVERRIDE"));
			assert_non_null(strstr(err, "NET_ADMIN"));
			assert_true(strlen(err) < 600);
		}
		free(err);
	}
}

static void test_signals(void **state)
{
	(void)state;
	const struct {
		const char *in;
		int sig;
	} cases[] = {
		{"SIGTERM", SIGTERM}, {"TERM", SIGTERM},  {"term", SIGTERM},    {"sigterm", SIGTERM}, {"15", SIGTERM},
		{"SIGKILL", SIGKILL}, {"9", SIGKILL},     {"SIGINT", SIGINT},   {"QUIT", SIGQUIT},    {"SIGHUP", SIGHUP},
		{"USR1", SIGUSR1},    {"SIGUSR2", SIGUSR2}, {"SIGWINCH", SIGWINCH}, {"1", 1},
		{"SIGRTMIN", SIGRTMIN}, {"RTMIN+3", SIGRTMIN + 3}, {"SIGRTMAX", SIGRTMAX}, {"RTMAX-1", SIGRTMAX - 1},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int s = -1;
		char *err = NULL;
		if (spec_parse_signal(cases[i].in, &s, &err) != 0)
			fail_msg("`%s`: %s", cases[i].in, err);
		if (s != cases[i].sig)
			fail_msg("`%s` → %d, expected %d", cases[i].in, s, cases[i].sig);
	}
	static const char *bad[][2] = {
		{"SIGTREM", "did you mean SIGTERM?"},
		{"TERMM", "did you mean SIGTERM?"},
		{"0", "invalid signal number"},
		{"65", "invalid signal number"},
		{"15x", "invalid signal number"},
		{"", "empty signal"},
		{"SIGNOPE_NOT_THERE", "unknown signal"},
		{"RTMIN+99", "unknown signal"},
		{"RTMIN-1", "unknown signal"},
		{"-9", "unknown signal"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int s = -1;
		char *err = NULL;
		if (spec_parse_signal(bad[i][0], &s, &err) != -1)
			fail_msg("`%s` should fail, gave %d", bad[i][0], s);
		if (!strstr(err, bad[i][1]))
			fail_msg("`%s`: `%s` lacks `%s`", bad[i][0], err, bad[i][1]);
		free(err);
	}
}

static void test_suggest(void **state)
{
	(void)state;
	static const char *const keys[] = {"ports", "image", "environment", "healthcheck", "cap_drop", "cap_add", "volumes"};
	static const char *cases[][2] = {
		{"prots", "ports"},          /* transposition costs 1 */
		{"port", "ports"},
		{"Ports", "ports"},          /* case differences are typos too */
		{"imgae", "image"},
		{"enviroment", "environment"},
		{"environmnet", "environment"},
		{"helthcheck", "healthcheck"},
		{"cap_dorp", "cap_drop"},
		{"volume", "volumes"},
		{"x", NULL},
		{"totally_unrelated", NULL},
		{"ports", NULL},             /* a valid word needs no suggestion */
		{"", NULL},
		{"cpus", NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *s = spec_suggest(cases[i][0], keys, ARRAY_SIZE(keys));
		if (!cases[i][1] && s)
			fail_msg("`%s`: suggested `%s`, expected none", cases[i][0], s);
		if (cases[i][1] && (!s || strcmp(s, cases[i][1])))
			fail_msg("`%s`: suggested `%s`, expected `%s`", cases[i][0], s, cases[i][1]);
	}
	/* Threshold len/3+1: a 5-letter word may be 2 edits away, not 3. */
	assert_string_equal(spec_suggest("pxrtz", keys, ARRAY_SIZE(keys)), "ports");
	assert_null(spec_suggest("pxrxz", keys, ARRAY_SIZE(keys)));
	char long_word[200];
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	assert_null(spec_suggest(long_word, keys, ARRAY_SIZE(keys)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_ok),   cmocka_unit_test(test_duration_errors),
		cmocka_unit_test(test_size_ok),       cmocka_unit_test(test_size_errors),
		cmocka_unit_test(test_port_number),   cmocka_unit_test(test_ports_ok),
		cmocka_unit_test(test_ports_append),  cmocka_unit_test(test_ports_errors),
		cmocka_unit_test(test_capabilities),  cmocka_unit_test(test_signals),
		cmocka_unit_test(test_suggest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
