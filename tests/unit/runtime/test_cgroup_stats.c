/* A container's usage from its cgroup (rt_cgroup_read_stats): the limits
 * it was created with, its processes (rt_cgroup_list_pids), CPU time that
 * grows while a process of it runs; on this host's hierarchies and on a
 * cgroup2 mount of the test's own (where cpu.stat is a core file, there
 * without any controller). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/cgroup.h"
#include "util/mem.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static char parent[64];
static char v2_mnt[64];

static int setup(void **state)
{
	(void)state;
	snprintf(parent, sizeof(parent), "stack-obs-unit-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct rt_cgroup_opts o = {.parent = parent};
	rt_cgroup_remove_by_name("stats", &o, NULL);
	if (v2_mnt[0]) {
		o.v2_root = v2_mnt;
		rt_cgroup_remove_by_name("stats2", &o, NULL);
		umount(v2_mnt);
		rmdir(v2_mnt);
		v2_mnt[0] = '\0';
	}
	return 0;
}

#define CHILD_MIB 8

/* A child in cg that, once in it, touches CHILD_MIB MiB and spins; its pid. */
static pid_t busy_child(struct rt_cgroup *cg)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		/* volatile: a buffer never read is no buffer to the compiler */
		volatile char *m = malloc(CHILD_MIB << 20);
		for (size_t i = 0; m && i < (CHILD_MIB << 20); i += 4096)
			m[i] = 1;
		for (;;)
			;
	}
	close(p[0]);
	st_error_t err = NULL;
	if (rt_cgroup_add_pid(cg, pid, &err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("add pid: %s", err->msg);
	}
	assert_int_equal(write(p[1], "x", 1), 1);
	close(p[1]);
	return pid;
}

/* Read until the child's memory is charged (it touches it: it will be). */
static void wait_charged(struct rt_cgroup *cg)
{
	struct rt_cgroup_stats st;
	for (int i = 0; i < 3000; i++) {
		rt_cgroup_read_stats(cg, &st);
		assert_true(st.has_memory);
		if (st.mem_usage - st.mem_inactive_file >= (uint64_t)CHILD_MIB << 20)
			return;
		usleep(10000);
	}
	fail_msg("memory usage stayed at %llu", (unsigned long long)st.mem_usage);
}

/* Read until the CPU time grew past `from` (the child is busy: it does). */
static uint64_t cpu_past(struct rt_cgroup *cg, uint64_t from)
{
	struct rt_cgroup_stats st;
	for (int i = 0; i < 3000; i++) { /* a bound to fail at, not a threshold */
		rt_cgroup_read_stats(cg, &st);
		assert_true(st.has_cpu);
		if (st.cpu_ns > from)
			return st.cpu_ns;
		usleep(10000);
	}
	fail_msg("the CPU time stayed at %llu", (unsigned long long)from);
	return 0;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_host(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct rt_cgroup_opts o = {.parent = parent};
	struct rt_cgroup_limits lim = {.memory = 64 << 20, .pids = 16};
	struct rt_cgroup *cg = NULL;
	st_error_t err = NULL;
	if (rt_cgroup_create("stats", &lim, &o, &cg, &err) < 0)
		fail_msg("create: %s", err->msg);
	struct rt_cgroup_stats st;
	rt_cgroup_read_stats(cg, &st);
	assert_true(st.has_memory && st.has_pids);
	assert_int_equal(st.mem_limit, 64 << 20);
	assert_int_equal(st.pids_limit, 16);
	assert_int_equal(st.pids, 0);
	pid_t pid = busy_child(cg);
	uint64_t a = cpu_past(cg, 0);
	uint64_t b = cpu_past(cg, a);
	assert_true(b > a);
	rt_cgroup_read_stats(cg, &st);
	assert_int_equal(st.pids, 1);
	wait_charged(cg);
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_list_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	free(pids);
	end_child(pid);
	assert_int_equal(rt_cgroup_destroy(cg, &err), 0);

	/* no limits: none reported */
	assert_int_equal(rt_cgroup_create("stats", NULL, &o, &cg, &err), 0);
	rt_cgroup_read_stats(cg, &st);
	assert_int_equal(st.mem_limit, -1);
	assert_int_equal(st.pids_limit, -1);
	assert_int_equal(rt_cgroup_destroy(cg, &err), 0);
}

static void test_v2_mount(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(v2_mnt, sizeof(v2_mnt), "/tmp/obs-cg2-XXXXXX");
	assert_non_null(mkdtemp(v2_mnt));
	if (mount("none", v2_mnt, "cgroup2", 0, NULL) < 0) {
		printf("cannot mount cgroup2 (%s): v2 path not exercised\n", strerror(errno));
		rmdir(v2_mnt);
		v2_mnt[0] = '\0';
		skip();
	}
	struct rt_cgroup_opts o = {.parent = parent, .v2_root = v2_mnt};
	struct rt_cgroup *cg = NULL;
	st_error_t err = NULL;
	if (rt_cgroup_create("stats2", NULL, &o, &cg, &err) < 0)
		fail_msg("create: %s", err->msg);
	pid_t pid = busy_child(cg);
	uint64_t a = cpu_past(cg, 0);
	assert_true(cpu_past(cg, a) > a);
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_list_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	free(pids);
	end_child(pid);
	assert_int_equal(rt_cgroup_destroy(cg, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_host, teardown),
		cmocka_unit_test_teardown(test_v2_mount, teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
