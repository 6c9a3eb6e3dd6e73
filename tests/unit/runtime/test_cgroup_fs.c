/* The plan of a container's /sys/fs/cgroup from the host's mount table
 * (rt_cgroup_fs_plan): one mount per hierarchy, named as the host names
 * its mount point, with the exact controllers and name a cgroup
 * namespace may mount again, and a symlink per co-mounted controller, as
 * Docker lays it out.  Fake mount tables: no root needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/cgroup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_mountinfo(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/rt-cgfs-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* The plan for the mount table `text`: *n entries (rt_cgroup_fs_free). */
static struct rt_cgroup_fs *plan(const char *text, size_t *n)
{
	const char *mi = write_mountinfo(text);
	struct rt_cgroup_opts o = {.mountinfo = mi};
	struct rt_cgroup_fs *fs = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_cgroup_fs_plan(&o, &fs, n, &err), 0);
	unlink(mi);
	return fs;
}

static const struct rt_cgroup_fs *find(const struct rt_cgroup_fs *fs, size_t n, const char *dir)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fs[i].dir, dir) == 0)
			return &fs[i];
	fail_msg("no `%s` in the plan", dir);
	return NULL;
}

static void test_hybrid_host_with_comounts_and_names(void **state)
{
	(void)state;
	size_t n = 0;
	struct rt_cgroup_fs *fs = plan(
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
		"33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw shared:9 - cgroup cgroup rw,net_cls,net_prio\n"
		"34 31 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,release_agent=/x,name=systemd\n"
		"35 31 0:32 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset,clone_children\n"
		"36 31 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
		"37 31 0:29 / /mnt/again rw - cgroup cgroup rw,cpu,cpuacct\n"
		"38 31 0:34 /sub /mnt/sub rw - cgroup cgroup rw,memory\n", &n);
	assert_int_equal(n, 5); /* the second mount of cpu,cpuacct and a sub-cgroup bind are no hierarchies */
	const struct rt_cgroup_fs *f = find(fs, n, "cpu,cpuacct");
	assert_string_equal(f->fstype, "cgroup");
	assert_string_equal(f->data, "cpu,cpuacct");
	assert_int_equal(f->links.n, 2);
	assert_string_equal(f->links.v[0], "cpu");
	assert_string_equal(f->links.v[1], "cpuacct");
	f = find(fs, n, "net_cls,net_prio");
	assert_string_equal(f->data, "net_cls,net_prio");
	assert_int_equal(f->links.n, 2);
	f = find(fs, n, "systemd");
	assert_string_equal(f->data, "none,name=systemd");
	assert_int_equal(f->links.n, 0);
	f = find(fs, n, "cpuset");
	assert_string_equal(f->data, "cpuset");
	f = find(fs, n, "unified");
	assert_string_equal(f->fstype, "cgroup2");
	assert_string_equal(f->data, "");
	rt_cgroup_fs_free(fs, n);
}

static void test_v2_only_host_mounts_at_the_top(void **state)
{
	(void)state;
	size_t n = 0;
	struct rt_cgroup_fs *fs = plan("31 23 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", &n);
	assert_int_equal(n, 1);
	assert_string_equal(fs[0].fstype, "cgroup2");
	assert_string_equal(fs[0].dir, "");
	rt_cgroup_fs_free(fs, n);
}

/* Mount points that cannot name a directory, or name one twice: left out. */
static void test_unnamable_mount_points_left_out(void **state)
{
	(void)state;
	size_t n = 0;
	struct rt_cgroup_fs *fs = plan(
		"32 31 0:29 / /a/pids rw - cgroup cgroup rw,pids\n"
		"33 31 0:30 / /b/pids rw - cgroup cgroup rw,blkio\n"
		"34 31 0:31 / / rw - cgroup cgroup rw,devices\n", &n);
	assert_int_equal(n, 1);
	assert_string_equal(fs[0].dir, "pids");
	assert_string_equal(fs[0].data, "pids");
	rt_cgroup_fs_free(fs, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid_host_with_comounts_and_names),
		cmocka_unit_test(test_v2_only_host_mounts_at_the_top),
		cmocka_unit_test(test_unnamable_mount_points_left_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
