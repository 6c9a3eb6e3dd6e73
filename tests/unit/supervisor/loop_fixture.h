/* What the supervisor's loop tests share, on top of the container
 * fixture (../runtime/ct_fixture.h): a busybox container started from a
 * script, and running a uv loop until a condition holds. */
#ifndef STACK_TEST_LOOP_FIXTURE_H
#define STACK_TEST_LOOP_FIXTURE_H

#include "../runtime/ct_fixture.h"

#include <dirent.h>
#include <uv.h>

/* The fixture's teardown, and then the cgroup parent the containers
 * were made under (ct_fixture_teardown leaves it): empty, in every
 * hierarchy (v1's controllers, or the v2 tree itself). */
__attribute__((unused)) static int loop_fixture_teardown(void)
{
	int rc = ct_fixture_teardown();
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *de;
	char p[512];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s", de->d_name, cgparent);
		rmdir(p);
	}
	if (d)
		closedir(d);
	snprintf(p, sizeof(p), "/sys/fs/cgroup/%s", cgparent);
	rmdir(p);
	return rc;
}

/* A guard against a test that would hang for good, not a measure: a
 * loaded machine gets all of it, and the tests assert on what happened. */
#define LOOP_GUARD_MS 60000

struct until {
	bool (*pred)(void *);
	void *arg;
	uint64_t deadline;
	bool ok;
};

static void until_cb(uv_timer_t *t)
{
	struct until *u = t->data;
	if (u->pred(u->arg)) {
		u->ok = true;
		uv_stop(t->loop);
	} else if (uv_now(t->loop) >= u->deadline) {
		uv_stop(t->loop);
	}
}

/* Run loop until pred(arg) holds (checked every 10 ms); false at the guard. */
__attribute__((unused)) static bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg)
{
	struct until u = {.pred = pred, .arg = arg};
	uv_timer_t t;
	uv_timer_init(loop, &t);
	t.data = &u;
	uv_update_time(loop);
	u.deadline = uv_now(loop) + LOOP_GUARD_MS;
	uv_timer_start(&t, until_cb, 0, 10);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return u.ok;
}

/* Run until every handle closed (what a stop left to close). */
__attribute__((unused)) static void run_to_idle(uv_loop_t *loop)
{
	while (uv_run(loop, UV_RUN_DEFAULT) != 0)
		;
}

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Close every handle, also those a failed test left open (their memory
 * goes with the process), and run until they are. */
__attribute__((unused)) static void close_all(uv_loop_t *loop)
{
	uv_walk(loop, close_handle, NULL);
	run_to_idle(loop);
}

/* A running busybox container: `sh -c script`, stdio as pipes. */
__attribute__((unused)) static struct rt_container *start_ct(const char *script)
{
	struct run r;
	ct_run_init(&r, script);
	r.cfg.die_with_parent = true; /* a test killed mid-way takes its containers along */
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	if (rt_container_start(&r.cfg, &ct, &err) < 0)
		fail_msg("start: %s", err->msg);
	return ct;
}

/* Run argv in ct to its end (blocking); its exit code, its stdout in out. */
__attribute__((unused)) static int ct_exec(struct rt_container *ct, const char *script, char *out, size_t size)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct rt_process proc = {.argv = argv, .stdio = RT_STDIO_PIPES, .fds = {-1, -1, -1}};
	struct rt_exec *x = NULL;
	st_error_t err = NULL;
	if (rt_container_exec(ct, &proc, &x, &err) < 0)
		fail_msg("exec: %s", err->msg);
	close(rt_exec_take_stdio(x, 0));
	size_t n = 0;
	ssize_t r;
	while (n + 1 < size && (r = read(rt_exec_stdio(x, 1), out + n, size - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	struct rt_exit st;
	if (rt_exec_wait(x, &st, &err) < 0)
		fail_msg("exec wait: %s", err->msg);
	rt_exec_free(x);
	return st.exit_code;
}

/* Until something listens on TCP port inside ct. */
__attribute__((unused)) static void wait_listen(struct rt_container *ct, unsigned port)
{
	char script[256], out[64];
	snprintf(script, sizeof(script), "while ! netstat -ltn | grep -q ':%u '; do usleep 10000; done", port);
	assert_int_equal(ct_exec(ct, script, out, sizeof(out)), 0);
}

__attribute__((unused)) static void stop_ct(struct rt_container *ct)
{
	st_error_t err = NULL;
	rt_container_kill(ct, SIGKILL, NULL);
	if (rt_container_destroy(ct, &err) < 0) {
		fprintf(stderr, "destroy: %s\n", err->msg);
		st_error_free(&err);
	}
}

#endif
