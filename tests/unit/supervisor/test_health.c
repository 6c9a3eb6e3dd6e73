/* Health checks against real busybox containers (RT_NET_NONE: only lo),
 * driven by a uv loop as the supervisor drives them: tcp and http probes
 * reach an app bound to the container's own 127.0.0.1; a killed app goes
 * unhealthy after `retries`; start_period and start_interval; exec
 * probes' exit codes, output, user and timeout; hostile HTTP servers.
 * Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervisor/health.h"
#include "util/mem.h"
#include "loop_fixture.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000LL

/* httpd on the container's 127.0.0.1:80, serving /www. */
#define HTTPD "mkdir -p /www && echo ok >/www/index.html && httpd -f -p 127.0.0.1:80 -h /www"

static uv_loop_t loop;

static int group_setup(void **state)
{
	(void)state;
	if (uv_loop_init(&loop) < 0)
		return -1;
	return ct_fixture_setup("test_health", 'h');
}

static int group_teardown(void **state)
{
	(void)state;
	close_all(&loop);
	uv_loop_close(&loop);
	return loop_fixture_teardown();
}

struct watch {
	struct sup_health *h;
	enum sup_health_status seen[64];
	int changes;
	bool stop_on_change; /* the callback stops the check (it may) */
};

static void on_change(struct sup_health *h, enum sup_health_status st, void *data)
{
	struct watch *w = data;
	assert_ptr_equal(h, w->h);
	if (w->changes < 64)
		w->seen[w->changes++] = st;
	if (w->stop_on_change) {
		sup_health_stop(h);
		w->h = NULL;
	}
}

static struct spec_health check(enum spec_health_kind kind)
{
	return (struct spec_health){.kind = kind, .interval = 50 * MS, .timeout = 5000 * MS,
				    .start_interval = 50 * MS, .retries = 3};
}

static void start_check(struct watch *w, const struct spec_health *spec, const struct sup_health_exec *exec,
			struct rt_container *ct)
{
	st_error_t err = NULL;
	memset(w, 0, sizeof(*w));
	if (sup_health_start(&loop, spec, exec, ct, on_change, w, &w->h, &err) < 0)
		fail_msg("sup_health_start: %s", err->msg);
}

static bool is_healthy(void *arg) { return sup_health_status(((struct watch *)arg)->h) == SUP_HEALTH_HEALTHY; }
static bool is_unhealthy(void *arg) { return sup_health_status(((struct watch *)arg)->h) == SUP_HEALTH_UNHEALTHY; }

static json_int_t probes(const struct sup_health *h)
{
	json_t *j = sup_health_json(h);
	json_int_t n = json_integer_value(json_object_get(j, "probes"));
	json_decref(j);
	return n;
}

static bool three_probes(void *arg) { return probes(((struct watch *)arg)->h) >= 3; }

/* The newest result's output and exit code. */
static const struct sup_health_result *last(const struct sup_health *h)
{
	size_t n;
	const struct sup_health_result *log = sup_health_log(h, &n);
	assert_true(n > 0);
	return &log[n - 1];
}

static void finish(struct watch *w, struct rt_container *ct)
{
	sup_health_stop(w->h);
	run_to_idle(&loop);
	if (ct)
		stop_ct(ct);
}

