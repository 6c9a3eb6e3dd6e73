/* The runtime under an event loop: a start whose child hangs ends at its
 * deadline with the step named and nothing left behind, and a cgroup
 * that does not empty makes the step-wise release say "again" instead of
 * sleeping.  Real containers, as test_container.c (busybox rootfs, temp
 * dirs, a cgroup parent of our own).  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/container.h"
#include "runtime/internal.h" /* rt_test_child_hang_step */
#include "util/fs.h"
#include "util/mem.h"
#include "ct_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* Long enough for a loaded machine to reach the hanging step; the tests
 * assert on the outcome, never on how long it took. */
#define HANG_TIMEOUT_MS 2000

static int group_setup(void **state)
{
	(void)state;
	return ct_fixture_setup("test_container_async", 'a');
}

static int group_teardown(void **state)
{
	(void)state;
	return ct_fixture_teardown();
}

/* Start must fail with ETIMEDOUT naming `step`, and leave no process
 * (we have no child left), no cgroup and no state dir. */
static void expect_hang(struct run *r, const char *step)
{
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	r->cfg.start_timeout_ms = HANG_TIMEOUT_MS;
	int rc = rt_container_start(&r->cfg, &ct, &err);
	rt_test_child_hang_step = NULL;
	if (rc == 0)
		rt_container_destroy(ct, NULL);
	assert_int_equal(rc, -1);
	assert_null(ct);
	assert_non_null(err);
	assert_contains(err->msg, step);
	assert_contains(err->msg, "start_timeout_ms");
	assert_int_equal(err->status, ETIMEDOUT);
	st_error_free(&err);
	struct stat st;
	assert_int_equal(lstat(r->state_dir, &st), -1);
	assert_int_equal(ct_cgroup_dirs(r->id), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A step inside the image (the user's lookup in its /etc/passwd, on a
 * lower layer of a hung network file system): the child stops there. */
static void test_hung_user_lookup_times_out(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "echo never");
	r.cfg.process.user = "1000";
	rt_test_child_hang_step = "look up the user";
	expect_hang(&r, "container process hung at: look up the user `1000` in the container's /etc/passwd");
}

/* A bind source on a hung file system (simulated: the child stops at
 * that step, as it would inside mount()). */
static void test_hung_bind_source_times_out(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "echo never");
	r.mounts[0] = (struct rt_mount){.type = RT_MOUNT_BIND, .source = secret, .target = "/run/secrets/api",
					.read_only = true};
	r.cfg.n_mounts = 1;
	rt_test_child_hang_step = "bind `";
	char want[512];
	snprintf(want, sizeof(want), "container process hung at: bind `%s` on `/run/secrets/api`", secret);
	expect_hang(&r, want);
}

/* After the setup, before the execve (the payload's binary on a hung
 * mount would stop it there), and with init in between. */
static void test_hung_exec_times_out(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "echo never");
	rt_test_child_hang_step = "exec stack-init";
	expect_hang(&r, "container process hung at: exec stack-init, which runs `/bin/sh`");
	ct_run_init(&r, "echo never");
	r.cfg.init = false;
	rt_test_child_hang_step = "join the cgroup";
	expect_hang(&r, "container process hung at: join the cgroup");
}

/* rt_container_exec() goes through the same handshake and deadline; the
 * container it was meant for runs on, unharmed. */
static void test_hung_exec_into_container_times_out(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "read line; echo got $line");
	r.cfg.start_timeout_ms = HANG_TIMEOUT_MS;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);

	rt_test_child_hang_step = "setns into the container";
	const char *argv[] = {"/bin/true", NULL};
	struct rt_process proc = {.argv = argv, .stdio = RT_STDIO_PIPES, .fds = {-1, -1, -1}};
	struct rt_exec *x = NULL;
	int rc = rt_container_exec(ct, &proc, &x, &err);
	rt_test_child_hang_step = NULL;
	if (rc == 0)
		rt_exec_free(x);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	assert_int_equal(err->status, ETIMEDOUT);
	assert_contains(err->msg, "exec'd process hung at: setns into the container's namespaces");
	st_error_free(&err);

	assert_int_equal(write(rt_container_stdio(ct, 0), "hi\n", 3), 3);
	char buf[16] = "";
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, 7), 7);
	assert_string_equal(buf, "got hi\n");
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static bool file_starts(const char *path, const char *want)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && strncmp(buf, want, strlen(want)) == 0;
}

/* Freeze (or thaw) the cgroup `rel`: the v1 freezer, else cgroup2's
 * cgroup.freeze.  Returns false when the host has neither for it. */
