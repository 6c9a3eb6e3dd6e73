/* Real containers from a hand-built rt_config: a busybox rootfs (built by
 * tests/fixtures/busybox-rootfs.sh), a temp STACK_ROOT/STACK_RUN and a
 * cgroup parent of our own, all removed at the end.  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/container.h"
#include "util/fs.h"
#include "util/mem.h"
#include "ct_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static int group_setup(void **state)
{
	(void)state;
	return ct_fixture_setup("test_container", 't');
}

static int group_teardown(void **state)
{
	(void)state;
	return ct_fixture_teardown();
}

static void run_init(struct run *r, const char *script)
{
	ct_run_init(r, script);
	r->cfg.hostname = "espresso";
}

/* Start, collect stdout+stderr, wait, destroy.  Returns the output. */
static char *run_ok(struct run *r, struct rt_exit *st)
{
	char *all = ct_finish(ct_start(r), st);
	struct stat sb;
	assert_int_equal(lstat(r->state_dir, &sb), -1); /* destroy removed it */
	return all;
}

static char *run_script(const char *script, struct rt_exit *st)
{
	struct run r;
	run_init(&r, script);
	return run_ok(&r, st);
}

static void test_isolation(void **state)
{
	(void)state;
	char marker[300];
	snprintf(marker, sizeof(marker), "%s/host-only-file", tmp);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	char script[1024];
	snprintf(script, sizeof(script),
		 "test -e %s && echo HOSTFILE; test -e /proc/%d && echo HOSTPROC; "
		 "set -- /proc/[0-9]*; echo procs=$#; "
		 "echo ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ,); "
		 "echo host=$(hostname); echo etc=$(cat /etc/hostname); "
		 "grep -q espresso /etc/hosts && echo hosts-ok; echo pid=$$",
		 marker, (int)getpid());
	struct rt_exit st;
	char *out = run_script(script, &st);
	assert_int_equal(st.exit_code, 0);
	assert_null(strstr(out, "HOSTFILE"));
	assert_null(strstr(out, "HOSTPROC"));
	/* init (1) and the shell (2): the glob forks nothing. */
	assert_contains(out, "procs=2\n");
	assert_contains(out, "ifaces=lo,\n");
	assert_contains(out, "host=espresso\n");
	assert_contains(out, "etc=espresso\n");
	assert_contains(out, "hosts-ok\n");
	assert_contains(out, "pid=2\n");
	free(out);
	unlink(marker);
}

static void test_masked_and_readonly(void **state)
{
	(void)state;
	struct rt_exit st;
	char *out = run_script("echo timer_list=$(wc -c < /proc/timer_list); echo fw=$(ls /sys/firmware | wc -l);"
			       "grep -q ' /proc/keys ' /proc/self/mountinfo && echo keys-masked;"
			       "echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo procsys-ro;"
			       "touch /sys/x 2>/dev/null || echo sys-ro;"
			       "grep -q ' /proc/sys ro,' /proc/self/mountinfo && echo procsys-mount-ro;"
			       "touch /tmp/ok && echo rootfs-rw",
			       &st);
	assert_int_equal(st.exit_code, 0);
	/* Masked (non-empty on the host, which has no /proc/kcore). */
	assert_contains(out, "timer_list=0\n");
	assert_contains(out, "keys-masked\n");
	assert_contains(out, "fw=0\n");
	assert_contains(out, "procsys-ro\n");
	assert_contains(out, "procsys-mount-ro\n");
	assert_contains(out, "sys-ro\n");
	assert_contains(out, "rootfs-rw\n");
	free(out);
}

static void test_secret_bind_readonly(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "cat /espresso/.env; echo x >> /espresso/.env || echo write-failed;"
		     "mount -o remount,rw /espresso/.env 2>&1 || echo remount-failed;"
		     "mount -o remount,rw,bind /espresso/.env 2>&1 || echo remount-bind-failed");
	r.mounts[0] = (struct rt_mount){.type = RT_MOUNT_BIND, .source = secret, .target = "/espresso/.env",
					.read_only = true};
	r.cfg.n_mounts = 1;
	struct rt_exit st;
	char *out = run_ok(&r, &st);
	assert_contains(out, "API_KEY=espresso\n");
	assert_contains(out, "Read-only file system");
	assert_contains(out, "write-failed\n");
	assert_contains(out, "remount-failed\n");
	assert_contains(out, "remount-bind-failed\n");
	free(out);
	/* The host file is untouched. */
	char *content = NULL;
	st_error_t err = NULL;
	assert_int_equal(fs_read_file(secret, 0, &content, NULL, &err), 0);
	assert_string_equal(content, "API_KEY=espresso\n");
	free(content);
}

