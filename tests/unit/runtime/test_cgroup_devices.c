/* The device allow-list of a cgroup, seen by a process inside it: on a
 * cgroup2 mount the test makes itself (the BPF device program), on this
 * host's v1 devices controller, on a hybrid view without that controller
 * (BPF on the cgroup2 tree), and on a host with neither (the create fails).
 *
 * Every check is a real open() or mknod() by a child in the cgroup, of
 * nodes the test makes in a directory of its own (the host's /tmp, not
 * nodev), compared with the same open() from a cgroup without the list:
 * a device that opens there and not here is refused by the list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/cgroup.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char parent[64];
static char nodes[64];    /* our device nodes */
static char v2_mnt[64];   /* our cgroup2 mount, when mounted */
static char no_devices_mi[80], no_cgroups_mi[80];

/* One open (or mknod, when mknod_type is set) and the errno it must end
 * with (0: success). */
struct probe {
	const char *name; /* in nodes/ ("/dev/null" when absolute) */
	int flags;
	int want;
	mode_t mknod_type;
	unsigned major, minor;
};

#define OPEN(n, f, w) {.name = (n), .flags = (f), .want = (w)}
#define MKNOD(n, w, t, ma, mi) {.name = (n), .want = (w), .mknod_type = (t), .major = (ma), .minor = (mi)}

static char *node_path(const char *name)
{
	return name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", nodes, name);
}

/* In the child: run the probes; exit 0, or 10 + the index of the first
 * that ended otherwise (its errno printed to stderr). */
static int run_probes(const struct probe *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *path = node_path(p[i].name);
		int r, e = 0;
		if (p[i].mknod_type) {
			unlink(path);
			r = mknod(path, p[i].mknod_type | 0600, makedev(p[i].major, p[i].minor));
		} else {
			r = open(path, p[i].flags | O_CLOEXEC | O_NONBLOCK);
			if (r >= 0)
				close(r);
		}
		if (r < 0)
			e = errno;
		if (e != p[i].want) {
			fprintf(stderr, "probe %zu (%s %s): errno %d (%s), want %d\n", i,
				p[i].mknod_type ? "mknod" : "open", path, e, strerror(e), p[i].want);
			free(path);
			return 10 + (int)i;
		}
		free(path);
	}
	return 0;
}

/* Fork a child, put it in cg (NULL: stay where we are), run the probes
 * there and return its exit code. */
static int probe_in(struct rt_cgroup *cg, const struct probe *p, size_t n)
{
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(99);
		_exit(run_probes(p, n));
	}
	close(go[0]);
	st_error_t err = NULL;
	if (cg && rt_cgroup_add_pid(cg, pid, &err) < 0) {
		kill(pid, SIGKILL);
		fail_msg("add pid: %s", err->msg);
	}
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* A loop device (b 7:0) and a copy of /dev/null (c 1:3) of our own. */
static void make_nodes(void)
{
	char *loop = node_path("loop0"), *null = node_path("null");
	unlink(loop);
	unlink(null);
	assert_int_equal(mknod(loop, S_IFBLK | 0600, makedev(7, 0)), 0);
	assert_int_equal(mknod(null, S_IFCHR | 0666, makedev(1, 3)), 0);
	free(loop);
	free(null);
}

/* What every default-list check needs: without the list the loop device
 * opens, so a refusal below is the list's. */
static void assert_loop_opens_outside(void)
{
	const struct probe outside[] = {OPEN("loop0", O_RDONLY, 0), OPEN("null", O_RDWR, 0)};
	assert_int_equal(probe_in(NULL, outside, ARRAY_SIZE(outside)), 0);
}

/* Docker's default list: /dev/null and the like open, a loop device and
 * the kvm node (made by mknod, which the list allows) do not. */
static const struct probe default_probes[] = {
	OPEN("/dev/null", O_RDWR, 0),
	OPEN("/dev/zero", O_RDONLY, 0),
	OPEN("/dev/urandom", O_RDONLY, 0),
	OPEN("null", O_WRONLY, 0),
	OPEN("loop0", O_RDONLY, EPERM),
	OPEN("loop0", O_WRONLY, EPERM),
	MKNOD("loop1", 0, S_IFBLK, 7, 1),
	OPEN("loop1", O_RDONLY, EPERM),
	MKNOD("kvm", 0, S_IFCHR, 10, 232),
	OPEN("kvm", O_RDWR, EPERM),
};

static struct rt_cgroup *create(const char *name, const struct rt_cgroup_opts *o)
{
	struct rt_cgroup *cg = NULL;
	st_error_t err = NULL;
	if (rt_cgroup_create(name, NULL, o, &cg, &err) < 0)
		fail_msg("create %s: %s", name, err->msg);
	return cg;
}

static void destroy(struct rt_cgroup *cg)
{
	st_error_t err = NULL;
	if (rt_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err->msg);
}

