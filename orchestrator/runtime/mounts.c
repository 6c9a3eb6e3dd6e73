/* The config's mounts (binds and tmpfs) and the generated /etc files.
 *
 * Binds use the new mount API: open_tree(OPEN_TREE_CLONE) detaches a copy
 * of the source, mount_setattr() makes it read-only recursively (a plain
 * MS_REMOUNT|MS_BIND only changes the top mount and, given a
 * /proc/self/fd path, would hit the mount *under* the new one), and
 * move_mount() attaches it onto the target fd we resolved in the root. */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Without the new mount API (ENOSYS: kernels before 5.2, or 5.12 for
 * mount_setattr; valgrind): mount(2) onto the target's fd path (a magic
 * link: the exact inode we resolved), then a remount for the attributes
 * through the target's path, which has to cross the new mount and so must
 * be a path, not the fd.  That path is the target's canonical one, read
 * back from the fd: no symlink in it, and nothing runs in the container
 * yet that could change the rootfs under it.  With attributes the bind is
 * not recursive: a remount only changes the top mount, and a submount
 * left out cannot be left writable. */
static int bind_legacy(int src_dirfd, const char *src_path, int target_fd, unsigned attr, const char *what,
		       st_error_t *err)
{
	char src[4096], dst[64], canon[4096];
	if (src_path[0])
		snprintf(src, sizeof(src), "/proc/self/fd/%d/%s", src_dirfd, src_path);
	else
		rt_fd_path(src, sizeof(src), src_dirfd);
	rt_fd_path(dst, sizeof(dst), target_fd);
	if (mount(src, dst, NULL, MS_BIND | (attr ? 0 : MS_REC), NULL) < 0)
		return st_error(err, errno, "bind %s: mount", what);
	if (!attr)
		return 0;
	ssize_t n = readlink(dst, canon, sizeof(canon) - 1);
	if (n < 0 || n == (ssize_t)sizeof(canon) - 1)
		return st_error(err, n < 0 ? errno : ENAMETOOLONG, "bind %s: readlink `%s`", what, dst);
	canon[n] = '\0';
	unsigned long fl = MS_REMOUNT | MS_BIND | (attr & MOUNT_ATTR_RDONLY ? MS_RDONLY : 0) |
			   (attr & MOUNT_ATTR_NOSUID ? MS_NOSUID : 0) | (attr & MOUNT_ATTR_NODEV ? MS_NODEV : 0) |
			   (attr & MOUNT_ATTR_NOEXEC ? MS_NOEXEC : 0);
	if (mount(NULL, canon, NULL, fl, NULL) < 0)
		return st_error(err, errno, "bind %s: remount `%s` (read-only, nosuid ...)", what, canon);
	return 0;
}