static void test_tmpfs_and_read_only_rootfs(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "stat -c %a /scratch; echo hi > /scratch/f && cat /scratch/f;"
		     "grep ' /scratch ' /proc/mounts | grep -o 'size=[0-9a-z]*';"
		     "touch /newfile 2>&1 || echo root-ro; touch /tmp/x 2>/dev/null || echo tmp-ro");
	r.mounts[0] = (struct rt_mount){.type = RT_MOUNT_TMPFS, .target = "/scratch", .tmpfs_size = 1 << 20,
					.tmpfs_mode = 0700};
	r.cfg.n_mounts = 1;
	r.cfg.read_only = true;
	struct rt_exit st;
	char *out = run_ok(&r, &st);
	assert_contains(out, "700\nhi\nsize=1024k\n");
	assert_contains(out, "Read-only file system");
	assert_contains(out, "root-ro\n");
	assert_contains(out, "tmp-ro\n");
	free(out);
}

static void test_user(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *want;
	} cases[] = {
		{"earl", "uid=1000(earl) gid=1000(earl) groups=29(audio),50(staff),1000(earl) home=/home/earl"},
		{"1000:50", "uid=1000(earl) gid=50(staff) groups=29(audio),50(staff) home=/home/earl"},
		{"earl:audio", "uid=1000(earl) gid=29(audio) groups=29(audio),50(staff) home=/home/earl"},
		{"4242", "uid=4242 gid=0(root) groups=0(root) home=/"},
		{NULL, "uid=0(root) gid=0(root) groups=0(root) home=/root"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r;
		run_init(&r, "echo $(id) home=$HOME");
		r.cfg.process.user = cases[i].spec;
		struct rt_exit st;
		char *out = run_ok(&r, &st);
		char want[256];
		snprintf(want, sizeof(want), "%s\n", cases[i].want);
		assert_string_equal(out, want);
		free(out);
	}
}