static bool mount_own_v2(void)
{
	if (v2_mnt[0])
		return true;
	snprintf(v2_mnt, sizeof(v2_mnt), "/tmp/rtdev-cg2-XXXXXX");
	assert_non_null(mkdtemp(v2_mnt));
	if (mount("none", v2_mnt, "cgroup2", 0, NULL) < 0) {
		printf("cannot mount cgroup2 (%s): the BPF device program is not exercised\n", strerror(errno));
		rmdir(v2_mnt);
		v2_mnt[0] = '\0';
		return false;
	}
	return true;
}

static void test_v2_bpf_default_list(void **state)
{
	(void)state;
	if (!mount_own_v2())
		skip();
	make_nodes();
	assert_loop_opens_outside();
	struct rt_cgroup_opts o = {.parent = parent, .v2_root = v2_mnt, .devices = rt_device_rules_default,
				   .n_devices = rt_n_device_rules_default};
	struct rt_cgroup *cg = create("bpf", &o);
	assert_false(rt_cgroup_has_v1(cg));
	assert_int_equal(probe_in(cg, default_probes, ARRAY_SIZE(default_probes)), 0);
	destroy(cg);
}

/* The program's matching: a type, a major with any minor, and access bits
 * that must cover the whole request. */
static void test_v2_bpf_rule_matching(void **state)
{
	(void)state;
	if (!mount_own_v2())
		skip();
	make_nodes();
	const struct rt_device_rule rules[] = {
		{'b', 7, -1, RT_DEV_READ},
		{'c', 1, 3, RT_DEV_WRITE | RT_DEV_MKNOD},
	};
	struct rt_cgroup_opts o = {.parent = parent, .v2_root = v2_mnt, .devices = rules, .n_devices = 2};
	struct rt_cgroup *cg = create("bpf", &o);
	const struct probe p[] = {
		OPEN("loop0", O_RDONLY, 0),
		OPEN("loop0", O_WRONLY, EPERM),
		OPEN("loop0", O_RDWR, EPERM),
		OPEN("null", O_WRONLY, 0),
		OPEN("null", O_RDONLY, EPERM),
		OPEN("/dev/zero", O_RDONLY, EPERM),
		MKNOD("loop2", EPERM, S_IFBLK, 7, 2), /* no m for block devices */
		MKNOD("null2", 0, S_IFCHR, 1, 3),
		MKNOD("zero2", EPERM, S_IFCHR, 1, 5),
	};
	assert_int_equal(probe_in(cg, p, ARRAY_SIZE(p)), 0);
	destroy(cg);

	/* No rules at all: nothing opens. */
	o.n_devices = 0;
	cg = create("bpf", &o);
	const struct probe none[] = {OPEN("/dev/null", O_RDONLY, EPERM)};
	assert_int_equal(probe_in(cg, none, 1), 0);
	destroy(cg);
}

/* A cgroup left by a crash is reused: its old program must not stay on
 * (with BPF_F_ALLOW_MULTI both would have to allow). */
static void test_v2_bpf_reused_cgroup(void **state)
{
	(void)state;
	if (!mount_own_v2())
		skip();
	make_nodes();
	const struct rt_device_rule only_null[] = {{'c', 1, 3, RT_DEV_RWM}};
	const struct rt_device_rule only_loop[] = {{'b', 7, 0, RT_DEV_READ}};
	struct rt_cgroup_opts o = {.parent = parent, .v2_root = v2_mnt, .devices = only_null, .n_devices = 1};
	rt_cgroup_free(create("bpf", &o)); /* "crash": the directory stays */
	o.devices = only_loop;
	struct rt_cgroup *cg = create("bpf", &o);
	const struct probe p[] = {OPEN("loop0", O_RDONLY, 0), OPEN("null", O_RDONLY, EPERM)};
	assert_int_equal(probe_in(cg, p, ARRAY_SIZE(p)), 0);
	destroy(cg);
}

/* This host's layout: the v1 devices controller holds the list. */
static void test_v1_devices_controller(void **state)
{
	(void)state;
	if (access("/sys/fs/cgroup/devices/devices.allow", F_OK) < 0) {
		printf("no v1 devices controller here: not exercised\n");
		skip();
	}
	make_nodes();
	assert_loop_opens_outside();
	struct rt_cgroup_opts o = {.parent = parent, .devices = rt_device_rules_default,
				   .n_devices = rt_n_device_rules_default};
	struct rt_cgroup *cg = create("v1dev", &o);
	char *dir = xasprintf("/sys/fs/cgroup/devices/%s/v1dev", parent);
	assert_int_equal(access(dir, F_OK), 0);
	assert_int_equal(probe_in(cg, default_probes, ARRAY_SIZE(default_probes)), 0);
	destroy(cg);
	assert_int_equal(access(dir, F_OK), -1);
	free(dir);
	/* Without a list there is no devices directory at all. */
	o.devices = NULL;
	o.n_devices = 0;
	cg = create("v1dev", &o);
	dir = xasprintf("/sys/fs/cgroup/devices/%s", parent);
	assert_int_equal(access(dir, F_OK), -1);
	free(dir);
	destroy(cg);
}