static bool freeze(const char *rel, bool on)
{
	char state[640], ctl[640];
	snprintf(state, sizeof(state), "/sys/fs/cgroup/freezer/%s/freezer.state", rel);
	if (access(state, F_OK) == 0) {
		assert_int_equal(write_file(state, on ? "FROZEN" : "THAWED"), 0);
		while (!file_starts(state, on ? "FROZEN" : "THAWED"))
			nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
		return true;
	}
	snprintf(ctl, sizeof(ctl), "/sys/fs/cgroup/unified/%s/cgroup.freeze", rel);
	if (access(ctl, F_OK) != 0)
		snprintf(ctl, sizeof(ctl), "/sys/fs/cgroup/%s/cgroup.freeze", rel);
	if (access(ctl, F_OK) != 0)
		return false;
	assert_int_equal(write_file(ctl, on ? "1" : "0"), 0);
	return true;
}

/* Put pid into the cgroup `rel` in every hierarchy that has it. */
static void join_cgroup(const char *rel, pid_t pid)
{
	DIR *d = opendir("/sys/fs/cgroup");
	assert_non_null(d);
	struct dirent *de;
	char pidtext[32];
	snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
	int joined = 0;
	while ((de = readdir(d))) {
		char p[640];
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s/cgroup.procs", de->d_name, rel);
		if (de->d_name[0] != '.' && access(p, F_OK) == 0) {
			assert_int_equal(write_file(p, pidtext), 0);
			joined++;
		}
	}
	closedir(d);
	assert_true(joined > 0);
}

/* A cgroup that will not empty: a process of ours, frozen in the
 * container's cgroup, cannot die of the SIGKILL release sends until it
 * is thawed (as a task in an uninterruptible sleep).  release says
 * "again" meanwhile, every time, keeping the container; once the process
 * is gone it says "done" and nothing is left. */
static void test_release_steps_while_cgroup_busy(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "exit 3");
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(st.exit_code, 3);
	char rel[256];
	snprintf(rel, sizeof(rel), "%s", rt_container_cgroup_path(ct));

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Ends on its own (SIGALRM, not SIGKILL) if release never
		 * kills it: the test then fails instead of hanging. */
		alarm(120);
		for (;;)
			pause();
	}
	join_cgroup(rel, pid);
	if (!freeze(rel, true)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_int_equal(rt_container_destroy(ct, &err), 0);
		skip();
	}

	int retry = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rt_container_release(ct, &retry, &err), 1);
		assert_null(err);
		assert_true(retry > 0);
	}
	struct stat sb;
	assert_int_equal(lstat(r.state_dir, &sb), 0); /* kept until done */
	assert_true(ct_cgroup_dirs(r.id) > 0);

	freeze(rel, false);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL); /* release killed it */

	int rc;
	for (int i = 0; (rc = rt_container_release(ct, &retry, &err)) == 1 && i < 1000; i++)
		nanosleep(&(struct timespec){.tv_nsec = (long)retry * 1000000L}, NULL);
	if (rc < 0)
		fprintf(stderr, "release: %s\n", err->msg);
	assert_int_equal(rc, 0);
	assert_int_equal(lstat(r.state_dir, &sb), -1);
	assert_int_equal(ct_cgroup_dirs(r.id), 0);
}

/* The loop's stop: the stop signal, the pidfd, SIGKILL at its own timer
 * (here: at once, as a payload that ignores TERM needs), try_wait,
 * release; nothing of it blocks. */
static void test_stop_and_release_from_a_loop(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "trap '' TERM; echo up; while :; do sleep 1; done");
	r.cfg.init = false;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	char buf[8] = "";
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, 3), 3);
	assert_int_equal(rt_container_kill(ct, SIGTERM, &err), 0);
	struct rt_exit st;
	assert_int_equal(rt_container_try_wait(ct, &st, &err), 0); /* TERM ignored */
	assert_int_equal(rt_container_kill(ct, SIGKILL, &err), 0);
	/* What the loop watches: readable once the process exited. */
	int pidfd = rt_container_pidfd(ct);
	if (pidfd >= 0) {
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, -1), 1);
	}
	int rc;
	while ((rc = rt_container_try_wait(ct, &st, &err)) == 0)
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	assert_int_equal(rc, 1);
	assert_int_equal(st.signal, SIGKILL);
	int retry;
	for (int i = 0; (rc = rt_container_release(ct, &retry, &err)) == 1 && i < 1000; i++)
		nanosleep(&(struct timespec){.tv_nsec = (long)retry * 1000000L}, NULL);
	assert_int_equal(rc, 0);
	struct stat sb;
	assert_int_equal(lstat(r.state_dir, &sb), -1);
	assert_int_equal(ct_cgroup_dirs(r.id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hung_user_lookup_times_out),
		cmocka_unit_test(test_hung_bind_source_times_out),
		cmocka_unit_test(test_hung_exec_times_out),
		cmocka_unit_test(test_hung_exec_into_container_times_out),
		cmocka_unit_test(test_release_steps_while_cgroup_busy),
		cmocka_unit_test(test_stop_and_release_from_a_loop),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
