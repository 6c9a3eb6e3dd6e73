/* /dev: a small tmpfs with the usual nodes, devpts, shm, mqueue, links,
 * and the host devices the config passes through.
 *
 * Every path below /dev is reached from the fd of the new tmpfs itself
 * (fsmount() hands it out), never by a host-side path: an image whose /dev
 * is a symlink (say to /tmp/x, which the host also has) gets its tmpfs on
 * the place the symlink names inside the root, and nothing is made on the
 * host.  The tmpfs is ours and empty, so plain *at() calls below it with
 * O_NOFOLLOW are safe.
 *
 * Nodes are made with mknod(): we run as real root with CAP_MKNOD (no user
 * namespace), and one mknodat() is cheaper than creating a file and
 * bind-mounting the host's node over it, and adds no mount to tear down.
 * Where mknod is refused (EPERM: a future rootless mode, or a host that
 * drops CAP_MKNOD) we fall back to binding the host's node.
 *
 * Opening a node is what the device allow-list of the container's cgroup
 * decides (cgroup_devices.c): rt_dev_prepare() gives it Docker's default
 * rules plus one per passed-through device. */
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

/* The directories that get a file system of their own below /dev: a
 * passed-through device cannot go there. */
static const char *const sub_mounts[] = {"pts", "shm", "mqueue"};

/* ---- parent: the host devices of cfg->devices ---- */

static bool valid_target(const char *t)
{
	if (strncmp(t, "/dev/", 5) != 0 || strlen(t) >= 256)
		return false;
	const char *s = t + 5;
	size_t first = strcspn(s, "/");
	for (size_t i = 0; i < ARRAY_SIZE(sub_mounts); i++)
		if (first == strlen(sub_mounts[i]) && strncmp(s, sub_mounts[i], first) == 0)
			return false;
	for (;;) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}

int rt_dev_prepare(const struct rt_config *cfg, struct rt_dev_plan *plan, st_error_t *err)
{
	memset(plan, 0, sizeof(*plan));
	plan->rules = xcalloc(rt_n_device_rules_default + cfg->n_devices, sizeof(*plan->rules));
	memcpy(plan->rules, rt_device_rules_default, rt_n_device_rules_default * sizeof(*plan->rules));
	plan->n_rules = rt_n_device_rules_default;
	if (cfg->n_devices)
		plan->nodes = xcalloc(cfg->n_devices, sizeof(*plan->nodes));
	for (size_t i = 0; i < cfg->n_devices; i++) {
		const struct rt_device *d = &cfg->devices[i];
		const char *src = d->source ? d->source : "", *tgt = d->target ? d->target : "";
		if (!valid_target(tgt))
			return st_error(err, EINVAL, "device `%s`: the container path `%s` must be below /dev and "
				       "outside /dev/pts, /dev/shm and /dev/mqueue", src, tgt);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->devices[j].target, tgt) == 0)
				return st_error(err, EEXIST, "device `%s`: `%s` is the target of `%s` already", src,
						tgt, cfg->devices[j].source);
		if (d->access & ~RT_DEV_RWM)
			return st_error(err, EINVAL, "device `%s`: invalid permissions %#x", src, d->access);
		/* stat(), not lstat(): /dev/disk/by-id/... are symlinks. */
		struct stat st;
		if (src[0] != '/')
			return st_error(err, EINVAL, "device `%s`: not an absolute host path", src);
		if (stat(src, &st) < 0)
			return st_error(err, errno, "host device `%s` (for `%s` in the container)", src, tgt);
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return st_error(err, ENODEV, "device `%s` is not a character or block device on this host: "
				       "`devices:` passes device nodes through, use `volumes:` for files and "
				       "directories", src);
		plan->nodes[plan->n_nodes++] = (struct rt_dev_node){
			.target = tgt, .source = src, .mode = st.st_mode & (S_IFMT | 07777), .rdev = st.st_rdev,
			.uid = st.st_uid, .gid = st.st_gid,
		};
		plan->rules[plan->n_rules++] = (struct rt_device_rule){
			.type = S_ISBLK(st.st_mode) ? 'b' : 'c',
			.major = major(st.st_rdev),
			.minor = minor(st.st_rdev),
			.access = d->access ? d->access : RT_DEV_RWM,
		};
	}
	return 0;
}

void rt_dev_plan_free(struct rt_dev_plan *plan)
{
	free(plan->nodes);
	free(plan->rules);
	memset(plan, 0, sizeof(*plan));
}

