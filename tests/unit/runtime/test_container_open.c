/* rt_container_open(): a handle on a running container from its state
 * dir, as another process (`stack exec`) gets one.  An exec through it
 * runs with the payload's user, caps, no_new_privs and seccomp; a pid
 * that is no longer the container's (reused, or a tampered state naming
 * a host process) is refused before anything joins it; a state dir or
 * file that is a symlink, or writable by others, is not trusted; closing
 * the handle leaves the container as it was.  Real containers over the
 * busybox fixture.  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/container.h"
#include "util/fs.h"
#include "util/mem.h"
#include "ct_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int group_setup(void **state)
{
	(void)state;
	return ct_fixture_setup("test_container_open", 'o');
}

static int group_teardown(void **state)
{
	(void)state;
	return ct_fixture_teardown();
}

static char *slurp(const char *path)
{
	char *text = NULL;
	st_error_t err = NULL;
	if (fs_read_file(path, 0, &text, NULL, &err) < 0)
		fail_msg("%s", err->msg);
	return text;
}

static void spit_n(const char *path, const char *data, size_t len, mode_t mode)
{
	st_error_t err = NULL;
	if (fs_write_file_atomic(path, data, len, mode, &err) < 0)
		fail_msg("%s", err->msg);
	chmod(path, mode);
}

static void spit(const char *path, const char *text, mode_t mode)
{
	spit_n(path, text, strlen(text), mode);
}

/* "Key:\tvalue" of /proc/PID/status. */
static char *status_field(pid_t pid, const char *key)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_free_ char *t = slurp(path);
	char *l = strstr(t, key);
	assert_non_null(l);
	l += strlen(key);
	while (*l == ':' || *l == '\t' || *l == ' ')
		l++;
	return xstrndup(l, strcspn(l, "\n"));
}

static struct rt_container *start(struct run *r, const char *script)
{
	ct_run_init(r, script);
	r->cfg.process.user = "1000";
	r->cfg.process.cwd = "/tmp";
	r->cfg.cap_drop = (const char *const[]){"NET_RAW", NULL};
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	if (rt_container_start(&r->cfg, &ct, &err) < 0)
		fail_msg("start: %s", err->msg);
	return ct;
}

