/* Units for builder/apt_conf: which host apt.conf.d files host_apt lends
 * (every statement an Acquire:: one, in apt.conf's syntax). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/host_apt.h"

static void test_acquire_only_is_lent(void **state)
{
	(void)state;
	assert_true(build_apt_conf_acquire_only("Acquire::http::Proxy \"http://p:3142\";\n"));
	assert_true(build_apt_conf_acquire_only("// a proxy\nacquire::https::Proxy \"DIRECT\";\n"));
	assert_true(build_apt_conf_acquire_only("Acquire { http { Proxy \"x;}\"; }; };\n/* c */ Acquire::Retries \"3\";"));
	assert_true(build_apt_conf_acquire_only("# comment\nAcquire::Check-Valid-Until \"false\";"));
}

static void test_anything_else_is_not(void **state)
{
	(void)state;
	assert_false(build_apt_conf_acquire_only(""));
	assert_false(build_apt_conf_acquire_only("// only a comment\n"));
	assert_false(build_apt_conf_acquire_only("DPkg::Pre-Invoke { \"/usr/bin/tool\"; };"));
	assert_false(build_apt_conf_acquire_only("Acquire::Retries \"3\";\nAPT::Update::Post-Invoke { \"x\"; };"));
	assert_false(build_apt_conf_acquire_only("AcquireX::y \"1\";"));
	assert_false(build_apt_conf_acquire_only("#include \"/etc/other.conf\";\nAcquire::Retries \"3\";"));
	assert_false(build_apt_conf_acquire_only("Acquire { http { Proxy \"x\"; };"));
	assert_false(build_apt_conf_acquire_only("Acquire::http::Proxy \"unterminated;"));
	assert_false(build_apt_conf_acquire_only("Acquire { }; }; DPkg::x \"1\";"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_only_is_lent),
		cmocka_unit_test(test_anything_else_is_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