/* ---- child: the tmpfs and what goes in it ---- */

/* A new file system attached on target_fd, with fsopen()/fsmount() so the
 * mount's root comes back as an fd (*root_fd, when wanted) instead of
 * being looked up again by path.  opts are "key=value" or "flag". */
/* Where the new mount API is missing (ENOSYS: kernels before 5.2, or a
 * tracer such as valgrind 3.19 that does not know it): mount(2) on the
 * target fd's /proc/self/fd name, which is still the place resolved in the
 * root.  The caller looks the mount's root up again (a magic link leads to
 * the covered directory, not to the mount on it). */
static int old_mount(const char *fstype, const char *source, const char *const *opts, unsigned attr,
		     int target_fd, const char *where, st_error_t *err)
{
	static const struct {
		unsigned attr;
		unsigned long flag;
	} flags[] = {{MOUNT_ATTR_RDONLY, MS_RDONLY},	     {MOUNT_ATTR_NOSUID, MS_NOSUID},
		     {MOUNT_ATTR_NODEV, MS_NODEV},	     {MOUNT_ATTR_NOEXEC, MS_NOEXEC},
		     {MOUNT_ATTR_STRICTATIME, MS_STRICTATIME}};
	unsigned long mflags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (attr & flags[i].attr)
			mflags |= flags[i].flag;
	char data[256] = "", path[32];
	for (const char *const *o = opts; o && *o; o++) {
		size_t n = strlen(data);
		snprintf(data + n, sizeof(data) - n, "%s%s", n ? "," : "", *o);
	}
	if (mount(source, rt_fd_path(path, sizeof(path), target_fd), fstype, mflags, data) < 0)
		return st_error(err, errno, "mount %s on `%s`", fstype, where);
	return 0;
}

static int new_mount(const char *fstype, const char *source, const char *const *opts, unsigned attr,
		     int target_fd, int *root_fd, const char *where, st_error_t *err)
{
	_cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0 && errno == ENOSYS)
		return old_mount(fstype, source, opts, attr, target_fd, where, err);
	if (fs < 0)
		return st_error(err, errno, "mount %s on `%s`: fsopen", fstype, where);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return st_error(err, errno, "mount %s on `%s`: source `%s`", fstype, where, source);
	for (const char *const *o = opts; o && *o; o++) {
		char key[32];
		const char *eq = strchr(*o, '=');
		size_t kl = eq ? (size_t)(eq - *o) : strlen(*o);
		snprintf(key, sizeof(key), "%.*s", (int)kl, *o);
		int r = eq ? fsconfig(fs, FSCONFIG_SET_STRING, key, eq + 1, 0) : fsconfig(fs, FSCONFIG_SET_FLAG, key, NULL, 0);
		if (r < 0)
			return st_error(err, errno, "mount %s on `%s`: option `%s`", fstype, where, *o);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return st_error(err, errno, "mount %s on `%s`: create", fstype, where);
	_cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attr);
	if (mnt < 0 && errno == ENOSYS)
		return old_mount(fstype, source, opts, attr, target_fd, where, err);
	if (mnt < 0)
		return st_error(err, errno, "mount %s on `%s`: fsmount", fstype, where);
	if (move_mount(mnt, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		if (errno == ENOSYS) /* nothing attached yet */
			return old_mount(fstype, source, opts, attr, target_fd, where, err);
		return st_error(err, errno, "mount %s on `%s`: move_mount", fstype, where);
	}
	if (root_fd)
		*root_fd = steal_fd(&mnt);
	return 0;
}

/* mknod dirfd/name, or (EPERM) an empty file with the host's node
 * `host` bound over it.  what: "/dev/..." for messages. */
static int make_node(int dirfd, const char *name, mode_t mode, dev_t rdev, const char *host, const char *what,
		     st_error_t *err)
{
	if (mknodat(dirfd, name, mode, rdev) == 0)
		return 0;
	if (errno != EPERM)
		return st_error(err, errno, "mknod `%s`", what);
	int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
	if (fd < 0)
		return st_error(err, errno, "create `%s`", what);
	close(fd);
	_cleanup_close_ int tfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return st_error(err, errno, "open `%s`", what);
	_cleanup_free_ char *desc = xasprintf("`%s` on `%s`", host, what);
	return rt_bind(AT_FDCWD, host, tfd, 0, desc, err);
}