/* exec `sh -c script` through ct; its stdout and exit code. */
static int exec_out(struct rt_container *ct, const char *script, char *out, size_t size, pid_t *pid)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct rt_process p = {.argv = argv, .stdio = RT_STDIO_PIPES, .fds = {-1, -1, -1}};
	struct rt_exec *x = NULL;
	st_error_t err = NULL;
	if (rt_container_exec(ct, &p, &x, &err) < 0)
		fail_msg("exec: %s", err->msg);
	if (pid)
		*pid = rt_exec_pid(x);
	size_t len = 0;
	ssize_t n;
	while (len + 1 < size && (n = read(rt_exec_stdio(x, 1), out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	struct rt_exit st;
	assert_int_equal(rt_exec_wait(x, &st, &err), 0);
	rt_exec_free(x);
	return st.exit_code;
}

static void test_open_and_exec_as_the_payload(void **state)
{
	(void)state;
	struct run r;
	struct rt_container *ct = start(&r, "read x");
	struct rt_container *op = NULL;
	st_error_t err = NULL;
	if (rt_container_open(r.id, r.state_dir, &op, &err) < 0)
		fail_msg("open: %s", err->msg);
	assert_int_equal(rt_container_pid(op), rt_container_pid(ct));
	assert_string_equal(rt_container_cgroup_path(op), rt_container_cgroup_path(ct));
	char out[512];
	/* The payload's user and working dir by default; the exec'd
	 * process's settings read from the host, beside the payload's. */
	int rc = exec_out(op, "id -u; pwd; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; "
			      "cut -d: -f3 /proc/self/cgroup | sort -u; exit 9",
			  out, sizeof(out), NULL);
	assert_int_equal(rc, 9);
	_cleanup_free_ char *cap = status_field(rt_container_pid(ct), "CapEff");
	_cleanup_free_ char *nnp = status_field(rt_container_pid(ct), "NoNewPrivs");
	_cleanup_free_ char *sc = status_field(rt_container_pid(ct), "Seccomp:");
	_cleanup_free_ char *want = xasprintf("1000\n/tmp\nCapEff:\t%s\nNoNewPrivs:\t%s\nSeccomp:\t%s\n/\n", cap, nnp, sc);
	assert_string_equal(out, want);

	/* Closing the handle changes nothing: the container runs on. */
	rt_container_close(op);
	assert_int_equal(kill(rt_container_pid(ct), 0), 0);
	struct stat sb;
	assert_int_equal(stat(r.state_dir, &sb), 0);
	assert_int_equal(write(rt_container_stdio(ct, 0), "\n", 1), 1);
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

/* What the exec'd process is in: the container's cgroup (host view) and
 * pid namespace (it does not see us). */
static void test_exec_joins_cgroup_and_pidns(void **state)
{
	(void)state;
	struct run r;
	struct rt_container *ct = start(&r, "read x");
	struct rt_container *op = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_open(r.id, r.state_dir, &op, &err), 0);
	const char *argv[] = {"/bin/sh", "-c", "echo; read x", NULL};
	struct rt_process p = {.argv = argv, .stdio = RT_STDIO_PIPES, .fds = {-1, -1, -1}};
	struct rt_exec *x = NULL;
	assert_int_equal(rt_container_exec(op, &p, &x, &err), 0);
	char c;
	assert_int_equal(read(rt_exec_stdio(x, 1), &c, 1), 1);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)rt_exec_pid(x));
	_cleanup_free_ char *cg = slurp(path);
	_cleanup_free_ char *want = xasprintf(":/%s\n", rt_container_cgroup_path(ct));
	assert_contains(cg, want);
	_cleanup_free_ char *nspid = status_field(rt_exec_pid(x), "NSpid");
	assert_non_null(strchr(nspid, '\t')); /* a pid in the container's namespace too */
	char out[256];
	exec_out(op, "ps -o pid,comm | grep -c -v PID", out, sizeof(out), NULL);
	assert_true(atoi(out) <= 6); /* init, read, the exec'd shell, ps, grep: none of the host's */
	rt_exec_free(x);
	rt_container_close(op);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

/* Copy of a container's state, for the attacks below. */
struct saved {
	char *json, *bpf;
	size_t bpf_len;
};

static void save_state(const struct run *r, struct saved *s)
{
	_cleanup_free_ char *j = xasprintf("%s/container.json", r->state_dir);
	_cleanup_free_ char *b = xasprintf("%s/seccomp.bpf", r->state_dir);
	s->json = slurp(j);
	st_error_t err = NULL;
	if (fs_read_file(b, 0, &s->bpf, &s->bpf_len, &err) < 0)
		fail_msg("%s", err->msg);
}

static void restore_state(const struct run *r, const struct saved *s, const char *json)
{
	mkdir(r->state_dir, 0700);
	_cleanup_free_ char *j = xasprintf("%s/container.json", r->state_dir);
	spit(j, json ? json : s->json, 0600);
}

static void expect_refused(const struct run *r, const char *want)
{
	struct rt_container *op = NULL;
	st_error_t err = NULL;
	int rc = rt_container_open(r->id, r->state_dir, &op, &err);
	if (rc == 0) {
		rt_container_close(op);
		fail_msg("opened, want: %s", want);
	}
	assert_null(op);
	assert_contains(err->msg, want);
	st_error_free(&err);
}

/* "pid":N,"start_time":T in the state's JSON replaced. */
static char *with_pid(const char *json, pid_t pid, const char *start_time)
{
	const char *p = strstr(json, "\"pid\":");
	const char *e = strstr(json, ",\"cgroup\"");
	assert_non_null(p);
	assert_non_null(e);
	char st[64];
	if (!start_time) {
		const char *t = strstr(json, "\"start_time\":");
		snprintf(st, sizeof(st), "%.*s", (int)strcspn(t + 13, ","), t + 13);
		start_time = st;
	}
	return xasprintf("%.*s\"pid\":%d,\"start_time\":%s%s", (int)(p - json), json, (int)pid, start_time, e);
}

static char *start_time_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *t = slurp(path);
	char *p = strrchr(t, ')');
	for (int f = 2; f < 22; p++)
		if (*p == ' ')
			f++;
	return xstrndup(p, strcspn(p, " "));
}

