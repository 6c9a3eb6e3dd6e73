/* Seccomp: the built-in default profile and Docker-format JSON profiles are
 * loaded in a forked child, which then tries what a container would; the
 * BPF cache is observed on disk; profile errors carry file and JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/caps.h"
#include "runtime/seccomp.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURES TEST_SOURCE_DIR "/fixtures/seccomp"

static char *cache_dir;
#ifdef __x86_64__
static void probe_ia32(void);
#endif

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/rtsec-seccomp-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	cache_dir = xasprintf("%s/cache/seccomp", tmpl);
#ifdef __x86_64__
	probe_ia32();
#endif
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *root = xstrndup(cache_dir, strlen(cache_dir) - strlen("/cache/seccomp"));
	st_error_t err = NULL;
	fs_remove_tree(root, &err);
	st_error_free(&err);
	free(root);
	free(cache_dir);
	return 0;
}

/* Child-side check: report which expectation failed and exit. */
#define EXPECT(cond, code)                                                                                    \
	do {                                                                                                  \
		if (!(cond)) {                                                                                \
			fprintf(stderr, "child: check failed: %s (errno %d)\n", #cond, errno);                  \
			_exit(code);                                                                          \
		}                                                                                             \
	} while (0)

static int seccomp_status_field(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

#ifdef __x86_64__
static bool ia32_works;

static long ia32_syscall(long nr, long a1)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1), "c"(0), "d"(0) : "memory");
	return ret;
}

/* Without CONFIG_IA32_EMULATION int $0x80 kills the caller: probe in a child. */
static void probe_ia32(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(ia32_syscall(20, 0) == getpid() ? 0 : 1);
	int st;
	ia32_works = waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (!ia32_works)
		printf("no ia32 emulation: 32-bit syscall checks skipped\n");
}
#endif

typedef void (*child_fn)(void);

static void run_in_child(const struct rt_seccomp_prog *prog, child_fn fn)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (rt_security_set_no_new_privs(NULL) != 0)
			_exit(90);
		int r = rt_seccomp_load(prog, NULL);
		if (r != 0) {
			fprintf(stderr, "child: seccomp load: %s\n", strerror(-r));
			_exit(91);
		}
		fn();
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void default_profile_checks(void)
{
	EXPECT(seccomp_status_field() == 2, 1);
	EXPECT(getpid() > 1, 2);
	errno = 0;
	EXPECT(unshare(CLONE_NEWNS) < 0 && errno == EPERM, 3);
	EXPECT(mount("none", "/mnt", "tmpfs", 0, NULL) < 0 && errno == EPERM, 4);
	EXPECT(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 && errno == EPERM, 5);
	EXPECT(syscall(SYS_add_key, "user", "k", "v", 1, KEY_SPEC_SESSION_KEYRING) < 0 && errno == EPERM, 6);
	/* clone3 -> ENOSYS so libc falls back to clone, which works without
	 * namespace flags and fails with them. */
	EXPECT(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS, 7);
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	EXPECT(c > 0, 8);
	waitpid(c, NULL, 0);
	EXPECT(syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, 0) < 0 && errno == EPERM, 9);
	EXPECT(syscall(SYS_io_uring_setup, 8, NULL) < 0 && errno == EPERM, 10);
	EXPECT(syscall(SYS_ptrace, 0, 0, 0, 0) < 0 && errno == EPERM, 11);
	EXPECT(syscall(SYS_userfaultfd, 0) < 0 && errno == EPERM, 12);
	EXPECT(syscall(SYS_bpf, 0, NULL, 0) < 0 && errno == EPERM, 13);
	EXPECT(syscall(SYS_kexec_load, 0, 0, NULL, 0) < 0 && errno == EPERM, 14);
	EXPECT(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) < 0 && errno == EPERM, 15);
	EXPECT(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) < 0 && errno == EPERM, 16);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT(s >= 0, 17);
	close(s);
	/* Docker's rule: every family but AF_ALG (38) and AF_VSOCK (40). */
	EXPECT(socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0) < 0 && errno == EPERM, 26);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT(s >= 0, 27);
	close(s);
	s = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */);
	EXPECT(s >= 0, 28);
	close(s);
	errno = 0;
	s = socket(39 /* AF_NFC */, SOCK_SEQPACKET, 0);
	EXPECT(s >= 0 || errno != EPERM, 29);
	if (s >= 0)
		close(s);
	errno = 0;
	s = socket(41 /* AF_KCM */, SOCK_DGRAM, 0);
	EXPECT(s >= 0 || errno != EPERM, 30);
	if (s >= 0)
		close(s);
	EXPECT(personality(0xffffffff) >= 0, 18);        /* query: allowed */
	EXPECT(personality(ADDR_NO_RANDOMIZE) < 0 && errno == EPERM, 19);
	EXPECT(mkdir("/tmp", 0755) < 0 && errno == EEXIST, 20); /* plain file syscalls pass */
	EXPECT(syscall(SYS_pivot_root, "/", "/") < 0 && errno == EPERM, 21);
	EXPECT(syscall(SYS_setns, 0, 0) < 0 && errno == EPERM, 22);