static void test_tcp_and_http_healthy(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct(HTTPD);
	struct watch w;
	struct spec_health tcp = check(SPEC_HEALTH_TCP);
	tcp.port = 80;
	start_check(&w, &tcp, NULL, ct);
	assert_int_equal(sup_health_status(w.h), SUP_HEALTH_STARTING);
	assert_true(run_until(&loop, is_healthy, &w));
	assert_int_equal(w.changes, 1);
	assert_int_equal(w.seen[0], SUP_HEALTH_HEALTHY);
	assert_int_equal(last(w.h)->exit_code, 0);
	assert_contains(last(w.h)->output, "connected to 127.0.0.1:80");
	finish(&w, NULL);

	struct spec_health http = check(SPEC_HEALTH_HTTP);
	http.port = 80;
	http.path = (char *)"/";
	start_check(&w, &http, NULL, ct);
	assert_true(run_until(&loop, is_healthy, &w));
	assert_contains(last(w.h)->output, " 200 ");
	json_t *j = sup_health_json(w.h);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "healthy");
	assert_int_equal(json_integer_value(json_object_get(j, "failing_streak")), 0);
	json_t *log = json_object_get(j, "log");
	assert_true(json_array_size(log) >= 1 && json_array_size(log) <= SUP_HEALTH_LOG_MAX);
	json_t *e = json_array_get(log, json_array_size(log) - 1);
	assert_int_equal(json_integer_value(json_object_get(e, "exit_code")), 0);
	assert_contains(json_string_value(json_object_get(e, "start")), "Z");
	assert_contains(json_string_value(json_object_get(e, "output")), "200");
	json_decref(j);
	finish(&w, NULL);

	/* A path that is not there: 404 is not 2xx/3xx, unless asked for. */
	wait_listen(ct, 80);
	http.path = (char *)"/missing";
	start_check(&w, &http, NULL, ct);
	assert_true(run_until(&loop, is_unhealthy, &w));
	assert_int_equal(sup_health_failing_streak(w.h), 3);
	assert_int_equal(last(w.h)->exit_code, 1);
	assert_contains(last(w.h)->output, "404");
	assert_contains(last(w.h)->output, "want a 2xx or 3xx status");
	finish(&w, NULL);
	http.status = 404;
	start_check(&w, &http, NULL, ct);
	assert_true(run_until(&loop, is_healthy, &w));
	finish(&w, ct);
}

/* healthy, the app dies: unhealthy once `retries` probes failed in a
 * row, and the log says why. */
static void test_killed_app_goes_unhealthy_after_retries(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct(HTTPD " & read x; kill $!; read y");
	struct watch w;
	struct spec_health http = check(SPEC_HEALTH_HTTP);
	http.port = 80;
	http.path = (char *)"/index.html";
	http.retries = 4;
	start_check(&w, &http, NULL, ct);
	assert_true(run_until(&loop, is_healthy, &w));
	assert_int_equal(write(rt_container_stdio(ct, 0), "\n", 1), 1);
	assert_true(run_until(&loop, is_unhealthy, &w));
	assert_int_equal(w.changes, 2);
	assert_int_equal(w.seen[0], SUP_HEALTH_HEALTHY);
	assert_int_equal(w.seen[1], SUP_HEALTH_UNHEALTHY);
	assert_int_equal(sup_health_failing_streak(w.h), 4);
	size_t n;
	const struct sup_health_result *log = sup_health_log(w.h, &n);
	assert_int_equal(n, SUP_HEALTH_LOG_MAX);
	for (size_t i = n - 4; i < n; i++) {
		assert_int_equal(log[i].exit_code, 1);
		assert_contains(log[i].output, "connect to 127.0.0.1:80 in the container");
	}
	finish(&w, ct);
}

/* Failures within start_period do not count: the check stays starting
 * with no failing streak, probing every start_interval (interval is an
 * hour); the first success makes it healthy.  Without a start period the
 * first failure of retries: 1 makes it unhealthy. */
static void test_start_period(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("read x; " HTTPD);
	struct watch w;
	struct spec_health tcp = check(SPEC_HEALTH_TCP);
	tcp.port = 80;
	tcp.retries = 1;
	tcp.interval = 3600000 * MS;
	tcp.start_period = 3600000 * MS;
	start_check(&w, &tcp, NULL, ct);
	assert_true(run_until(&loop, three_probes, &w));
	assert_int_equal(sup_health_status(w.h), SUP_HEALTH_STARTING);
	assert_int_equal(sup_health_failing_streak(w.h), 0);
	assert_int_equal(w.changes, 0);
	assert_int_not_equal(last(w.h)->exit_code, 0);
	assert_int_equal(write(rt_container_stdio(ct, 0), "\n", 1), 1);
	assert_true(run_until(&loop, is_healthy, &w));
	assert_int_equal(w.changes, 1);
	assert_int_equal(w.seen[0], SUP_HEALTH_HEALTHY);
	finish(&w, ct);

	ct = start_ct("read x");
	tcp.start_period = 0;
	tcp.interval = 50 * MS;
	start_check(&w, &tcp, NULL, ct);
	assert_true(run_until(&loop, is_unhealthy, &w));
	assert_int_equal(probes(w.h), 1);
	assert_int_equal(sup_health_failing_streak(w.h), 1);
	finish(&w, ct);
}