/* A process that waits to be killed, and dies with this test if an
 * assertion ends the test first (an orphan holding ctest's output pipe
 * would hang the run). */
static pid_t fork_sleeper(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		pause();
		_exit(0);
	}
	return pid;
}

static void test_gone_reused_and_host_pids_refused(void **state)
{
	(void)state;
	struct run r;
	struct rt_container *ct = start(&r, "exit 0");
	struct saved s;
	save_state(&r, &s);
	pid_t old = rt_container_pid(ct);
	st_error_t err = NULL;
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);

	/* The container is gone, its state left behind (a crash). */
	restore_state(&r, &s, NULL);
	_cleanup_free_ char *gone = xasprintf("its process %d is gone", (int)old);
	expect_refused(&r, gone);

	/* Its pid reused by another process: a start time of its own.  The
	 * start time counts clock ticks (10 ms): a process forked within the
	 * tick the container started in has the same one, so fork until it
	 * differs, as a real reuse (the pid went round) always does. */
	_cleanup_free_ char *recorded = NULL;
	{
		const char *t = strstr(s.json, "\"start_time\":");
		assert_non_null(t);
		recorded = xstrndup(t + 13, strcspn(t + 13, ","));
	}
	pid_t sleeper = -1;
	for (;;) {
		sleeper = fork_sleeper();
		_cleanup_free_ char *t = start_time_of(sleeper);
		if (strcmp(t, recorded) != 0)
			break;
		kill(sleeper, SIGKILL);
		waitpid(sleeper, NULL, 0);
		usleep(5000);
	}
	_cleanup_free_ char *reused = with_pid(s.json, sleeper, NULL);
	restore_state(&r, &s, reused);
	expect_refused(&r, "another process has its pid now");

	/* A tampered state naming a host process with its right start time:
	 * ours, and the host's init. */
	_cleanup_free_ char *t1 = start_time_of(sleeper);
	_cleanup_free_ char *host = with_pid(s.json, sleeper, t1);
	restore_state(&r, &s, host);
	expect_refused(&r, "not the first process of a pid namespace of its own");
	_cleanup_free_ char *t2 = start_time_of(1);
	_cleanup_free_ char *init = with_pid(s.json, 1, t2);
	restore_state(&r, &s, init);
	expect_refused(&r, "is not what a start writes");
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	fs_remove_tree(r.state_dir, &err);
	free(s.json);
	free(s.bpf);
}

/* Another running container's pid in this one's state: it is a first
 * process of its own namespaces, but not in this container's cgroup. */
static void test_other_containers_pid_refused(void **state)
{
	(void)state;
	struct run a, b;
	struct rt_container *ca = start(&a, "read x");
	struct rt_container *cb = start(&b, "read x");
	struct saved s;
	save_state(&a, &s);
	_cleanup_free_ char *tb = start_time_of(rt_container_pid(cb));
	_cleanup_free_ char *json = with_pid(s.json, rt_container_pid(cb), tb);
	restore_state(&a, &s, json);
	expect_refused(&a, "not in the container's cgroup");
	st_error_t err = NULL;
	assert_int_equal(rt_container_destroy(ca, &err), 0);
	assert_int_equal(rt_container_destroy(cb, &err), 0);
	free(s.json);
	free(s.bpf);
}