static void test_exit_codes_and_signals(void **state)
{
	(void)state;
	struct rt_exit st;
	free(run_script("exit 42", &st));
	assert_int_equal(st.exit_code, 42);
	assert_int_equal(st.signal, 0);
	/* With init the payload can die of a signal; init reports it exactly. */
	free(run_script("kill -USR1 $$; sleep 5", &st));
	assert_int_equal(st.signal, SIGUSR1);
	assert_int_equal(st.exit_code, 128 + SIGUSR1);
	/* Without init the payload is PID 1. */
	struct run r;
	run_init(&r, "echo pid=$$; exit 7");
	r.cfg.init = false;
	char *out = run_ok(&r, &st);
	assert_string_equal(out, "pid=1\n");
	assert_int_equal(st.exit_code, 7);
	free(out);
	/* And SIGKILL from outside. */
	run_init(&r, "sleep 10");
	r.cfg.init = false;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	assert_int_equal(rt_container_kill(ct, SIGKILL, &err), 0);
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(st.signal, SIGKILL);
	assert_int_equal(st.exit_code, 137);
	assert_false(st.oom_killed);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

static void test_init_forwards_and_reaps(void **state)
{
	(void)state;
	struct run r;
	/* An orphan (the inner `sleep 0`) is re-parented to init; after it
	 * exits, no zombie may remain.  Then SIGTERM reaches the shell. */
	run_init(&r, "trap 'echo got-term; exit 3' TERM; sh -c 'sleep 0 &'; sleep 0.3;"
		     "cat /proc/[0-9]*/stat | grep -c ') Z ' ; echo ready; while :; do sleep 0.05; done");
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	int fd = rt_container_stdio(ct, 1);
	char buf[256];
	size_t n = 0;
	while (n < sizeof(buf) - 1 && !strstr(buf, "ready\n")) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
		assert_true(k > 0);
		n += (size_t)k;
		buf[n] = '\0';
	}
	assert_string_equal(buf, "0\nready\n");
	struct rt_exit st;
	assert_int_equal(rt_container_stop(ct, 5000, &st, &err), 0);
	char *rest = ct_read_all(fd);
	assert_string_equal(rest, "got-term\n");
	free(rest);
	assert_int_equal(st.exit_code, 3);
	assert_int_equal(st.signal, 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

static void test_security_status(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status");
	r.cfg.no_new_privileges = true;
	struct rt_exit st;
	char *out = run_ok(&r, &st);
	/* Docker's 14 default capabilities. */
	assert_contains(out, "CapEff:\t00000000a80425fb\n");
	assert_contains(out, "CapBnd:\t00000000a80425fb\n");
	assert_contains(out, "NoNewPrivs:\t1\n");
	assert_contains(out, "Seccomp:\t2\n");
	free(out);

	static const char *const drop[] = {"SETUID", "SETGID", NULL};
	run_init(&r, "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status");
	r.cfg.cap_drop = drop;
	r.cfg.seccomp = RT_SECCOMP_UNCONFINED;
	r.cfg.process.user = "earl";
	out = run_ok(&r, &st);
	assert_contains(out, "CapEff:\t0000000000000000\n");
	assert_contains(out, "NoNewPrivs:\t0\n");
	assert_contains(out, "Seccomp:\t0\n");
	free(out);
}

static void test_tty(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "tty; test -t 0 && echo stdin-is-tty; echo to-console > /dev/console");
	r.cfg.process.tty = true;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	int m = rt_container_pty(ct);
	assert_true(m >= 0);
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	char buf[512] = "";
	size_t n = 0;
	struct pollfd pfd = {.fd = m, .events = POLLIN};
	while (n < sizeof(buf) - 1 && poll(&pfd, 1, 200) > 0) {
		ssize_t k = read(m, buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			break; /* EIO once the slave side is gone */
		n += (size_t)k;
	}
	buf[n] = '\0';
	assert_contains(buf, "/dev/pts/0\r\n");
	assert_contains(buf, "stdin-is-tty");
	assert_contains(buf, "to-console");
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

static void test_stdin_pipe(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "tr a-z A-Z");
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	int in = rt_container_take_stdio(ct, 0);
	assert_int_equal(write(in, "espresso\n", 9), 9);
	close(in);
	char *out = ct_read_all(rt_container_stdio(ct, 1));
	assert_string_equal(out, "ESPRESSO\n");
	free(out);
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* The host's mounts but network namespace files (nsfs): the stacks of
 * other tests that ctest -j runs beside this one hold some, and no
 * container of these tests makes one. */
static int count_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -1;
	int n = 0;
	char line[4096];
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " - nsfs ") == NULL;
	fclose(f);
	return n;
}

/* Our cgroup parent and its children, in every hierarchy. */
static int count_cgroup_dirs(void)
{
	int n = 0;
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s", e->d_name, cgparent);
		DIR *sub = opendir(p);
		if (!sub)
			continue;
		n++;
		struct dirent *s;
		while ((s = readdir(sub)))
			n += s->d_type == DT_DIR && s->d_name[0] != '.';
		closedir(sub);
	}
	closedir(d);
	return n;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void expect_start_failure_kind(struct run *r, const char *want, enum st_error_kind kind)
{
	int fds = count_dir("/proc/self/fd");
	int mounts = count_mounts();
	int cgroups = count_cgroup_dirs();
	int states = count_dir(run_dir);
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	int rc = rt_container_start(&r->cfg, &ct, &err);
	assert_int_equal(rc, -1);
	assert_null(ct);
	assert_non_null(err);
	assert_int_equal(st_error_kind(err), kind);
	char *text = st_error_text(err);
	if (!strstr(text, want))
		fprintf(stderr, "error `%s` does not contain `%s`\n", text, want);
	assert_contains(text, want);
	free(text);
	st_error_free(&err);
	assert_int_equal(count_mounts(), mounts);
	assert_int_equal(count_cgroup_dirs(), cgroups);
	assert_int_equal(count_dir(run_dir), states);
	assert_int_equal(count_dir("/proc/self/fd"), fds);
	struct stat sb;
	assert_int_equal(lstat(r->state_dir, &sb), -1);
	/* No child left: every one we forked was reaped. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Every start failure but execve's is ST_ERR_OTHER. */
static void expect_start_failure(struct run *r, const char *want)
{
	expect_start_failure_kind(r, want, ST_ERR_OTHER);
}

static void test_failures_leave_nothing(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "true");
	r.mounts[0] = (struct rt_mount){.type = RT_MOUNT_BIND, .source = "/nonexistent/.env",
					.target = "/espresso/.env", .read_only = true};
	r.cfg.n_mounts = 1;
	expect_start_failure(&r, "source `/nonexistent/.env`: No such file or directory");

	run_init(&r, "true");
	r.cfg.process.user = "mallory";
	expect_start_failure(&r, "user `mallory` not found in the container's /etc/passwd");

	run_init(&r, "true");
	r.cfg.process.user = "earl:baristas";
	expect_start_failure(&r, "group `baristas` not found");

	run_init(&r, "true");
	r.argv[0] = "no-such-command";
	expect_start_failure_kind(&r, "exec `no-such-command`: No such file or directory", ST_ERR_NOT_FOUND);

	/* The caller tells 126 from 127 by the kind, with or without init. */
	run_init(&r, "true");
	r.argv[0] = "/etc/passwd";
	expect_start_failure_kind(&r, "exec `/etc/passwd`: Permission denied", ST_ERR_NOT_EXECUTABLE);
	run_init(&r, "true");
	r.cfg.init = false;
	r.argv[0] = "/etc/passwd";
	expect_start_failure_kind(&r, "exec `/etc/passwd`: Permission denied", ST_ERR_NOT_EXECUTABLE);

	run_init(&r, "true");
	r.cfg.init = false;
	r.cfg.process.cwd = "/etc/passwd";
	expect_start_failure(&r, "working directory");

	/* The kernel refuses a CFS period below 1 ms. */
	run_init(&r, "true");
	r.cfg.limits.cpu_quota_us = 50;
	r.cfg.limits.cpu_period_us = 100;
	expect_start_failure(&r, "cpu");

	static const char *const bad_cap[] = {"NOT_A_CAP", NULL};
	run_init(&r, "true");
	r.cfg.cap_add = bad_cap;
	expect_start_failure(&r, "NOT_A_CAP");

	/* A second container with the same state dir is refused, and the
	 * refusal does not remove the first one's. */
	run_init(&r, "sleep 5");
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	struct run r2 = r;
	r2.cfg.lower_dirs = r2.lower;
	r2.cfg.process.argv = r2.argv;
	r2.cfg.mounts = r2.mounts;
	r2.cfg.id = "other";
	assert_int_equal(rt_container_start(&r2.cfg, &(struct rt_container *){NULL}, &err), -1);
	assert_contains(err->msg, "state directory");
	st_error_free(&err);
	struct stat sb;
	assert_int_equal(stat(r.state_dir, &sb), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}


static void test_dev_env_cwd(void **state)
{
	(void)state;
	static const char *const env[] = {"COFFEE=espresso", NULL};
	static const char *const hosts[] = {"db:10.1.2.3", NULL};
	struct run r;
	run_init(&r, "ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c;"
		     "echo shm > /dev/shm/f && cat /dev/shm/f; grep -c ' /dev/mqueue ' /proc/self/mountinfo;"
		     "echo $COFFEE $HOME $HOSTNAME; echo PATH=$PATH; pwd; grep db /etc/hosts; grep -c nameserver /etc/resolv.conf;"
		     "grep nameserver /etc/resolv.conf");
	r.cfg.process.env = env;
	r.cfg.process.cwd = "/srv/app";
	r.cfg.extra_hosts = hosts;
	static const char *const dns[] = {"192.0.2.53", NULL};
	r.cfg.dns = dns;
	struct rt_exit st;
	char *out = run_ok(&r, &st);
	assert_int_equal(st.exit_code, 0);
	assert_contains(out, "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \n");
	assert_contains(out, "\n4\nshm\n1\n");
	assert_contains(out, "espresso /root espresso\n");
	assert_contains(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
	assert_contains(out, "/srv/app\n10.1.2.3\tdb\n1\nnameserver 192.0.2.53\n");
	free(out);
}

/* A symlink in an upper image layer pointing "outside" must resolve inside
 * the rootfs: the tmpfs lands in the container's /tmp, never the host's. */
static void test_symlink_cannot_escape(void **state)
{
	(void)state;
	char layer[300], link[400], name[64], script[256], hostpath[128];
	snprintf(layer, sizeof(layer), "%s/evil-layer", tmp);
	assert_int_equal(mkdir(layer, 0755), 0);
	snprintf(link, sizeof(link), "%s/evil", layer);
	/* From the host's point of view this is /tmp. */
	assert_int_equal(symlink("../../../../../../../../tmp", link), 0);
	snprintf(name, sizeof(name), "stack-escape-%d", (int)getpid());
	snprintf(hostpath, sizeof(hostpath), "/tmp/%s", name);
	snprintf(script, sizeof(script), "echo in > /evil/%s/file && cat /tmp/%s/file", name, name);
	char target[128];
	snprintf(target, sizeof(target), "/evil/%s", name);
	const char *lower[] = {layer, rootfs, NULL}; /* topmost first */
	struct run r;
	run_init(&r, script);
	r.cfg.lower_dirs = lower;
	r.mounts[0] = (struct rt_mount){.type = RT_MOUNT_TMPFS, .target = target};
	r.cfg.n_mounts = 1;
	struct rt_exit st;
	char *out = run_ok(&r, &st);
	assert_string_equal(out, "in\n");
	free(out);
	struct stat sb;
	assert_int_equal(lstat(hostpath, &sb), -1);

	/* A dangling symlink's target is made inside the root (as runc
	 * does), never at the host path it names. */
	unlink(link);
	char dangling[300];
	snprintf(dangling, sizeof(dangling), "../../../../../..%s/hostdir", tmp);
	assert_int_equal(symlink(dangling, link), 0);
	snprintf(script, sizeof(script), "grep -c ' %s/hostdir/sub ' /proc/self/mountinfo", tmp);
	run_init(&r, script);
	r.cfg.lower_dirs = lower;
	r.mounts[0] = (struct rt_mount){.type = RT_MOUNT_TMPFS, .target = "/evil/sub"};
	r.cfg.n_mounts = 1;
	out = run_ok(&r, &st);
	assert_string_equal(out, "1\n");
	free(out);
	char hostdir[300];
	snprintf(hostdir, sizeof(hostdir), "%s/hostdir", tmp);
	assert_int_equal(lstat(hostdir, &sb), -1);
	unlink(link);
	rmdir(layer);
}

static int net_hook_calls;
static int net_hook(pid_t pid, void *data, st_error_t *err)
{
	net_hook_calls++;
	char a[64], b[64], p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	ssize_t n = readlink(p, a, sizeof(a) - 1);
	ssize_t m = readlink("/proc/self/ns/net", b, sizeof(b) - 1);
	if (n < 0 || m < 0)
		return st_error(err, errno, "readlink");
	a[n] = b[m] = '\0';
	if (strcmp(a, b) == 0)
		return st_error(err, 0, "the container shares our netns");
	return data ? st_error(err, EHOSTUNREACH, "veth for `%s`", (const char *)data) : 0;
}

static void test_network_modes(void **state)
{
	(void)state;
	struct run r;
	struct rt_exit st;
	/* host: the host's interfaces and a read-only bind of /sys. */
	run_init(&r, "echo n=$(tail -n +3 /proc/net/dev | wc -l); touch /sys/x 2>/dev/null || echo sys-ro");
	r.cfg.net = RT_NET_HOST;
	char *out = run_ok(&r, &st);
	int host_ifaces = count_lines("/proc/net/dev") - 2;
	char want[64];
	snprintf(want, sizeof(want), "n=%d\nsys-ro\n", host_ifaces);
	assert_string_equal(out, want);
	free(out);

	/* private: the hook runs with the container's own netns... */
	run_init(&r, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
	r.cfg.net = RT_NET_PRIVATE;
	r.cfg.net_hook = net_hook;
	net_hook_calls = 0;
	out = run_ok(&r, &st);
	assert_string_equal(out, "lo\n");
	assert_int_equal(net_hook_calls, 1);
	free(out);
	/* ...and its failure aborts the start, leaving nothing. */
	run_init(&r, "true");
	r.cfg.net = RT_NET_PRIVATE;
	r.cfg.net_hook = net_hook;
	r.cfg.net_hook_data = (void *)"eth0";
	expect_start_failure(&r, "network setup: veth for `eth0`");
}

static void test_limits(void **state)
{
	(void)state;
	struct run r;
	struct rt_exit st;
	static const struct rt_rlimit rl[] = {{.resource = RLIMIT_NOFILE, .soft = 512, .hard = 1024}};
	run_init(&r, "ulimit -n; ulimit -Hn; grep pids /proc/self/cgroup;"
		     "for i in 1 2 3 4 5 6 7 8; do sleep 1 & done 2>&1 | grep -c -i fork");
	r.cfg.rlimits = rl;
	r.cfg.n_rlimits = 1;
	r.cfg.limits.pids = 5;
	char *out = run_ok(&r, &st);
	/* The cgroup namespace shows the container's cgroup as its root. */
	assert_contains(out, "512\n1024\n");
	assert_contains(out, ":pids:/\n");
	assert_null(strstr(out, "\n0\n")); /* some forks were refused */
	free(out);

	/* OOM: the kernel kills the payload; 137 and OOMKilled. */
	run_init(&r, "x=a; while :; do x=$x$x; done");
	r.cfg.limits.memory = 16 << 20;
	r.cfg.limits.memory_swap = 16 << 20;
	out = run_ok(&r, &st);
	assert_true(st.oom_killed);
	assert_int_equal(st.exit_code, 137);
	assert_int_equal(st.signal, SIGKILL);
	free(out);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* RT_STDIO_FDS: the caller's own fds (a log file) become the payload's. */
static void test_stdio_fds_and_stop(void **state)
{
	(void)state;
	char log[300];
	snprintf(log, sizeof(log), "%s/log", tmp);
	int fd = open(log, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	struct run r;
	run_init(&r, "echo to-log; echo err-to-log >&2");
	r.cfg.process.stdio = RT_STDIO_FDS;
	r.cfg.process.fds[0] = -1;
	r.cfg.process.fds[1] = fd;
	r.cfg.process.fds[2] = fd;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	close(fd);
	struct rt_exit st;
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	char *content = NULL;
	assert_int_equal(fs_read_file(log, 0, &content, NULL, &err), 0);
	assert_string_equal(content, "to-log\nerr-to-log\n");
	free(content);
	unlink(log);

	/* No init: PID 1 ignores SIGTERM it has no handler for, so stop
	 * escalates to SIGKILL after the timeout. */
	run_init(&r, "sleep 30");
	r.cfg.init = false;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	double t0 = now_ms();
	assert_int_equal(rt_container_stop(ct, 200, &st, &err), 0);
	double took = now_ms() - t0;
	assert_true(took >= 150 && took < 5000);
	assert_int_equal(st.signal, SIGKILL);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

static volatile int stop_threads;
static void *malloc_loop(void *arg)
{
	(void)arg;
	while (!stop_threads) {
		void *p[64];
		for (int i = 0; i < 64; i++)
			p[i] = malloc((size_t)(16 + i * 40));
		for (int i = 0; i < 64; i++)
			free(p[i]);
	}
	return NULL;
}

/* The child allocates after fork(): with other threads hammering malloc,
 * a raw clone() child could inherit a held arena lock and hang. */
static void test_start_with_busy_threads(void **state)
{
	(void)state;
	pthread_t th[2];
	stop_threads = 0;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, malloc_loop, NULL), 0);
	for (int i = 0; i < 10; i++) {
		struct rt_exit st;
		char *out = run_script("echo ok", &st);
		assert_string_equal(out, "ok\n");
		free(out);
	}
	stop_threads = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
}

/* The starting process dies without destroy: the container runs on,
 * orphaned.  rt_container_remove_stale() finds and removes all of it. */
static void test_remove_stale_after_crash(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, "sleep 60");
	r.cfg.process.stdio = RT_STDIO_INHERIT;
	int mounts = count_mounts();
	int cgroups = count_cgroup_dirs();
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t starter = fork();
	assert_true(starter >= 0);
	if (starter == 0) {
		close(p[0]);
		struct rt_container *ct = NULL;
		st_error_t err = NULL;
		if (rt_container_start(&r.cfg, &ct, &err) < 0)
			_exit(1);
		pid_t pid = rt_container_pid(ct);
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		_exit(0); /* "crash": no wait, no destroy */
	}
	close(p[1]);
	pid_t ctpid = 0;
	assert_int_equal(read(p[0], &ctpid, sizeof(ctpid)), sizeof(ctpid));
	close(p[0]);
	int status;
	assert_int_equal(waitpid(starter, &status, 0), starter);
	assert_int_equal(status, 0);
	/* Still running, still holding its cgroup and state dir. */
	assert_int_equal(kill(ctpid, 0), 0);
	assert_true(count_cgroup_dirs() > cgroups);
	struct stat sb;
	assert_int_equal(stat(r.state_dir, &sb), 0);

	st_error_t err = NULL;
	assert_int_equal(rt_container_remove_stale(r.id, r.state_dir, cgparent, &err), 0);
	/* Reparented to the host's init (or a subreaper), which reaps it. */
	for (int i = 0; i < 200 && kill(ctpid, 0) == 0; i++)
		usleep(10000);
	assert_int_equal(kill(ctpid, 0), -1);
	assert_int_equal(count_cgroup_dirs(), cgroups);
	assert_int_equal(lstat(r.state_dir, &sb), -1);
	assert_int_equal(count_mounts(), mounts);
	/* Twice is fine: nothing left is not an error. */
	assert_int_equal(rt_container_remove_stale(r.id, r.state_dir, cgparent, &err), 0);
}

static void test_exec_into_running_container(void **state)
{
	(void)state;
	static const char *const env[] = {"COFFEE=espresso", "CUP=small", NULL};
	struct run r;
	run_init(&r, "echo started; sleep 30");
	r.cfg.process.env = env;
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
	char buf[16] = "";
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, 8), 8);
	assert_string_equal(buf, "started\n");

	static const char *const argv[] = {"sh", "-c",
		"echo $COFFEE $CUP $HOME; id -u; hostname; grep pids /proc/self/cgroup;"
		"grep -v ':/$' /proc/self/cgroup || echo in-every-cgroup;"
		"test $$ -gt 1 && echo not-pid1; grep -E '^(CapEff|Seccomp):' /proc/self/status;"
		"tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ';"
		"read l </proc/self/stat; set -- ${l#*) }; test $4 = $$ && echo own-session; exit 5", NULL};
	static const char *const xenv[] = {"CUP=large", NULL};
	struct rt_process p = {.argv = argv, .env = xenv, .user = "earl", .stdio = RT_STDIO_PIPES};
	struct rt_exec *x = NULL;
	int mounts = count_mounts();
	assert_int_equal(rt_container_exec(ct, &p, &x, &err), 0);
	close(rt_exec_take_stdio(x, 0));
	char *out = ct_read_all(rt_exec_stdio(x, 1));
	struct rt_exit st;
	assert_int_equal(rt_exec_wait(x, &st, &err), 0);
	assert_int_equal(st.exit_code, 5);
	/* The container's env with the exec's on top, its hostname, cgroups
	 * (namespace root in every hierarchy: it joined them all), pid and net
	 * namespaces, caps and filter. */
	assert_contains(out, "espresso large /home/earl\n1000\nespresso\n");
	assert_contains(out, ":pids:/\nin-every-cgroup\nnot-pid1\nCapEff:\t0000000000000000\nSeccomp:\t2\nlo\n");
	/* A session of its own (field 6 of stat: its own pid), out of ours. */
	assert_contains(out, "\nown-session\n");
	free(out);
	rt_exec_free(x);
	assert_int_equal(count_mounts(), mounts);

	/* An unknown user: a start error naming it, nothing running. */
	p.user = "mallory";
	assert_int_equal(rt_container_exec(ct, &p, &x, &err), -1);
	assert_null(x);
	assert_contains(err->msg, "user `mallory` not found");
	st_error_free(&err);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
}

/* pids in a host-side cgroup file (cgroup.procs or tasks). */
static bool cg_file_has(const char *path, pid_t pid, int *n_out)
{
	FILE *f = fopen(path, "r");
	bool found = false;
	int v, n = 0;
	while (f && fscanf(f, "%d", &v) == 1) {
		n++;
		if (v == pid)
			found = true;
	}
	if (f)
		fclose(f);
	if (n_out)
		*n_out = n;
	return found;
}

/* Removes the container's freezer cgroup after the parent opened its
 * `tasks` file and before GO: the container process's self-join is
 * refused, and the start error names the file. */
static int rmdir_freezer_hook(pid_t pid, void *data, st_error_t *err)
{
	(void)pid;
	(void)err;
	if (rmdir((const char *)data) < 0)
		fprintf(stderr, "rmdir %s: %s\n", (const char *)data, strerror(errno));
	return 0;
}

static void test_join_failure_names_file(void **state)
{
	(void)state;
	if (access("/sys/fs/cgroup/freezer/tasks", F_OK) != 0)
		skip();
	struct run r;
	run_init(&r, "echo should-not-run");
	char *dir = xasprintf("/sys/fs/cgroup/freezer/%s/%s", cgparent, r.id);
	r.cfg.net = RT_NET_PRIVATE;
	r.cfg.net_hook = rmdir_freezer_hook;
	r.cfg.net_hook_data = dir;
	char *want = xasprintf("move the container process into its cgroup: write `0` to `%s/tasks`: No such device",
			       dir);
	expect_start_failure(&r, want);
	free(want);
	free(dir);
}

/* The container process moves itself into its cgroup (v1 `tasks` fds
 * passed with GO) before it makes the cgroup namespace and before the
 * payload runs: from inside, the payload's first command sees the root of
 * every hierarchy (it would see a path below it had it been moved after
 * the namespace was made); from the host, the container's processes are
 * in the cgroup of every hierarchy we use. */
static void test_joined_before_payload(void **state)
{
	(void)state;
	static const char *const ctrls[] = {"memory", "pids", "cpu", "cpuacct", "freezer"};
	for (int with_init = 1; with_init >= 0; with_init--) {
		struct run r;
		run_init(&r, "cat /proc/self/cgroup; echo ready; exec sleep 30");
		r.cfg.init = with_init;
		r.cfg.limits.pids = 64;
		struct rt_container *ct = NULL;
		st_error_t err = NULL;
		assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
		close(rt_container_take_stdio(ct, 0));
		char out[4096];
		size_t n = 0;
		while (n < sizeof(out) - 1) {
			ssize_t k = read(rt_container_stdio(ct, 1), out + n, sizeof(out) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			out[n] = '\0';
			if (strstr(out, "ready\n"))
				break;
		}
		out[n] = '\0';
		assert_contains(out, "ready\n");
		int checked = 0;
		for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
			char *dir = xasprintf("/sys/fs/cgroup/%s/%s/%s", ctrls[i], cgparent, r.id);
			if (access(dir, F_OK) != 0) {
				free(dir);
				continue; /* not a v1 hierarchy on this host */
			}
			char *want = xasprintf(":%s:/\n", ctrls[i]);
			if (!strstr(out, want))
				fail_msg("payload's /proc/self/cgroup has no `%s` line:\n%s", want, out);
			free(want);
			char *procs = xasprintf("%s/cgroup.procs", dir);
			int nprocs = 0;
			if (!cg_file_has(procs, rt_container_pid(ct), &nprocs))
				fail_msg("pid %d not in %s", (int)rt_container_pid(ct), procs);
			/* init and the payload, or the payload alone */
			assert_int_equal(nprocs, with_init ? 2 : 1);
			free(procs);
			free(dir);
			checked++;
		}
		if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0)
			assert_true(checked >= 3);
		assert_int_equal(rt_container_kill(ct, SIGKILL, &err), 0);
		struct rt_exit st;
		assert_int_equal(rt_container_wait(ct, &st, &err), 0);
		assert_int_equal(rt_container_destroy(ct, &err), 0);
	}
}

static void test_start_latency(void **state)
{
	(void)state;
	enum { N = 30 };
	double t[N];
	int fds = count_dir("/proc/self/fd");
	for (int i = 0; i < N; i++) {
		struct run r;
		run_init(&r, NULL);
		r.argv[0] = "/bin/true";
		r.argv[1] = NULL;
		r.cfg.process.stdio = RT_STDIO_INHERIT;
		struct rt_container *ct = NULL;
		st_error_t err = NULL;
		double t0 = now_ms();
		assert_int_equal(rt_container_start(&r.cfg, &ct, &err), 0);
		struct rt_exit st;
		assert_int_equal(rt_container_wait(ct, &st, &err), 0);
		assert_int_equal(rt_container_destroy(ct, &err), 0);
		t[i] = now_ms() - t0;
		assert_int_equal(st.exit_code, 0);
	}
	assert_int_equal(count_dir("/proc/self/fd"), fds); /* no fd leaked */
	qsort(t, N, sizeof(t[0]), cmp_double);
	fprintf(stderr, "start+wait+destroy of /bin/true (init, default seccomp, cgroup): "
			"min %.2f ms, median %.2f ms, max %.2f ms (%d runs)\n",
		t[0], t[N / 2], t[N - 1], N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_masked_and_readonly),
		cmocka_unit_test(test_secret_bind_readonly),
		cmocka_unit_test(test_tmpfs_and_read_only_rootfs),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_exit_codes_and_signals),
		cmocka_unit_test(test_init_forwards_and_reaps),
		cmocka_unit_test(test_security_status),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_stdin_pipe),
		cmocka_unit_test(test_failures_leave_nothing),
		cmocka_unit_test(test_dev_env_cwd),
		cmocka_unit_test(test_symlink_cannot_escape),
		cmocka_unit_test(test_network_modes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_stdio_fds_and_stop),
		cmocka_unit_test(test_start_with_busy_threads),
		cmocka_unit_test(test_remove_stale_after_crash),
		cmocka_unit_test(test_exec_into_running_container),
		cmocka_unit_test(test_joined_before_payload),
		cmocka_unit_test(test_join_failure_names_file),
		cmocka_unit_test(test_start_latency),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
