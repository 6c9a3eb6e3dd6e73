/* The container's /sys/fs/cgroup, as Docker mounts it: its own cgroup,
 * read-only, namespaced.
 *
 * The parent plans it from the host's layout before the fork
 * (rt_cgroup_fs_plan): one cgroup file system per hierarchy, named as
 * the host names its mount point ("cpu,cpuacct", "systemd", "unified"),
 * with a symlink per controller of a co-mounted one ("cpu" ->
 * "cpu,cpuacct").  The container process mounts it (rt_cgroup_fs_mount)
 * after it joined its cgroup and unshared the cgroup namespace: a cgroup
 * file system mounted in a cgroup namespace shows the subtree rooted at
 * the mounter's cgroup, so the container sees its own cgroup as the root
 * and nothing of the host's other cgroups (the start asks for a cgroup
 * in every hierarchy: every_hierarchy in cgroup.h).  A cgroup namespace
 * may mount only hierarchies that exist, with exactly their controllers
 * and name, hence the v1 mount data taken from the host's super options.
 *
 * Every mount is read-only from birth (MS_RDONLY on the new mount; the
 * host's superblock is shared and stays as it is), and made onto a fd
 * resolved in the container's root.  A v2-only host gets a cgroup2
 * mount at /sys/fs/cgroup itself; others a tmpfs there holding one
 * directory per hierarchy, made read-only once filled. */
#include "runtime/cgroup_internal.h"
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define RO_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

static bool good_name(const char *s)
{
	return s[0] && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) < 256;
}

static bool plan_has(const struct rt_cgroup_fs *fs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(fs[i].dir, name) == 0 || strv_contains(&fs[i].links, name))
			return true;
	}
	return false;
}

int rt_cgroup_fs_plan(const struct rt_cgroup_opts *opts, struct rt_cgroup_fs **out, size_t *n, st_error_t *err)
{
	*out = NULL;
	*n = 0;
	struct cg_host host;
	if (cg_host_detect(opts, &host, err) < 0)
		return -1;
	struct rt_cgroup_fs *fs = xcalloc(host.n ? host.n : 1, sizeof(*fs));
	size_t k = 0;
	bool v2_only = host.n == 1 && host.h[0].v2;
	for (size_t i = 0; i < host.n; i++) {
		const struct cg_hier *h = &host.h[i];
		const char *base = strrchr(h->mount, '/');
		base = base ? base + 1 : h->mount;
		if (!v2_only && (!good_name(base) || plan_has(fs, k, base)))
			continue; /* a mount point we cannot name twice or at all */
		struct rt_cgroup_fs *f = &fs[k++];
		f->fstype = h->v2 ? "cgroup2" : "cgroup";
		f->data = xstrdup(h->data);
		f->dir = xstrdup(v2_only ? "" : base);
		if (h->v2 || !strchr(h->data, ','))
			continue;
		_cleanup_free_ char *copy = xstrdup(h->data);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcmp(t, "none") != 0 && strncmp(t, "name=", 5) != 0 && strcmp(t, base) != 0 &&
			    good_name(t) && !plan_has(fs, k, t))
				strv_push(&f->links, t);
	}
	cg_host_free(&host);
	*out = fs;
	*n = k;
	return 0;
}

void rt_cgroup_fs_free(struct rt_cgroup_fs *fs, size_t n)
{
	for (size_t i = 0; fs && i < n; i++) {
		free(fs[i].data);
		free(fs[i].dir);
		strv_free(&fs[i].links);
	}
	free(fs);
}

static int mount_cgroup(const struct rt_cgroup_fs *f, int dirfd, st_error_t *err)
{
	char path[32];
	if (mount(f->fstype, rt_fd_path(path, sizeof(path), dirfd), f->fstype, RO_FLAGS, f->data[0] ? f->data : NULL) < 0)
		return st_error(err, errno, "mount %s (%s) read-only on `/sys/fs/cgroup/%s`", f->fstype,
				f->data[0] ? f->data : "-", f->dir);
	return 0;
}

int rt_cgroup_fs_mount(struct rt_child *c, st_error_t *err)
{
	size_t n = c->n_cgroup_fs;
	const struct rt_cgroup_fs *fs = c->cgroup_fs;
	if (n == 0)
		return 0;
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return st_error(err, errno, "open the container's `/`");
	/* /sys is the kernel's (sysfs, or the host's /sys bound read-only):
	 * an image cannot redirect it, and resolving in the root keeps it so. */
	_cleanup_close_ int under = rt_open_in_root(rootfd, "/sys/fs/cgroup", 0, err);
	if (under < 0)
		return st_error_prefix(err, "mount the container's cgroups");
	if (n == 1 && !fs[0].dir[0])
		return mount_cgroup(&fs[0], under, err);
	char path[32];
	if (mount("tmpfs", rt_fd_path(path, sizeof(path), under), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=755,size=64k") < 0)
		return st_error(err, errno, "mount a tmpfs on `/sys/fs/cgroup`");
	/* Opened after the mount: the tmpfs's root, not what it covers. */
	_cleanup_close_ int top = rt_open_in_root(rootfd, "/sys/fs/cgroup", 0, err);
	if (top < 0)
		return st_error_prefix(err, "mount the container's cgroups");
	_cleanup_close_ int topdir = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (topdir < 0)
		return st_error(err, errno, "open the tmpfs on `/sys/fs/cgroup`");
	for (size_t i = 0; i < n; i++) {
		const struct rt_cgroup_fs *f = &fs[i];
		if (mkdirat(topdir, f->dir, 0555) < 0)
			return st_error(err, errno, "mkdir `/sys/fs/cgroup/%s`", f->dir);
		_cleanup_close_ int d = openat(topdir, f->dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0)
			return st_error(err, errno, "open `/sys/fs/cgroup/%s`", f->dir);
		if (mount_cgroup(f, d, err) < 0)
			return -1;
		for (size_t j = 0; j < f->links.n; j++)
			if (symlinkat(f->dir, topdir, f->links.v[j]) < 0)
				return st_error(err, errno, "symlink `/sys/fs/cgroup/%s` -> `%s`", f->links.v[j], f->dir);
	}
	/* Read-only once filled (the fd names the tmpfs mount itself). */
	if (mount(NULL, rt_fd_path(path, sizeof(path), top), NULL, MS_REMOUNT | MS_BIND | RO_FLAGS, NULL) < 0)
		return st_error(err, errno, "remount the tmpfs on `/sys/fs/cgroup` read-only");
	return 0;
}