int rt_bind(int src_dirfd, const char *src_path, int target_fd, unsigned attr, const char *what, st_error_t *err)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
	if (!src_path[0])
		flags |= AT_EMPTY_PATH;
	_cleanup_close_ int tfd = open_tree(src_dirfd, src_path, flags);
	if (tfd < 0 && errno == ENOSYS)
		return bind_legacy(src_dirfd, src_path, target_fd, attr, what, err);
	if (tfd < 0)
		return st_error(err, errno, "bind %s: open_tree", what);
	if (attr) {
		struct mount_attr ma = {.attr_set = attr};
		if (mount_setattr(tfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) < 0) {
			if (errno == ENOSYS) /* the copy is not attached yet: nothing to undo */
				return bind_legacy(src_dirfd, src_path, target_fd, attr, what, err);
			return st_error(err, errno, "bind %s: mount_setattr read-only", what);
		}
	}
	if (move_mount(tfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return st_error(err, errno, "bind %s: move_mount", what);
	return 0;
}

/* Where the mount point `tfd` is in the root (`root`: rootfd's path in
 * this mount namespace), added to *rep with its NUL; "" when unknown. */
static void report_target(struct strbuf *rep, const char *root, int tfd)
{
	if (!rep)
		return;
	char fdp[32], buf[PATH_MAX];
	ssize_t n = readlink(rt_fd_path(fdp, sizeof(fdp), tfd), buf, sizeof(buf) - 1);
	size_t rn = strlen(root);
	if (n > 0 && *root) {
		buf[n] = '\0';
		if (!strncmp(buf, root, rn) && buf[rn] == '/')
			strbuf_adds(rep, buf + rn);
	}
	strbuf_addc(rep, '\0');
}

static int bind_one(int rootfd, const struct rt_mount *m, struct strbuf *rep, const char *root, st_error_t *err)
{
	_cleanup_free_ char *what = xasprintf("`%s` on `%s`", m->source, m->target);
	_cleanup_close_ int sfd = open(m->source, O_PATH | O_CLOEXEC);
	if (sfd < 0)
		return st_error(err, errno, "bind %s: source `%s`", what, m->source);
	struct stat st;
	if (fstat(sfd, &st) < 0)
		return st_error(err, errno, "bind %s: stat `%s`", what, m->source);
	_cleanup_close_ int tfd = rt_open_in_root(rootfd, m->target, S_ISDIR(st.st_mode) ? S_IFDIR : S_IFREG, err);
	if (tfd < 0)
		return st_error_prefix(err, "bind %s", what);
	report_target(rep, root, tfd);
	/* nodev always: a host directory's device nodes (or nodes the
	 * container makes in a volume) must not open in the container. */
	return rt_bind(sfd, "", tfd, m->read_only ? RT_BIND_RO : MOUNT_ATTR_NODEV, what, err);
}

static int tmpfs_one(int rootfd, const struct rt_mount *m, struct strbuf *rep, const char *root, st_error_t *err)
{
	_cleanup_close_ int tfd = rt_open_in_root(rootfd, m->target, S_IFDIR, err);
	if (tfd < 0)
		return st_error_prefix(err, "tmpfs on `%s`", m->target);
	report_target(rep, root, tfd);
	char opts[96], path[32];
	int n = snprintf(opts, sizeof(opts), "mode=%o", m->tmpfs_mode ? (unsigned)m->tmpfs_mode : 01777u);
	if (m->tmpfs_size)
		snprintf(opts + n, sizeof(opts) - (size_t)n, ",size=%" PRIu64, m->tmpfs_size);
	unsigned long fl = MS_NOSUID | MS_NODEV | (m->read_only ? MS_RDONLY : 0);
	if (mount("tmpfs", rt_fd_path(path, sizeof(path), tfd), "tmpfs", fl, opts) < 0)
		return st_error(err, errno, "mount tmpfs on `%s` (%s)", m->target, opts);
	return 0;
}

static bool user_mounts_target(const struct rt_config *cfg, const char *target)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (strcmp(cfg->mounts[i].target, target) == 0)
			return true;
	return false;
}

int rt_mounts_setup(struct rt_child *c, int rootfd, st_error_t *err)
{
	const struct rt_config *cfg = c->cfg;
	/* /etc/hosts, hostname, resolv.conf: generated in the state dir by the
	 * parent, bound read-write like Docker's (tools edit /etc/hosts), unless
	 * the config mounts its own. */
	static const char *const etc[][2] = {
		{"hosts", "/etc/hosts"}, {"hostname", "/etc/hostname"}, {"resolv.conf", "/etc/resolv.conf"},
	};
	_cleanup_close_ int etcfd = open(c->etc_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (etcfd < 0)
		return st_error(err, errno, "open `%s`", c->etc_dir);
	for (size_t i = 0; i < ARRAY_SIZE(etc); i++) {
		if (user_mounts_target(cfg, etc[i][1]))
			continue;
		_cleanup_close_ int tfd = rt_open_in_root(rootfd, etc[i][1], S_IFREG, err);
		if (tfd < 0)
			return st_error_prefix(err, "bind the generated `%s`", etc[i][1]);
		char what[64];
		snprintf(what, sizeof(what), "`%s`", etc[i][1]);
		if (rt_bind(etcfd, etc[i][0], tfd, 0, what, err) < 0)
			return -1;
	}
	struct strbuf rep = {0};
	char root[PATH_MAX] = "", fdp[32];
	if (cfg->report_mount_points) {
		ssize_t n = readlink(rt_fd_path(fdp, sizeof(fdp), rootfd), root, sizeof(root) - 1);
		root[n > 0 ? n : 0] = '\0';
	}
	struct strbuf *rp = cfg->report_mount_points ? &rep : NULL;
	int r = 0;
	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++) {
		const struct rt_mount *m = &cfg->mounts[i];
		if (m->type == RT_MOUNT_TMPFS)
			rt_child_step(c, "mount a tmpfs on `%s`", m->target);
		else
			rt_child_step(c, "bind `%s` on `%s`", m->source, m->target);
		r = m->type == RT_MOUNT_TMPFS ? tmpfs_one(rootfd, m, rp, root, err) : bind_one(rootfd, m, rp, root, err);
	}
	if (r == 0 && rp) {
		_cleanup_free_ char *path = xasprintf("%s/mount-points", c->etc_dir);
		r = fs_write_file_atomic_volatile(path, rep.s ? rep.s : "", rep.n, 0600, err);
	}
	free(rep.s);
	return r;
}

int rt_container_mount_points(const struct rt_container *ct, struct strv *out, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/mount-points", ct->state_dir);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, 0, &text, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		strv_push(out, text + i);
	return 0;
}
