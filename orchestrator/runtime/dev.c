/* /dev: a small tmpfs with the usual nodes, devpts, shm, mqueue, links.
 *
 * Nodes are made with mknod(): we run as real root with CAP_MKNOD (no user
 * namespace), and one mknodat() is cheaper than creating a file and
 * bind-mounting the host's node over it, and adds no mount to tear down.
 * Where mknod is refused (EPERM: a future rootless mode, or a host that
 * drops CAP_MKNOD) we fall back to binding the host's node. */
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
	const char *name;
	unsigned major, minor;
} devices[] = {
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *const links[][2] = {
	{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}, {"core", "/proc/kcore"},
};

static int make_node(int devfd, const char *name, unsigned major, unsigned minor, st_error_t *err)
{
	if (mknodat(devfd, name, S_IFCHR | 0666, makedev(major, minor)) == 0)
		return 0;
	if (errno != EPERM)
		return st_error(err, errno, "mknod `/dev/%s`", name);
	int fd = openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return st_error(err, errno, "create `/dev/%s`", name);
	close(fd);
	_cleanup_close_ int tfd = openat(devfd, name, O_PATH | O_CLOEXEC);
	_cleanup_close_ int hostdev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0 || hostdev < 0)
		return st_error(err, errno, "open `/dev/%s`", name);
	char what[64];
	snprintf(what, sizeof(what), "`/dev/%s`", name);
	return rt_bind(hostdev, name, tfd, 0, what, err);
}

int rt_dev_setup(int rootfd, const char *merged, st_error_t *err)
{
	_cleanup_close_ int target = rt_open_in_root(rootfd, "/dev", S_IFDIR, err);
	if (target < 0)
		return -1;
	char path[32];
	/* No MS_NODEV: the nodes below must work. */
	if (mount("tmpfs", rt_fd_path(path, sizeof(path), target), "tmpfs", MS_NOSUID | MS_STRICTATIME,
		  "mode=755,size=65536k") < 0)
		return st_error(err, errno, "mount tmpfs on `/dev`");
	/* The tmpfs is ours and empty, so plain *at() calls below it are safe. */
	_cleanup_free_ char *dev = xasprintf("%s/dev", merged);
	_cleanup_close_ int devfd = open(dev, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0)
		return st_error(err, errno, "open `%s`", dev);
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (make_node(devfd, devices[i].name, devices[i].major, devices[i].minor, err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0)
			return st_error(err, errno, "symlink `/dev/%s`", links[i][0]);
	static const char *const dirs[] = {"pts", "shm", "mqueue"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdirat(devfd, dirs[i], 0755) < 0)
			return st_error(err, errno, "mkdir `/dev/%s`", dirs[i]);

	_cleanup_free_ char *pts = xasprintf("%s/dev/pts", merged);
	if (mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
		return st_error(err, errno, "mount devpts on `/dev/pts`");
	_cleanup_free_ char *shm = xasprintf("%s/dev/shm", merged);
	if (mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
		return st_error(err, errno, "mount tmpfs on `/dev/shm`");
	_cleanup_free_ char *mq = xasprintf("%s/dev/mqueue", merged);
	if (mount("mqueue", mq, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return st_error(err, errno, "mount mqueue on `/dev/mqueue`");
	return 0;
}