/* The directory that holds `rel` (a path below /dev), made as needed
 * below devfd; its last component in *base (points into rel). */
static int parent_dir(int devfd, const char *rel, const char **base, st_error_t *err)
{
	int dfd = fcntl(devfd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return st_error(err, errno, "dup the /dev fd");
	const char *s = rel;
	for (;;) {
		size_t n = strcspn(s, "/");
		if (!s[n]) {
			*base = s;
			return dfd;
		}
		char comp[256];
		snprintf(comp, sizeof(comp), "%.*s", (int)n, s);
		int next = -1;
		if (mkdirat(dfd, comp, 0755) == 0 || errno == EEXIST)
			next = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(dfd);
		if (next < 0)
			return st_error(err, e, "mkdir `/dev/%.*s`", (int)(s - rel + n), rel);
		dfd = next;
		s += n + 1;
	}
}

static int make_passthrough(int devfd, const struct rt_dev_node *d, st_error_t *err)
{
	const char *base = NULL;
	_cleanup_close_ int dfd = parent_dir(devfd, d->target + strlen("/dev/"), &base, err);
	if (dfd < 0)
		return -1;
	/* The host's node wins over one of our defaults of the same name
	 * (a host /dev/null passed as /dev/null). */
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
		return st_error(err, errno, "device `%s`: replace `%s`", d->source, d->target);
	if (make_node(dfd, base, d->mode, d->rdev, d->source, d->target, err) < 0)
		return st_error_prefix(err, "device `%s`", d->source);
	if (fchownat(dfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return st_error(err, errno, "device `%s`: chown `%s` to %u:%u", d->source, d->target,
				(unsigned)d->uid, (unsigned)d->gid);
	return 0;
}

static int mount_sub(int devfd, const char *name, const char *fstype, const char *source, const char *const *opts,
		     unsigned attr, st_error_t *err)
{
	char where[32];
	snprintf(where, sizeof(where), "/dev/%s", name);
	if (mkdirat(devfd, name, 0755) < 0)
		return st_error(err, errno, "mkdir `%s`", where);
	_cleanup_close_ int fd = openat(devfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", where);
	return new_mount(fstype, source, opts, attr, fd, NULL, where, err);
}

int rt_dev_setup(struct rt_child *c, int rootfd, st_error_t *err)
{
	_cleanup_close_ int target = rt_open_in_root(rootfd, "/dev", S_IFDIR, err);
	if (target < 0)
		return -1;
	/* Not nodev: the nodes below must work (the one mount that is not). */
	static const char *const dev_opts[] = {"mode=755", "size=65536k", NULL};
	_cleanup_close_ int devfd = -1;
	if (new_mount("tmpfs", "tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME, target, &devfd, "/dev",
		      err) < 0)
		return -1;
	if (devfd < 0) {
		/* mount(2) was used: find the tmpfs's root the way the target
		 * was found (nothing else runs in the container yet, so the
		 * path leads where it led), and check that it is the new one. */
		struct stat under, st;
		devfd = rt_open_in_root(rootfd, "/dev", 0, err);
		if (devfd < 0)
			return -1;
		if (fstat(target, &under) < 0 || fstat(devfd, &st) < 0)
			return st_error(err, errno, "stat `/dev`");
		if (st.st_dev == under.st_dev)
			return st_error(err, EXDEV, "the tmpfs on `/dev` is not where `/dev` leads");
	}
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		/* The same path on the host is the node to bind if mknod fails. */
		char path[32];
		snprintf(path, sizeof(path), "/dev/%s", devices[i].name);
		if (make_node(devfd, devices[i].name, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor), path,
			      path, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0)
			return st_error(err, errno, "symlink `/dev/%s`", links[i][0]);

	static const char *const pts_opts[] = {"newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
	static const char *const shm_opts[] = {"mode=1777", "size=65536k", NULL};
	if (mount_sub(devfd, "pts", "devpts", "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err) < 0 ||
	    mount_sub(devfd, "shm", "tmpfs", "shm", shm_opts,
		      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err) < 0 ||
	    mount_sub(devfd, "mqueue", "mqueue", "mqueue", NULL,
		      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err) < 0)
		return -1;
	for (size_t i = 0; c->dev && i < c->dev->n_nodes; i++)
		if (make_passthrough(devfd, &c->dev->nodes[i], err) < 0)
			return -1;
	return 0;
}