/* A hybrid host whose v1 hierarchies lack devices: the list goes to a
 * BPF program on the cgroup2 tree, which is made for it even though no
 * controller of ours lives there. */
static void test_hybrid_without_v1_devices(void **state)
{
	(void)state;
	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) < 0) {
		printf("no cgroup2 mount at /sys/fs/cgroup/unified: not exercised\n");
		skip();
	}
	make_nodes();
	assert_loop_opens_outside();
	struct rt_cgroup_opts o = {.parent = parent, .mountinfo = no_devices_mi, .devices = rt_device_rules_default,
				   .n_devices = rt_n_device_rules_default};
	struct rt_cgroup *cg = create("hybdev", &o);
	assert_true(rt_cgroup_v2_fd(cg) >= 0);
	char *dir = xasprintf("/sys/fs/cgroup/devices/%s", parent);
	assert_int_equal(access(dir, F_OK), -1);
	free(dir);
	assert_int_equal(probe_in(cg, default_probes, ARRAY_SIZE(default_probes)), 0);
	destroy(cg);
}

/* Nowhere to put the list: an error that says so, and nothing made. */
static void test_no_way_to_restrict_fails(void **state)
{
	(void)state;
	struct rt_cgroup_opts o = {.parent = parent, .mountinfo = no_cgroups_mi, .devices = rt_device_rules_default,
				   .n_devices = rt_n_device_rules_default};
	struct rt_cgroup *cg = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_cgroup_create("nodev", NULL, &o, &cg, &err), -1);
	assert_null(cg);
	assert_non_null(strstr(err->msg, "cannot restrict devices"));
	st_error_free(&err);
	char *dir = xasprintf("/sys/fs/cgroup/memory/%s", parent);
	assert_int_equal(access(dir, F_OK), -1);
	free(dir);
}

/* This host's mountinfo without the lines `drop` matches. */
static void write_mountinfo(char *path, size_t size, const char *tag, bool (*drop)(const char *line))
{
	snprintf(path, size, "/tmp/rtdev-mi-%s-%d", tag, (int)getpid());
	char *text = NULL;
	st_error_t err = NULL;
	assert_int_equal(fs_read_file("/proc/self/mountinfo", 0, &text, NULL, &err), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!drop(l))
			fprintf(f, "%s\n", l);
	fclose(f);
	free(text);
}

static bool is_v1_devices(const char *l) { return strstr(l, " - cgroup ") && strstr(l, "devices"); }
static bool is_devices_or_v2(const char *l) { return is_v1_devices(l) || strstr(l, " - cgroup2 "); }

static int setup(void **state)
{
	(void)state;
	snprintf(parent, sizeof(parent), "rtdev-test-%d", (int)getpid());
	snprintf(nodes, sizeof(nodes), "/tmp/rtdev-nodes-XXXXXX");
	assert_non_null(mkdtemp(nodes));
	write_mountinfo(no_devices_mi, sizeof(no_devices_mi), "nodevices", is_v1_devices);
	write_mountinfo(no_cgroups_mi, sizeof(no_cgroups_mi), "nocgroups", is_devices_or_v2);
	return 0;
}

/* Whatever a failed test left behind (an assert jumps past its cleanup). */
static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = {"v1dev", "hybdev", "nodev"};
	struct rt_cgroup_opts o = {.parent = parent};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		st_error_t err = NULL;
		rt_cgroup_remove_by_name(names[i], &o, &err);
		st_error_free(&err);
	}
	if (v2_mnt[0]) {
		o.v2_root = v2_mnt;
		st_error_t err = NULL;
		rt_cgroup_remove_by_name("bpf", &o, &err);
		st_error_free(&err);
		/* Lazily: a failed test leaks its cgroup's open v2 fd. */
		umount2(v2_mnt, MNT_DETACH);
		rmdir(v2_mnt);
	}
	static const char *const files[] = {"loop0", "loop1", "loop2", "null", "null2", "zero2", "kvm"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = node_path(files[i]);
		unlink(p);
		free(p);
	}
	rmdir(nodes);
	unlink(no_devices_mi);
	unlink(no_cgroups_mi);
	return 0;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("device cgroup tests need root\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_bpf_default_list),
		cmocka_unit_test(test_v2_bpf_rule_matching),
		cmocka_unit_test(test_v2_bpf_reused_cgroup),
		cmocka_unit_test(test_v1_devices_controller),
		cmocka_unit_test(test_hybrid_without_v1_devices),
		cmocka_unit_test(test_no_way_to_restrict_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
