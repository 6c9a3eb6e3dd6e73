/* IPv4 subnets of `ipam.config.subnet` (spec/subnet.h): what parses, what
 * is refused and why, formatting, overlap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/subnet.h"

#include <stdlib.h>
#include <string.h>

static void test_parse_ok(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint32_t addr;
		int prefix;
	} cases[] = {
		{"10.5.0.0/24", 0x0a050000u, 24},   {"192.168.1.0/29", 0xc0a80100u, 29},
		{"172.16.0.0/12", 0xac100000u, 12}, {"10.0.0.0/8", 0x0a000000u, 8},
		{"10.90.0.0/15", 0x0a5a0000u, 15},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec_subnet n;
		char *msg = NULL;
		assert_int_equal(spec_subnet_parse(cases[i].in, &n, &msg), 0);
		assert_null(msg);
		assert_int_equal(n.addr, cases[i].addr);
		assert_int_equal(n.prefix, cases[i].prefix);
		char buf[SPEC_SUBNET_STRLEN];
		spec_subnet_format(&n, buf);
		assert_string_equal(buf, cases[i].in);
	}
}

/* Each bad input is refused with a message that contains `why`. */
static void test_parse_refused(void **state)
{
	(void)state;
	static const struct {
		const char *in, *why;
	} cases[] = {
		{"10.5.0.0", "CIDR form"},
		{"/24", "CIDR form"},
		{"10.5.0/24", "not an IPv4 address"},
		{"fd00::/64", "IPv4 only"},
		{"10.5.0.0/", "not a number"},
		{"10.5.0.0/24x", "not a number"},
		{"10.5.0.0/024", "not a number"},
		{"10.5.0.0/-1", "not a number"},
		{"10.5.0.0/30", "out of range"},
		{"10.5.0.0/32", "out of range"},
		{"10.0.0.0/7", "out of range"},
		{"0.0.0.0/0", "out of range"},
		{"10.5.0.7/24", "did you mean 10.5.0.0/24"},
		{"127.0.0.0/8", "loopback"},
		{"127.5.0.0/16", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"224.0.0.0/8", "multicast"},
		{"240.0.0.0/8", "reserved"},
		{"0.0.0.0/8", "this network"},
		{"10.5.0.0/24\n", "not a number"},
		{"999.5.0.0/24", "not an IPv4 address"},
		{"10.5.0.0.0.0.0.0/24", "CIDR form"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec_subnet n = {.addr = 42, .prefix = 42};
		char *msg = NULL;
		assert_int_equal(spec_subnet_parse(cases[i].in, &n, &msg), -1);
		assert_non_null(msg);
		if (!strstr(msg, cases[i].why))
			fail_msg("`%s`: message `%s` does not say `%s`", cases[i].in, msg, cases[i].why);
		free(msg);
		assert_int_equal(n.addr, 42); /* untouched on failure */
	}
}

static void test_overlap(void **state)
{
	(void)state;
	struct spec_subnet a = {0x0a050000u, 16}, b = {0x0a050300u, 24}, c = {0x0a060000u, 24},
			   d = {0x0a000000u, 8};
	assert_true(spec_subnet_overlap(&a, &b));
	assert_true(spec_subnet_overlap(&b, &a));
	assert_false(spec_subnet_overlap(&a, &c));
	assert_false(spec_subnet_overlap(&b, &c));
	assert_true(spec_subnet_overlap(&d, &c));
	assert_true(spec_subnet_overlap(&a, &a));
	assert_int_equal(spec_subnet_mask(24), 0xffffff00u);
	assert_int_equal(spec_subnet_mask(0), 0);
	char buf[16];
	spec_ipv4_format(0xffffffffu, buf);
	assert_string_equal(buf, "255.255.255.255");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