/* CMD-SHELL: the exit code decides, stdout and stderr are the output;
 * the user is the one asked for; CMD runs argv as is; a missing program
 * is 127; output is cut at SUP_HEALTH_OUTPUT_MAX. */
static void test_exec_probes(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("read x");
	struct watch w;
	struct spec_health sh = check(SPEC_HEALTH_SHELL);
	sh.retries = 1;
	strv_push(&sh.test, "echo out; echo err >&2; exit 3");
	start_check(&w, &sh, NULL, ct);
	assert_true(run_until(&loop, is_unhealthy, &w));
	assert_int_equal(last(w.h)->exit_code, 3);
	assert_contains(last(w.h)->output, "out\n");
	assert_contains(last(w.h)->output, "err\n");
	finish(&w, NULL);
	strv_free(&sh.test);

	strv_push(&sh.test, "id -u; test \"$PROBE\" = yes");
	const char *env[] = {"PROBE=yes", NULL};
	struct sup_health_exec as_earl = {.user = "1000", .env = env};
	start_check(&w, &sh, &as_earl, ct);
	assert_true(run_until(&loop, is_healthy, &w));
	assert_string_equal(last(w.h)->output, "1000\n");
	finish(&w, NULL);
	strv_free(&sh.test);

	strv_push(&sh.test, "yes | head -c 100000");
	start_check(&w, &sh, NULL, ct);
	assert_true(run_until(&loop, is_healthy, &w));
	assert_int_equal(strlen(last(w.h)->output), SUP_HEALTH_OUTPUT_MAX);
	finish(&w, NULL);
	strv_free(&sh.test);

	struct spec_health cmd = check(SPEC_HEALTH_CMD);
	cmd.retries = 1;
	strv_push(&cmd.test, "/bin/true");
	start_check(&w, &cmd, NULL, ct);
	assert_true(run_until(&loop, is_healthy, &w));
	finish(&w, NULL);
	strv_free(&cmd.test);
	strv_push(&cmd.test, "/no/such/probe");
	start_check(&w, &cmd, NULL, ct);
	assert_true(run_until(&loop, is_unhealthy, &w));
	assert_int_equal(last(w.h)->exit_code, 127);
	finish(&w, ct);
	strv_free(&cmd.test);
}

static struct rt_container *hang_ct;

static bool sleep_runs(void *arg)
{
	(void)arg;
	char out[256];
	return ct_exec(hang_ct, "pidof sleep", out, sizeof(out)) == 0;
}

/* A probe that hangs is killed at its timeout with its whole process
 * group (the background sleep too), and fails with exit code -1. */
static void test_timeout_kills_hanging_probe(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("read x");
	struct watch w;
	struct spec_health sh = check(SPEC_HEALTH_SHELL);
	sh.retries = 1;
	sh.timeout = 300 * MS;
	strv_push(&sh.test, "sleep 1000 & sleep 1001");
	start_check(&w, &sh, NULL, ct);
	assert_true(run_until(&loop, is_unhealthy, &w));
	assert_int_equal(last(w.h)->exit_code, -1);
	assert_string_equal(last(w.h)->output, "Health check exceeded timeout (300ms)");
	finish(&w, NULL);
	char out[256];
	assert_int_equal(ct_exec(ct, "pidof sleep", out, sizeof(out)), 1);
	strv_free(&sh.test);

	/* Stopped while a probe runs: the probe is killed, nothing left. */
	sh.timeout = 3600000 * MS;
	strv_push(&sh.test, "sleep 1002");
	start_check(&w, &sh, NULL, ct);
	hang_ct = ct;
	assert_true(run_until(&loop, sleep_runs, NULL));
	sup_health_stop(w.h);
	run_to_idle(&loop);
	assert_int_equal(ct_exec(ct, "pidof sleep", out, sizeof(out)), 1);
	stop_ct(ct);
	strv_free(&sh.test);
}

