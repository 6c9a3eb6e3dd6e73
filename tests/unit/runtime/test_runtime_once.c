/* Lazily built runtime tables from many threads at once (the supervisor
 * and the builder start containers from more than one thread): the
 * built-in seccomp profile is built once and published with its length,
 * and capability names come out whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../race.h"
#include "runtime/caps.h"
#include "runtime/seccomp_internal.h"

#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

struct profile_slot {
	const char *text;
	size_t len;
};

static void get_profile(void *p)
{
	struct profile_slot *s = p;
	s->text = sc_default_profile_json(&s->len);
}

static void test_default_profile_built_once(void **state)
{
	(void)state;
	struct profile_slot slots[RACE_THREADS] = {0};
	assert_int_equal(race_run(slots, sizeof(slots[0]), get_profile), 0);
	assert_non_null(slots[0].text);
	for (size_t i = 0; i < RACE_THREADS; i++) {
		/* One text for everyone (it keys the BPF cache), and never a
		 * length that disagrees with it. */
		assert_ptr_equal(slots[i].text, slots[0].text);
		assert_int_equal(slots[i].len, strlen(slots[0].text));
	}
	assert_non_null(strstr(slots[0].text, "\"defaultAction\":\"SCMP_ACT_ERRNO\""));
}

struct caps_slot {
	char *formatted;
	const char *raw, *sys_admin;
};

static void get_names(void *p)
{
	struct caps_slot *s = p;
	s->formatted = rt_caps_format(rt_caps_default_mask());
	s->raw = rt_caps_to_name(CAP_NET_RAW);
	s->sys_admin = rt_caps_to_name(CAP_SYS_ADMIN);
}

static void test_cap_names_from_many_threads(void **state)
{
	(void)state;
	struct caps_slot slots[RACE_THREADS] = {0};
	assert_int_equal(race_run(slots, sizeof(slots[0]), get_names), 0);
	/* Docker's 14 defaults, in capability number order. */
	const char *want = "CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,"
			   "NET_RAW,SYS_CHROOT,MKNOD,AUDIT_WRITE,SETFCAP";
	for (size_t i = 0; i < RACE_THREADS; i++) {
		assert_string_equal(slots[i].formatted, want);
		assert_string_equal(slots[i].raw, "NET_RAW");
		assert_string_equal(slots[i].sys_admin, "SYS_ADMIN");
		free(slots[i].formatted);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile_built_once),
		cmocka_unit_test(test_cap_names_from_many_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