#ifdef __x86_64__
	/* 32-bit x86 syscalls (int $0x80) go through the same allow-list
	 * instead of killing the process as a foreign arch would. */
	if (ia32_works) {
		EXPECT(ia32_syscall(20 /* getpid */, 0) == getpid(), 23);
		EXPECT(ia32_syscall(310 /* unshare */, CLONE_NEWNS) == -EPERM, 24);
		EXPECT(ia32_syscall(288 /* keyctl */, KEYCTL_GET_KEYRING_ID) == -EPERM, 25);
	}
#endif
}

static void test_default_profile(void **state)
{
	(void)state;
	struct rt_seccomp_prog *prog = NULL;
	st_error_t err = NULL;
	int r = rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, NULL, &prog, &err);
	if (r < 0)
		fail_msg("%s", err->msg);
	assert_non_null(prog);
	assert_false(rt_seccomp_prog_from_cache(prog));
	run_in_child(prog, default_profile_checks);
	rt_seccomp_prog_free(prog);
}

static void sys_admin_checks(void)
{
	EXPECT(unshare(CLONE_NEWNS) == 0, 1);
	EXPECT(syscall(SYS_clone3, NULL, 0) < 0 && errno != ENOSYS && errno != EPERM, 2);
	EXPECT(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 && errno == EPERM, 3);
	EXPECT(syscall(SYS_ptrace, 0, 0, 0, 0) < 0 && errno == EPERM, 4);
}

static void test_default_profile_with_sys_admin(void **state)
{
	(void)state;
	const char *add[] = {"SYS_ADMIN", NULL};
	struct rt_caps caps;
	st_error_t err = NULL;
	assert_int_equal(rt_caps_prepare(add, NULL, &caps, &err), 0);
	struct rt_seccomp_prog *prog = NULL;
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, &caps, NULL, &prog, &err), 0);
	run_in_child(prog, sys_admin_checks);
	rt_seccomp_prog_free(prog);
}

static void block_mkdir_checks(void)
{
	EXPECT(seccomp_status_field() == 2, 1);
	EXPECT(mkdir("/tmp/rtsec-never-created", 0755) < 0 && errno == EACCES, 2);
	EXPECT(syscall(SYS_mkdirat, AT_FDCWD, "/tmp/rtsec-never-created", 0755) < 0 && errno == EACCES, 3);
	EXPECT(syscall(SYS_setdomainname, "x", 1) < 0 && errno == EPERM, 4);
	/* the test process is root with CAP_SYS_ADMIN, but the profile was
	 * compiled for Docker's default caps: the rule excluding SYS_ADMIN applies */
	EXPECT(sethostname("x", 1) < 0 && errno == EPERM, 5);
	errno = 0;
	EXPECT(getpriority(PRIO_PGRP, 0) == -1 && errno == EINVAL, 6);
	errno = 0;
	EXPECT(getpriority(PRIO_PROCESS, 0) != -1 || errno == 0, 7);
	EXPECT(getpid() > 1, 8);
	EXPECT(getppid() > 0, 9);      /* includes.minKernel 99.0: not applied */
	EXPECT(getuid() == 0, 10);     /* includes.arches s390x: not applied */
	errno = 0;
	EXPECT(syscall(SYS_getgid) == -1 && errno == E2BIG, 11); /* errnoRet 7 */
}

