/* A start driven from a poll loop (rt_container_start_begin / step /
 * abort): the loop never blocks on the container, two starts interleave
 * in one loop, the deadline is the same as the blocking start's, and an
 * abort at any phase leaves no process, cgroup or state dir.  Real
 * containers over the busybox fixture.  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/container.h"
#include "runtime/internal.h" /* rt_test_child_hang_step */
#include "util/fs.h"
#include "ct_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Long enough for a loaded machine to reach the hanging step; the tests
 * assert on outcomes, never on durations. */
#define HANG_TIMEOUT_MS 2000

static int group_setup(void **state)
{
	(void)state;
	return ct_fixture_setup("test_container_start_steps", 's');
}

static int group_teardown(void **state)
{
	(void)state;
	return ct_fixture_teardown();
}

static void assert_nothing_left(const struct run *r)
{
	struct stat st;
	assert_int_equal(lstat(r->state_dir, &st), -1);
	assert_int_equal(ct_cgroup_dirs(r->id), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* One turn of the loop: wait for the fd or the start's timer, then step. */
static int turn(struct rt_start *s, struct rt_container **ct, st_error_t *err)
{
	struct pollfd pfd = {.fd = rt_spawn_fd(s), .events = POLLIN};
	assert_true(pfd.fd >= 0);
	int r = poll(&pfd, 1, rt_spawn_timeout_ms(s));
	assert_true(r >= 0);
	return rt_container_start_step(s, ct, err);
}

/* Begin r's start and turn the loop until it ends: what the last step
 * returned (0 started, -1 failed). */
static int start_by_steps(struct run *r, struct rt_container **ct, st_error_t *err)
{
	struct rt_start *s = NULL;
	assert_int_equal(rt_container_start_begin(&r->cfg, &s, err), 0);
	int rc;
	while ((rc = turn(s, ct, err)) == 1)
		;
	return rc;
}

static void expect_output(struct rt_container *ct, const char *want)
{
	char buf[64] = "";
	size_t len = strlen(want);
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, len), (ssize_t)len);
	assert_string_equal(buf, want);
}

/* The loop reaches a running container; a step never returns before the
 * child spoke unless the answer is "again". */
static void test_poll_loop_starts(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "read line; echo got $line; exit 7");
	struct rt_start *s = NULL;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start_begin(&r.cfg, &s, &err), 0);
	assert_non_null(s);
	assert_true(rt_spawn_timeout_ms(s) > 0);
	int rc, turns = 0;
	while ((rc = turn(s, &ct, &err)) == 1)
		turns++;
	if (rc < 0)
		fail_msg("start: %s", err->msg);
	assert_int_equal(rc, 0);
	assert_non_null(ct);
	assert_true(turns >= 1); /* READY, then the exec: at least two messages */
	assert_int_equal(write(rt_container_stdio(ct, 0), "hi\n", 3), 3);
	expect_output(ct, "got hi\n");
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(st.exit_code, 7);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	assert_nothing_left(&r);
}

/* Two starts in flight in one loop: neither waits for the other. */
static void test_two_starts_interleave(void **state)
{
	(void)state;
	struct run r[2];
	struct rt_start *s[2] = {NULL, NULL};
	struct rt_container *ct[2] = {NULL, NULL};
	st_error_t err = NULL;
	for (int i = 0; i < 2; i++) {
		ct_run_init(&r[i], i ? "echo two" : "echo one");
		assert_int_equal(rt_container_start_begin(&r[i].cfg, &s[i], &err), 0);
	}
	int live = 2;
	while (live > 0) {
		struct pollfd pfd[2];
		int map[2], n = 0;
		for (int i = 0; i < 2; i++)
			if (s[i]) {
				pfd[n] = (struct pollfd){.fd = rt_spawn_fd(s[i]), .events = POLLIN};
				map[n++] = i;
			}
		assert_true(poll(pfd, (nfds_t)n, HANG_TIMEOUT_MS * 5) > 0);
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			int i = map[k];
			int rc = rt_container_start_step(s[i], &ct[i], &err);
			if (rc < 0)
				fail_msg("start %d: %s", i, err->msg);
			if (rc == 0) {
				s[i] = NULL;
				live--;
			}
		}
	}
	expect_output(ct[0], "one\n");
	expect_output(ct[1], "two\n");
	for (int i = 0; i < 2; i++) {
		struct rt_exit st;
		assert_int_equal(rt_container_wait(ct[i], &st, &err), 0);
		assert_int_equal(st.exit_code, 0);
		assert_int_equal(rt_container_destroy(ct[i], &err), 0);
	}
	assert_nothing_left(&r[0]);
	assert_nothing_left(&r[1]);
}

/* The deadline is the blocking start's: a child that hangs ends the
 * start with ETIMEDOUT naming its step, and nothing is left. */
static void test_steps_time_out(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, "echo never");
	r.cfg.process.user = "1000";
	r.cfg.start_timeout_ms = HANG_TIMEOUT_MS;
	rt_test_child_hang_step = "look up the user";
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	int rc = start_by_steps(&r, &ct, &err);
	rt_test_child_hang_step = NULL;
	assert_int_equal(rc, -1);
	assert_null(ct);
	assert_int_equal(err->status, ETIMEDOUT);
	assert_contains(err->msg, "container process hung at: look up the user `1000`");
	st_error_free(&err);
	assert_nothing_left(&r);
}

/* A command that does not exist fails the last step with its kind. */
static void test_steps_report_exec_failure(void **state)
{
	(void)state;
	struct run r;
	ct_run_init(&r, NULL);
	r.argv[0] = "/no/such/cmd";
	r.argv[1] = NULL;
	r.cfg.init = false;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	int rc = start_by_steps(&r, &ct, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(st_error_kind(err), ST_ERR_NOT_FOUND);
	st_error_free(&err);
	assert_nothing_left(&r);
}

/* Abort in each phase: right after begin, while the child hangs in its
 * setup (before READY), and after GO (init hung before its exec). */
static void abort_at(const char *hang, bool step_first)
{
	struct run r;
	ct_run_init(&r, "echo never");
	rt_test_child_hang_step = hang;
	struct rt_start *s = NULL;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start_begin(&r.cfg, &s, &err), 0);
	if (step_first) {
		/* Step while the child speaks; it then hangs and stays silent:
		 * the loop sees nothing readable, and aborts. */
		struct pollfd pfd = {.fd = rt_spawn_fd(s), .events = POLLIN};
		while (poll(&pfd, 1, HANG_TIMEOUT_MS) > 0)
			assert_int_equal(rt_container_start_step(s, &ct, &err), 1);
		assert_int_equal(rt_container_start_step(s, &ct, &err), 1);
	}
	rt_container_start_abort(s);
	rt_test_child_hang_step = NULL;
	assert_null(ct);
	assert_null(err);
	assert_nothing_left(&r);
}

static void test_abort_leaves_nothing(void **state)
{
	(void)state;
	abort_at(NULL, false);
	abort_at("mount the root overlay", true);
	abort_at("exec stack-init", true);
	rt_container_start_abort(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_loop_starts),
		cmocka_unit_test(test_two_starts_interleave),
		cmocka_unit_test(test_steps_time_out),
		cmocka_unit_test(test_steps_report_exec_failure),
		cmocka_unit_test(test_abort_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
