/* The container's root filesystem, built in its own mount namespace:
 * overlayfs over the image layers, /proc, /dev, /sys, the config's mounts,
 * Docker's masked and read-only paths, then pivot_root. */
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Docker's defaults: hidden (files get /dev/null, dirs an empty ro tmpfs)... */
static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
};
/* ...and visible but read-only. */
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* See overlay.c: many layers, and who owns the upper. */
static int mount_overlay(struct rt_child *c, st_error_t *err)
{
	const struct rt_config *cfg = c->cfg;
	_cleanup_free_ char *upper = NULL, *work = NULL;
	if (!cfg->upper_dir) {
		upper = xasprintf("%s/upper", cfg->state_dir);
		work = xasprintf("%s/work", cfg->state_dir);
	}
	struct rt_overlay ov = {
		.lower = cfg->lower_dirs,
		.upper = cfg->upper_dir ? cfg->upper_dir : upper,
		.work = cfg->work_dir ? cfg->work_dir : work,
		.is_volatile = !cfg->upper_dir,
		.keep = cfg->upper_dir != NULL,
	};
	return rt_overlay_mount(&ov, c->merged, err);
}

/* /proc and /sys: the kernel's filesystems go on a directory of the image,
 * never where a symlink of the image points (proc over /etc; runc refuses
 * the same).  Both sit right below the root, so plain *at() calls on
 * rootfd stay in it. */
static int open_kernel_fs_dir(int rootfd, const char *name, st_error_t *err)
{
	if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
		return st_error(err, errno, "mkdir `/%s` in the container", name);
	int fd = openat(rootfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `/%s` in the container", name);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return st_error(err, errno, "stat `/%s` in the container", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return st_error(err, 0,
				"`/%s` in the image is %s, but the container's /%s is mounted there: make it an "
				"empty directory in the image (or remove it)",
				name, S_ISLNK(st.st_mode) ? "a symlink" : "not a directory", name);
	}
	return fd;
}

static int mount_proc(int rootfd, st_error_t *err)
{
	_cleanup_close_ int fd = open_kernel_fs_dir(rootfd, "proc", err);
	if (fd < 0)
		return -1;
	char path[32];
	if (mount("proc", rt_fd_path(path, sizeof(path), fd), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return st_error(err, errno, "mount proc on `/proc`");
	return 0;
}

static int mount_sys(struct rt_child *c, int rootfd, st_error_t *err)
{
	_cleanup_close_ int fd = open_kernel_fs_dir(rootfd, "sys", err);
	if (fd < 0)
		return -1;
	/* A sysfs mount shows the network devices of the mounter's netns:
	 * right for a new netns; with the host's, bind the host's /sys. */
	if (c->cfg->net == RT_NET_HOST) {
		_cleanup_close_ int src = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (src < 0)
			return st_error(err, errno, "open `/sys`");
		return rt_bind(src, "", fd, RT_BIND_RO | MOUNT_ATTR_NOEXEC, "`/sys`", err);
	}
	char path[32];
	if (mount("sysfs", rt_fd_path(path, sizeof(path), fd), "sysfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
		return st_error(err, errno, "mount sysfs on `/sys`");
	return 0;
}

static int mask_paths(int rootfd, st_error_t *err)
{
	_cleanup_close_ int null = open("/dev/null", O_PATH | O_CLOEXEC);
	if (null < 0)
		return st_error(err, errno, "open `/dev/null`");
	for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
		_cleanup_close_ int fd = rt_open_in_root(rootfd, masked_paths[i], 0, NULL);
		if (fd < 0)
			continue; /* not on this kernel */
		struct stat st;
		if (fstat(fd, &st) < 0)
			return st_error(err, errno, "stat `%s`", masked_paths[i]);
		char what[64], path[32];
		snprintf(what, sizeof(what), "`/dev/null` on `%s`", masked_paths[i]);
		if (!S_ISDIR(st.st_mode)) {
			/* Not nodev: the node must open, and read as empty. */
			if (rt_bind(null, "", fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, what, err) < 0)
				return -1;
		} else if (mount("tmpfs", rt_fd_path(path, sizeof(path), fd), "tmpfs",
				 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0) {
			return st_error(err, errno, "mount empty tmpfs on `%s`", masked_paths[i]);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
		_cleanup_close_ int fd = rt_open_in_root(rootfd, readonly_paths[i], 0, NULL);
		if (fd < 0)
			continue;
		char what[64];
		snprintf(what, sizeof(what), "`%s` read-only", readonly_paths[i]);
		if (rt_bind(fd, "", fd, RT_BIND_RO, what, err) < 0)
			return -1;
	}
	return 0;
}

static int pivot(const char *merged, st_error_t *err)
{
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching "." then drops it, with no put_old directory to create. */
	if (chdir(merged) < 0)
		return st_error(err, errno, "chdir `%s`", merged);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return st_error(err, errno, "pivot_root `%s`", merged);
	if (umount2(".", MNT_DETACH) < 0)
		return st_error(err, errno, "umount the old root");
	if (chdir("/") < 0)
		return st_error(err, errno, "chdir `/`");
	return 0;
}

int rt_rootfs_setup(struct rt_child *c, st_error_t *err)
{
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return st_error(err, errno, "make `/` rprivate");
	if (mount_overlay(c, err) < 0)
		return -1;
	_cleanup_close_ int rootfd = open(c->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return st_error(err, errno, "open `%s`", c->merged);
	rt_child_step(c, "mount /proc, /dev and /sys");
	if (mount_proc(rootfd, err) < 0 || rt_dev_setup(c, rootfd, err) < 0 || mount_sys(c, rootfd, err) < 0)
		return -1;
	if (rt_mounts_setup(c, rootfd, err) < 0)
		return -1;
	rt_child_step(c, "mask /proc paths, make the working directory, pivot_root");
	if (mask_paths(rootfd, err) < 0)
		return -1;
	if (c->cfg->process.cwd) {
		_cleanup_close_ int fd = rt_open_in_root(rootfd, c->cfg->process.cwd, S_IFDIR, err);
		if (fd < 0)
			return st_error_prefix(err, "working directory");
	}
	return pivot(c->merged, err);
}

int rt_rootfs_finish(struct rt_child *c, st_error_t *err)
{
	if (!c->cfg->read_only)
		return 0;
	/* A bind remount sets the mount's flags to exactly these: keep nodev. */
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV, NULL) < 0)
		return st_error(err, errno, "remount `/` read-only");
	return 0;
}