static void test_json_profile_blocks_mkdir(void **state)
{
	(void)state;
	struct rt_seccomp_prog *prog = NULL;
	st_error_t err = NULL;
	int r = rt_seccomp_prepare(RT_SECCOMP_PROFILE, FIXTURES "/block_mkdir.json", NULL, NULL, &prog, &err);
	if (r < 0)
		fail_msg("%s", err->msg);
	run_in_child(prog, block_mkdir_checks);
	rt_seccomp_prog_free(prog);
	struct stat st;
	assert_int_equal(stat("/tmp/rtsec-never-created", &st), -1);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_cache(void **state)
{
	(void)state;
	st_error_t err = NULL;
	struct rt_seccomp_prog *first = NULL, *second = NULL, *other = NULL;
	double t0 = now_ms();
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, cache_dir, &first, &err), 0);
	double t1 = now_ms();
	assert_false(rt_seccomp_prog_from_cache(first));
	const char *path = rt_seccomp_prog_cache_path(first);
	assert_non_null(path);
	assert_true(strncmp(path, cache_dir, strlen(cache_dir)) == 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, rt_seccomp_prog_size(first) + 8); /* + magic and CRC-32 trailer */
	assert_int_equal(st.st_mode & 0777, 0600);

	double t2 = now_ms();
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, cache_dir, &second, &err), 0);
	double t3 = now_ms();
	assert_true(rt_seccomp_prog_from_cache(second));
	assert_string_equal(rt_seccomp_prog_cache_path(second), path);
	assert_int_equal(rt_seccomp_prog_size(second), rt_seccomp_prog_size(first));
	/* the cached program is the one that runs */
	run_in_child(second, default_profile_checks);
	printf("seccomp default profile prepare: uncached %.3f ms, cached %.3f ms, %zu bytes of BPF\n", t1 - t0,
	       t3 - t2, rt_seccomp_prog_size(first));

	/* other caps, other program: a different cache entry */
	const char *add[] = {"SYS_PTRACE", NULL};
	struct rt_caps caps;
	assert_int_equal(rt_caps_prepare(add, NULL, &caps, &err), 0);
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, &caps, cache_dir, &other, &err), 0);
	assert_false(rt_seccomp_prog_from_cache(other));
	assert_string_not_equal(rt_seccomp_prog_cache_path(other), path);

	/* a JSON profile from the cache still behaves */
	rt_seccomp_prog_free(other);
	other = NULL;
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_PROFILE, FIXTURES "/block_mkdir.json", NULL, cache_dir, &other, &err), 0);
	rt_seccomp_prog_free(other);
	other = NULL;
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_PROFILE, FIXTURES "/block_mkdir.json", NULL, cache_dir, &other, &err), 0);
	assert_true(rt_seccomp_prog_from_cache(other));
	run_in_child(other, block_mkdir_checks);

	/* a damaged cache entry (one flipped byte) is recompiled, not loaded */
	rt_seccomp_prog_free(second);
	second = NULL;
	char *bytes = NULL;
	size_t blen = 0;
	assert_int_equal(fs_read_file(path, 0, &bytes, &blen, &err), 0);
	bytes[100] ^= 0x01;
	assert_int_equal(fs_write_file_atomic(path, bytes, blen, 0600, &err), 0);
	free(bytes);
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, cache_dir, &second, &err), 0);
	assert_false(rt_seccomp_prog_from_cache(second));
	assert_int_equal(rt_seccomp_prog_size(second), rt_seccomp_prog_size(first));
	/* ... and rewritten: a group-writable entry is not trusted either */
	rt_seccomp_prog_free(second);
	second = NULL;
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, cache_dir, &second, &err), 0);
	assert_false(rt_seccomp_prog_from_cache(second));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Average over more runs for the report. */
	double tu = 0, tc = 0;
	const int runs = 20;
	for (int i = 0; i < runs; i++) {
		struct rt_seccomp_prog *p = NULL;
		double a = now_ms();
		assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, NULL, &p, &err), 0);
		double b = now_ms();
		rt_seccomp_prog_free(p);
		p = NULL;
		assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_DEFAULT, NULL, NULL, cache_dir, &p, &err), 0);
		double c = now_ms();
		assert_true(rt_seccomp_prog_from_cache(p));
		rt_seccomp_prog_free(p);
		tu += b - a;
		tc += c - b;
	}
	printf("seccomp default profile prepare, mean of %d: uncached %.3f ms, cached %.3f ms\n", runs, tu / runs,
	       tc / runs);
	rt_seccomp_prog_free(first);
	rt_seccomp_prog_free(second);
	rt_seccomp_prog_free(other);
}

static void expect_error(const char *file, const char *const *needles)
{
	struct rt_seccomp_prog *prog = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_PROFILE, file, NULL, cache_dir, &prog, &err), -1);
	assert_null(prog);
	assert_non_null(err);
	for (; *needles; needles++)
		if (!strstr(err->msg, *needles))
			fail_msg("error `%s` lacks `%s`", err->msg, *needles);
	st_error_free(&err);
}

static void test_profile_errors(void **state)
{
	(void)state;
	expect_error(FIXTURES "/bad_action.json",
		     (const char *const[]){"bad_action.json", "syscalls[3].action", "SCMP_ACT_ALOW", NULL});
	expect_error(FIXTURES "/malformed.json", (const char *const[]){"malformed.json:5:", "invalid JSON", NULL});
	expect_error(FIXTURES "/bad_arg_op.json",
		     (const char *const[]){"bad_arg_op.json", "syscalls[0].args[1]", "SCMP_CMP_SIMILAR", NULL});
	expect_error(FIXTURES "/no-such-file.json", (const char *const[]){"no-such-file.json", NULL});
}

static void test_unconfined(void **state)
{
	(void)state;
	struct rt_seccomp_prog *prog = (struct rt_seccomp_prog *)1;
	st_error_t err = NULL;
	assert_int_equal(rt_seccomp_prepare(RT_SECCOMP_UNCONFINED, NULL, NULL, cache_dir, &prog, &err), 0);
	assert_null(prog);
	assert_int_equal(rt_seccomp_load(prog, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_default_profile_with_sys_admin),
		cmocka_unit_test(test_json_profile_blocks_mkdir),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_unconfined),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
