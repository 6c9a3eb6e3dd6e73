/* sup_lock_take where O_TMPFILE is missing (a file system without it, or
 * an older kernel): the lock is made as ID.lock.PID and moved into place.
 * rename() replaces what is there, so a second `stack run --name ID` put
 * its own lock over the one a live run held, and both ran as ID (one
 * state dir, one cgroup).  The move must fail when the name is taken, and
 * the second take must then be refused as "in use".  O_TMPFILE is made to
 * fail with EOPNOTSUPP by a seccomp filter in a child process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/model.h"
#include "supervisor/stale.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

static char top[64];

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/review-lock-XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fs_remove_tree(top, NULL);
}

/* openat(..., flags with __O_TMPFILE, ...) fails with EOPNOTSUPP, as on a
 * file system without O_TMPFILE. */
static int no_tmpfile(void)
{
#ifdef NATIVE_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* the low 32 bits of the flags (little endian) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 020000000 /* O_TMPFILE less O_DIRECTORY */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	/* the filter works: O_TMPFILE is refused as it would be there */
	int fd = open(top, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || errno != EOPNOTSUPP)
		return -1;
	return 0;
#else
	return -1;
#endif
}

/* In a child without O_TMPFILE: take ID twice (as two runs would; flock
 * locks of two open files conflict within one process too).  Exit 0: the
 * second was refused as in use and the first still holds the name; 1: the
 * second took it; 77: no filter here. */
static void take_twice_child(void)
{
	if (no_tmpfile() < 0)
		_exit(77);
	_cleanup_free_ char *run = xasprintf("%s/run", top), *root = xasprintf("%s/root", top);
	struct st_paths paths = {.root = root, .run = run, .cgroup_parent = "stack-review-lock"};
	char name[] = "p";
	struct spec_stack stack = {.name = name};
	st_error_t err = NULL;
	int first = -1, second = -1;
	if (sup_lock_take(&paths, &stack, "c", &first, &err) < 0) {
		fprintf(stderr, "first take failed: %s\n", err->msg);
		_exit(2);
	}
	int r = sup_lock_take(&paths, &stack, "c", &second, &err);
	if (r == 0) {
		fprintf(stderr, "a second take of a held name succeeded\n");
		_exit(1);
	}
	if (err->status != EBUSY) {
		fprintf(stderr, "the second take failed, but not as in use: %s\n", err->msg);
		_exit(3);
	}
	/* ID.lock is still the first one's file */
	_cleanup_free_ char *lock = xasprintf("%s/p/c.lock", run);
	struct stat a, b;
	if (stat(lock, &a) < 0 || fstat(first, &b) < 0 || a.st_ino != b.st_ino) {
		fprintf(stderr, "c.lock is not the first run's lock any more\n");
		_exit(4);
	}
	sup_lock_release(&paths, &stack, "c", first);
	/* and once released the name is free again */
	if (sup_lock_take(&paths, &stack, "c", &second, &err) < 0) {
		fprintf(stderr, "the released name could not be taken: %s\n", err->msg);
		_exit(5);
	}
	sup_lock_release(&paths, &stack, "c", second);
	_exit(0);
}

static void test_fallback_lock_is_not_taken_over(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		take_twice_child();
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A starter of container a.lock.b killed before its move left
 * a.lock.b.lock.PID, unlocked: the sweep removes it like any other
 * (the name was read up to its first ".lock.", and kept for ever). */
static void test_unplaced_lock_of_a_dotted_id_is_swept(void **state)
{
	(void)state;
	_cleanup_free_ char *run = xasprintf("%s/run", top), *root = xasprintf("%s/root", top);
	_cleanup_free_ char *dir = xasprintf("%s/p", run);
	_cleanup_free_ char *left = xasprintf("%s/a.lock.b.lock.12345", dir);
	assert_int_equal(fs_mkdir_p(dir, 0700, NULL), 0);
	int fd = open(left, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	struct st_paths paths = {.root = root, .run = run, .cgroup_parent = "stack-review-lock"};
	char name[] = "p";
	struct spec_stack stack = {.name = name};
	st_error_t err = NULL;
	assert_int_equal(sup_sweep_stale(&paths, &stack, &err), 1); /* what it removed */
	assert_int_equal(access(left, F_OK), -1);
	assert_true(sup_id_is_reserved("a.lock.b.lock.12345"));
	assert_false(sup_id_is_reserved("a.lock.b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fallback_lock_is_not_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unplaced_lock_of_a_dotted_id_is_swept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