/* The state dir or its files as symlinks, or writable by others, and a
 * cgroup outside PARENT/ID: not trusted. */
static void test_tampered_state_not_trusted(void **state)
{
	(void)state;
	struct run r;
	struct rt_container *ct = start(&r, "read x");
	struct saved s;
	save_state(&r, &s);
	_cleanup_free_ char *json = xasprintf("%s/container.json", r.state_dir);
	_cleanup_free_ char *bpf = xasprintf("%s/seccomp.bpf", r.state_dir);
	_cleanup_free_ char *elsewhere = xasprintf("%s/elsewhere", tmp);
	st_error_t err = NULL;

	spit(elsewhere, s.json, 0600);
	assert_int_equal(unlink(json), 0);
	assert_int_equal(symlink(elsewhere, json), 0);
	expect_refused(&r, "container.json");
	assert_int_equal(unlink(json), 0);

	spit(json, s.json, 0666);
	expect_refused(&r, "writable by others");
	spit(json, s.json, 0600);

	assert_int_equal(unlink(bpf), 0);
	spit_n(elsewhere, s.bpf, s.bpf_len, 0600);
	assert_int_equal(symlink(elsewhere, bpf), 0);
	expect_refused(&r, "seccomp program");
	assert_int_equal(unlink(bpf), 0);
	spit(bpf, "not a filter", 0600);
	expect_refused(&r, "seccomp program");
	spit_n(bpf, s.bpf, s.bpf_len, 0600);

	_cleanup_free_ char *escape = NULL;
	{
		const char *c = strstr(s.json, "\"cgroup\":\"");
		const char *e = strchr(c + 10, '"');
		escape = xasprintf("%.*s\"cgroup\":\"../../%s\"%s", (int)(c - s.json), s.json, r.id, e + 1);
	}
	spit(json, escape, 0600);
	expect_refused(&r, "is not PARENT/");
	spit(json, s.json, 0600);

	/* The state dir itself a symlink to the real one. */
	_cleanup_free_ char *link = xasprintf("%s/link-%s", run_dir, r.id);
	assert_int_equal(symlink(r.state_dir, link), 0);
	struct rt_container *op = NULL;
	assert_int_equal(rt_container_open(r.id, link, &op, &err), -1);
	assert_contains(err->msg, "state directory");
	st_error_free(&err);
	unlink(link);

	/* Intact again: opens. */
	assert_int_equal(rt_container_open(r.id, r.state_dir, &op, &err), 0);
	rt_container_close(op);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	unlink(elsewhere);
	free(s.json);
	free(s.bpf);
}

/* An opened handle is told when the container exits (not how), and its
 * destroy removes nothing: the starter's does. */
static void test_opened_handle_waits_and_removes_nothing(void **state)
{
	(void)state;
	struct run r;
	struct rt_container *ct = start(&r, "read x; exit 4");
	struct rt_container *op = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_open(r.id, r.state_dir, &op, &err), 0);
	struct rt_exit st;
	assert_int_equal(rt_container_try_wait(op, &st, &err), 0);
	assert_int_equal(write(rt_container_stdio(ct, 0), "\n", 1), 1);
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(st.exit_code, 4);
	assert_int_equal(rt_container_wait(op, &st, &err), 0);
	assert_int_equal(st.exit_code, -1);
	assert_int_equal(rt_container_destroy(op, &err), 0);
	struct stat sb;
	assert_int_equal(stat(r.state_dir, &sb), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	assert_int_equal(lstat(r.state_dir, &sb), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_exec_as_the_payload),
		cmocka_unit_test(test_exec_joins_cgroup_and_pidns),
		cmocka_unit_test(test_gone_reused_and_host_pids_refused),
		cmocka_unit_test(test_other_containers_pid_refused),
		cmocka_unit_test(test_tampered_state_not_trusted),
		cmocka_unit_test(test_opened_handle_waits_and_removes_nothing),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