/* A check may stop itself from its own callback. */
static void test_stop_from_callback(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct(HTTPD);
	struct watch w;
	struct spec_health tcp = check(SPEC_HEALTH_TCP);
	tcp.port = 80;
	start_check(&w, &tcp, NULL, ct);
	w.stop_on_change = true;
	run_to_idle(&loop); /* the loop ends once the stopped check closed */
	assert_int_equal(w.changes, 1);
	assert_null(w.h);
	stop_ct(ct);
}

/* Servers an attacker in the container could run: garbage instead of
 * HTTP, headers that never end, a reply that never comes.  Each fails the
 * probe with its reason (and the endless one is cut, not buffered). */
static void test_hostile_http_servers(void **state)
{
	(void)state;
	/* Each reads the request first (/tmp/drain: to its blank line): a
	 * socket closed with unread bytes sends a reset, not the EOF under
	 * test. */
	struct rt_container *ct = start_ct(
		"printf '#!/bin/sh\\nwhile read -r l; do [ \"$l\" = \"$(printf \"\\\\r\")\" ] && break; done\\n' >/tmp/drain; "
		"printf '#!/bin/sh\\n. /tmp/drain; printf \"garbage here\\\\r\\\\n\\\\r\\\\n\"\\n' >/tmp/garbage; "
		"printf '#!/bin/sh\\n. /tmp/drain; printf \"HTTP/1.1 200 OK\\\\r\\\\n\"; while :; do printf \"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\\\r\\\\n\"; done\\n' >/tmp/endless; "
		"printf '#!/bin/sh\\n. /tmp/drain; printf \"HTTP/1.1 200 OK\\\\r\\\\nX-A: b\"\\n' >/tmp/short; "
		"chmod +x /tmp/garbage /tmp/endless /tmp/short; "
		"nc -ll -p 81 -e /tmp/garbage & nc -ll -p 82 -e /tmp/endless & nc -ll -p 83 -e /tmp/short & "
		"nc -ll -p 84 -e /bin/sleep 1000 & read x");
	for (unsigned port = 81; port <= 84; port++)
		wait_listen(ct, port);
	static const struct {
		uint16_t port;
		const char *want;
	} cases[] = {
		{81, "not an HTTP response: garbage here"},
		{82, "the status line and headers exceed 16384 bytes"},
		{83, "closed the connection in the middle of the headers"},
		{84, "Health check exceeded timeout (500ms)"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct watch w;
		struct spec_health http = check(SPEC_HEALTH_HTTP);
		http.port = cases[i].port;
		http.path = (char *)"/";
		http.retries = 1;
		/* Only the server that never answers is to reach the timeout. */
		http.timeout = cases[i].port == 84 ? 500 * MS : 20000 * MS;
		start_check(&w, &http, NULL, ct);
		assert_true(run_until(&loop, is_unhealthy, &w));
		assert_contains(last(w.h)->output, cases[i].want);
		finish(&w, NULL);
	}
	stop_ct(ct);
}

/* Not checks: refused, nothing started. */
static void test_refuses_non_checks(void **state)
{
	(void)state;
	struct sup_health *h = (struct sup_health *)1;
	st_error_t err = NULL;
	struct spec_health none = check(SPEC_HEALTH_NONE);
	assert_int_equal(sup_health_start(&loop, &none, NULL, NULL, on_change, NULL, &h, &err), -1);
	assert_null(h);
	assert_contains(err->msg, "none to run");
	st_error_free(&err);
	struct spec_health tcp = check(SPEC_HEALTH_TCP);
	assert_int_equal(sup_health_start(&loop, &tcp, NULL, NULL, on_change, NULL, &h, &err), -1);
	assert_contains(err->msg, "no port");
	st_error_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_non_checks),
		cmocka_unit_test(test_tcp_and_http_healthy),
		cmocka_unit_test(test_killed_app_goes_unhealthy_after_retries),
		cmocka_unit_test(test_start_period),
		cmocka_unit_test(test_exec_probes),
		cmocka_unit_test(test_timeout_kills_hanging_probe),
		cmocka_unit_test(test_stop_from_callback),
		cmocka_unit_test(test_hostile_http_servers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
