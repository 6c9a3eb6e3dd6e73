/* Capabilities: prepare from Docker-style add/drop lists, apply in a forked
 * child, and check from inside (/proc/self/status, syscalls) what it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/caps.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct status_caps {
	uint64_t inh, prm, eff, bnd, amb;
	int chown_errno; /* errno of chown() on a root-owned file, 0 if it worked */
};

static uint64_t field(const char *text, const char *key)
{
	/* Runs in the child: no cmocka asserts here. */
	const char *p = strstr(text, key);
	if (!p)
		_exit(20);
	return strtoull(p + strlen(key), NULL, 16);
}

/* In a forked child: apply the caps (switching to `uid` between the two
 * steps when non-zero), then report what /proc/self/status says. */
static struct status_caps run_child(const struct rt_caps *caps, uid_t uid)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	char tmpl[] = "/tmp/rtsec-caps-XXXXXX";
	int tfd = mkstemp(tmpl);
	assert_true(tfd >= 0);
	close(tfd);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		struct status_caps out = {0};
		st_error_t err = NULL;
		if (rt_caps_apply_bounding(caps, &err) < 0)
			_exit(10);
		if (uid != 0 && (setgid(uid) < 0 || setuid(uid) < 0))
			_exit(11);
		if (rt_caps_apply_final(caps, uid, &err) < 0)
			_exit(12);
		char buf[4096];
		int fd = open("/proc/self/status", O_RDONLY);
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			_exit(13);
		buf[n] = '\0';
		out.inh = field(buf, "CapInh:");
		out.prm = field(buf, "CapPrm:");
		out.eff = field(buf, "CapEff:");
		out.bnd = field(buf, "CapBnd:");
		out.amb = field(buf, "CapAmb:");
		/* A file owned by root: changing its owner needs CAP_CHOWN. */
		out.chown_errno = chown(tmpl, 4242, 4242) == 0 ? 0 : errno;
		if (write(fds[1], &out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(14);
		_exit(0);
	}
	close(fds[1]);
	struct status_caps got = {0};
	assert_int_equal(read(fds[0], &got, sizeof(got)), sizeof(got));
	close(fds[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(tmpl);
	return got;
}

#define B(c) (1ULL << (c))
static const uint64_t docker_defaults =
	B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FSETID) | B(CAP_FOWNER) | B(CAP_MKNOD) | B(CAP_NET_RAW) |
	B(CAP_SETGID) | B(CAP_SETUID) | B(CAP_SETFCAP) | B(CAP_SETPCAP) | B(CAP_NET_BIND_SERVICE) |
	B(CAP_SYS_CHROOT) | B(CAP_KILL) | B(CAP_AUDIT_WRITE);

static void test_defaults_mask(void **state)
{
	(void)state;
	assert_int_equal(rt_caps_default_mask(), docker_defaults);
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(NULL, NULL, &c, &err), 0);
	assert_int_equal(c.set, docker_defaults);
	char *s = rt_caps_format(c.set);
	assert_non_null(strstr(s, "NET_BIND_SERVICE"));
	assert_non_null(strstr(s, "AUDIT_WRITE"));
	free(s);
}

static void test_drop_setuid_setgid_in_child(void **state)
{
	(void)state;
	const char *drop[] = {"SETUID", "CAP_SETGID", NULL};
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(NULL, drop, &c, &err), 0);
	uint64_t want = docker_defaults & ~B(CAP_SETUID) & ~B(CAP_SETGID);
	struct status_caps got = run_child(&c, 0);
	assert_int_equal(got.eff, want);
	assert_int_equal(got.prm, want);
	assert_int_equal(got.bnd, want);
	assert_int_equal(got.inh, 0);
	assert_int_equal(got.amb, 0);
	assert_int_equal(got.chown_errno, 0); /* CHOWN kept */
}

static void test_drop_all_add_one(void **state)
{
	(void)state;
	const char *drop[] = {"ALL", NULL};
	const char *add[] = {"net_bind_service", NULL};
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(add, drop, &c, &err), 0);
	struct status_caps got = run_child(&c, 0);
	assert_int_equal(got.eff, B(CAP_NET_BIND_SERVICE));
	assert_int_equal(got.bnd, B(CAP_NET_BIND_SERVICE));
	assert_int_equal(got.chown_errno, EPERM); /* root without CAP_CHOWN */
}

static void test_add_all_drop_one(void **state)
{
	(void)state;
	const char *add[] = {"ALL", NULL};
	const char *drop[] = {"CAP_CHOWN", NULL};
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(add, drop, &c, &err), 0);
	assert_false(c.set & B(CAP_CHOWN));
	assert_true(c.set & B(CAP_SYS_ADMIN));
	/* Whatever our own bounding set lacks is reported, not silently lost. */
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (f) {
		assert_int_equal(fscanf(f, "%d", &last), 1);
		fclose(f);
	}
	for (int cap = 0; cap <= last; cap++) {
		if (cap == CAP_CHOWN)
			continue;
		int have = prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
		assert_int_equal(!!(c.set & B(cap)), have);
		assert_int_equal(!!(c.unavailable & B(cap)), !have);
	}
	struct status_caps got = run_child(&c, 0);
	assert_int_equal(got.eff, c.set);
	assert_int_equal(got.chown_errno, EPERM);
}

static void test_add_beats_drop(void **state)
{
	(void)state;
	/* Docker: defaults - drop + add, so naming a cap in both keeps it. */
	const char *add[] = {"NET_ADMIN", "KILL", NULL};
	const char *drop[] = {"KILL", "MKNOD", NULL};
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(add, drop, &c, &err), 0);
	assert_int_equal(c.set, (docker_defaults & ~B(CAP_MKNOD)) | B(CAP_NET_ADMIN));
}

static void test_non_root_gets_no_effective_caps(void **state)
{
	(void)state;
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(NULL, NULL, &c, &err), 0);
	struct status_caps got = run_child(&c, 1000);
	assert_int_equal(got.eff, 0);
	assert_int_equal(got.prm, 0);
	assert_int_equal(got.inh, 0);
	assert_int_equal(got.amb, 0);
	assert_int_equal(got.bnd, docker_defaults);
	assert_int_equal(got.chown_errno, EPERM);
}

static void test_unknown_names(void **state)
{
	(void)state;
	const char *add[] = {"NET_ADMIN", "FLY", NULL};
	const char *drop[] = {"CAP_TELEPORT", NULL};
	struct rt_caps c;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(add, drop, &c, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "`FLY` in cap_add"));
	assert_non_null(strstr(err->msg, "`CAP_TELEPORT` in cap_drop"));
	st_error_free(&err);
	assert_int_equal(rt_caps_from_name("cap_sys_admin"), CAP_SYS_ADMIN);
	assert_int_equal(rt_caps_from_name("SYS_ADMIN"), CAP_SYS_ADMIN);
	assert_int_equal(rt_caps_from_name("ALL"), -1);
	assert_int_equal(rt_caps_from_name(""), -1);
	assert_int_equal(rt_caps_from_name("CAP_"), -1);
	assert_string_equal(rt_caps_to_name(CAP_NET_RAW), "NET_RAW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_mask),
		cmocka_unit_test(test_drop_setuid_setgid_in_child),
		cmocka_unit_test(test_drop_all_add_one),
		cmocka_unit_test(test_add_all_drop_one),
		cmocka_unit_test(test_add_beats_drop),
		cmocka_unit_test(test_non_root_gets_no_effective_caps),
		cmocka_unit_test(test_unknown_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
