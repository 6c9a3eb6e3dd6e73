/* rlimits: clamping instead of failing when a hard
 * limit cannot be raised (no CAP_SYS_RESOURCE), checked in a child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/rlimit.h"
#include "util/strv.h"

#include <cap-ng.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_soft_above_hard(void **state)
{
	(void)state;
	struct rt_rlimit l = {RLIMIT_NOFILE, 100, 50};
	st_error_t err = NULL;
	assert_int_equal(rt_rlimit_prepare(&l, 1, NULL, &err), -1);
	assert_non_null(strstr(err->msg, "nofile"));
	st_error_free(&err);
}

/* Child without CAP_SYS_RESOURCE (as root here sometimes is) and a low
 * nofile hard limit: asking for more is clamped with a warning, not an
 * error, and the limit really set is the clamped one. */
static int clamp_child(void)
{
	capng_get_caps_process();
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_SYS_RESOURCE);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return 1;
	struct rlimit low = {1024, 4096};
	if (setrlimit(RLIMIT_NOFILE, &low) < 0)
		return 2;
	struct rt_rlimit l[] = {
		{RLIMIT_NOFILE, 8192, 1048576},
		{RLIMIT_CORE, 0, 0},
	};
	struct strv warn = {0};
	st_error_t err = NULL;
	if (rt_rlimit_prepare(l, 2, &warn, &err) < 0)
		return 3;
	if (warn.n != 1 || !strstr(warn.v[0], "nofile") || !strstr(warn.v[0], "clamped to 4096"))
		return 4;
	if (l[0].soft != 4096 || l[0].hard != 4096 || l[1].soft != 0 || l[1].hard != 0)
		return 5;
	if (rt_rlimit_apply(l, 2, NULL) != 0)
		return 6;
	struct rlimit got;
	getrlimit(RLIMIT_NOFILE, &got);
	if (got.rlim_cur != 4096 || got.rlim_max != 4096)
		return 7;
	getrlimit(RLIMIT_CORE, &got);
	if (got.rlim_cur != 0 || got.rlim_max != 0)
		return 8;
	/* apply alone (no prepare) also clamps rather than failing. */
	struct rt_rlimit raw = {RLIMIT_NOFILE, -1, -1};
	if (rt_rlimit_apply(&raw, 1, NULL) != 0)
		return 9;
	getrlimit(RLIMIT_NOFILE, &got);
	if (got.rlim_max != 4096 || got.rlim_cur != 4096)
		return 10;
	/* Lowering is always allowed and nothing is reported. */
	struct rt_rlimit lower = {RLIMIT_NOFILE, 64, 128};
	strv_free(&warn);
	if (rt_rlimit_prepare(&lower, 1, &warn, &err) < 0 || warn.n != 0 || lower.hard != 128)
		return 11;
	if (rt_rlimit_apply(&lower, 1, NULL) != 0)
		return 12;
	getrlimit(RLIMIT_NOFILE, &got);
	if (got.rlim_max != 128 || got.rlim_cur != 64)
		return 13;
	strv_free(&warn);
	return 0;
}

static void test_clamp_without_sys_resource(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(clamp_child());
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_above_hard),
		cmocka_unit_test(test_clamp_without_sys_resource),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
