/* The container's root filesystem: an overlayfs of the image layers with
 * a writable upper layer on top, and that upper layer's lifetime.
 *
 * Many layers.  mount(2) takes its options in one page, so a
 * "lowerdir=A:B:..." string of store paths (about 90 bytes each) stops
 * near 45 layers.  The new mount API hands the kernel one layer per call,
 * fsconfig(FSCONFIG_SET_STRING, "lowerdir+", path) (Linux 6.8), up to
 * overlayfs's own limit of 500 layers, and a path needs no escaping (','
 * and ':' in it are fine).
 *
 * Older kernels (no fsopen before 5.2, no "lowerdir+" before 6.8) get
 * mount(2) with short names: every layer is opened O_PATH and named by its
 * fd number, relative to /proc/self/fd as the working directory
 * ("lowerdir=3:4:5,upperdir=6,workdir=7"); the kernel's lookup follows
 * /proc/self/fd/3 to the directory we opened.  500 layers take about 2 KB
 * whatever their paths.  containers-storage gets the same effect with an
 * "l/" directory of short symlinks; fds are better here: nothing is
 * written that must be made per start and cleaned after a crash, no path
 * of the caller enters the option string (nothing to escape), and each
 * name is the very directory we opened.  The price is one fd per layer
 * while mounting (500, below the usual soft limit of 1024).
 *
 * The writable layer.  By default upper/ and work/ live in the state
 * directory and go with destroy; the overlay is volatile (no syncs for a
 * layer nobody keeps).  A caller that keeps the layer (a builder's RUN
 * step, a service restarted with its files) names its own upper and work
 * dirs: the overlay is then not volatile (a volatile mount also marks
 * work/ so that the next mount over it is refused), destroy leaves them,
 * and rt_container_sync_upper() makes them durable before a commit. */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

bool rt_overlay_force_legacy;

/* fsconfig() copies at most 255 bytes of a string value. */
#define FC_STRING_MAX 255

static size_t count_layers(const char *const *lower)
{
	size_t n = 0;
	while (lower && lower[n])
		n++;
	return n;
}

int rt_overlay_check(const struct rt_config *cfg, st_error_t *err)
{
	size_t n = count_layers(cfg->lower_dirs);
	if (n > RT_OVERLAY_MAX_LAYERS)
		return st_error(err, E2BIG, "container `%s`: %zu image layers, overlayfs stacks at most %d: "
				"squash the image into fewer layers", cfg->id, n, RT_OVERLAY_MAX_LAYERS);
	if (!cfg->upper_dir != !cfg->work_dir)
		return st_error(err, EINVAL, "container `%s`: upper_dir and work_dir are given together or not at all",
				cfg->id);
	if (cfg->upper_dir && (cfg->upper_dir[0] != '/' || cfg->work_dir[0] != '/'))
		return st_error(err, EINVAL, "container `%s`: upper_dir and work_dir must be absolute paths", cfg->id);
	return 0;
}

/* a is b or below it (both canonical). */
static bool nested(const char *a, const char *b)
{
	size_t n = strlen(b);
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

int rt_overlay_take_upper(const struct rt_config *cfg, int *fd_out, st_error_t *err)
{
	*fd_out = -1;
	if (!cfg->upper_dir)
		return 0;
	struct stat up, wk;
	/* overlayfs checks all of this too, but says why only in the kernel log. */
	_cleanup_close_ int fd = open(cfg->upper_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &up) < 0)
		return st_error(err, errno, "upper dir `%s`", cfg->upper_dir);
	if (stat(cfg->work_dir, &wk) < 0)
		return st_error(err, errno, "work dir `%s`", cfg->work_dir);
	if (!S_ISDIR(wk.st_mode))
		return st_error(err, ENOTDIR, "work dir `%s`", cfg->work_dir);
	if (up.st_dev != wk.st_dev)
		return st_error(err, EXDEV, "upper dir `%s` and work dir `%s` must be on the same filesystem",
				cfg->upper_dir, cfg->work_dir);
	_cleanup_free_ char *ru = realpath(cfg->upper_dir, NULL), *rw = realpath(cfg->work_dir, NULL);
	if (!ru || !rw)
		return st_error(err, errno, "resolve the upper dir `%s` and work dir `%s`", cfg->upper_dir, cfg->work_dir);
	if (nested(ru, rw) || nested(rw, ru))
		return st_error(err, EINVAL, "upper dir `%s` and work dir `%s` must be separate directories, neither "
				"inside the other", cfg->upper_dir, cfg->work_dir);
	/* Two overlays writing one upper corrupt it, and the kernel refuses
	 * that only with index=on: hold a lock while the container exists.
	 * It is ours, not the container's (its processes hold no fd of the
	 * host), so it goes if the starting process dies before destroy. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return st_error(err, errno == EWOULDBLOCK ? EBUSY : errno,
				"upper dir `%s` is in use by another container: destroy that one first", cfg->upper_dir);
	*fd_out = steal_fd(&fd);
	return 0;
}

/* The kernel's own words on a failed fsconfig() are in the fs context's
 * log ("e overlay: ..."): the last error line, for the message. */
static void fc_log(int fc, char *buf, size_t size)
{
	buf[0] = '\0';
	char line[512];
	ssize_t n;
	while ((n = read(fc, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		if (line[0] == 'e' && line[1] == ' ')
			snprintf(buf, size, "%s", line + 2);
	}
}

static int fc_fail(int fc, int e, st_error_t *err, const char *what, const char *path)
{
	char log[512];
	fc_log(fc, log, sizeof(log));
	return st_error(err, e, "overlay: %s%s%s%s%s%s", what, path ? " `" : "", path ? path : "", path ? "`" : "",
			log[0] ? ": " : "", log);
}

/* A path too long for fsconfig() goes as the /proc/self/fd link of an
 * O_PATH fd on it, which the kernel follows to the same directory. */
static int fc_set_path(int fc, const char *key, const char *path)
{
	if (strlen(path) <= FC_STRING_MAX)
		return fsconfig(fc, FSCONFIG_SET_STRING, key, path, 0);
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char link[32];
	int r = fsconfig(fc, FSCONFIG_SET_STRING, key, rt_fd_path(link, sizeof(link), fd), 0);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/* Options that only a layer kept by the caller needs: whatever the
 * host's overlay module defaults to, its upper holds nothing a layer tar
 * cannot say (files, whiteouts, opaque dirs): no redirect xattrs for
 * renamed directories (mv copies instead), no metadata-only copy-ups. */
static const char *const keep_opts[][2] = {{"redirect_dir", "off"}, {"metacopy", "off"}};

/* 1 = the kernel may lack what this needs: try the old way (log[] has
 * the kernel's words, for when that fails too); 2 = the same, but after
 * the superblock was made (the work dir is marked); 0 = mounted; -1 =
 * failed (err set). */
static int mount_fsconfig(const struct rt_overlay *ov, const char *target, char *log, size_t log_size,
			  st_error_t *err)
{
	_cleanup_close_ int fc = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fc < 0)
		return errno == ENOSYS || errno == EPERM ? 1 : st_error(err, errno, "fsopen overlay");
	for (size_t i = 0; ov->lower[i]; i++)
		if (fc_set_path(fc, "lowerdir+", ov->lower[i]) < 0) {
			/* Before 6.8 overlayfs knows no "lowerdir+": EINVAL on
			 * the first layer (6.5-6.7), or at the latest on create
			 * (older kernels pass keys on unparsed to mount(2)). */
			if (errno == EINVAL && i == 0) {
				fc_log(fc, log, log_size);
				return 1;
			}
			char what[48];
			snprintf(what, sizeof(what), "layer %zu", i + 1);
			return fc_fail(fc, errno, err, what, ov->lower[i]);
		}
	if (fc_set_path(fc, "upperdir", ov->upper) < 0)
		return fc_fail(fc, errno, err, "upper dir", ov->upper);
	if (fc_set_path(fc, "workdir", ov->work) < 0)
		return fc_fail(fc, errno, err, "work dir", ov->work);
	if (ov->is_volatile && fsconfig(fc, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
		return fc_fail(fc, errno, err, "volatile", NULL);
	for (size_t i = 0; ov->keep && i < ARRAY_SIZE(keep_opts); i++)
		if (fsconfig(fc, FSCONFIG_SET_STRING, keep_opts[i][0], keep_opts[i][1], 0) < 0)
			return fc_fail(fc, errno, err, keep_opts[i][0], NULL);
	if (fsconfig(fc, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		if (errno == EINVAL) {
			/* An old kernel's unknown option, or bad layers:
			 * the old way tells which. */
			fc_log(fc, log, log_size);
			return 1;
		}
		return fc_fail(fc, errno, err, "create", NULL);
	}
	/* nodev: a device node in an image (or made in the container) never
	 * opens; the container's devices live on the /dev tmpfs. */
	_cleanup_close_ int mnt = fsmount(fc, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
	/* ENOSYS past fsopen: a filter or a tracer (valgrind) that knows
	 * only part of the new API; nothing is mounted yet, so the old way
	 * is still open. */
	if (mnt < 0)
		return errno == ENOSYS ? 2 : fc_fail(fc, errno, err, "fsmount", NULL);
	if (move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return errno == ENOSYS ? 2 : st_error(err, errno, "overlay: move_mount on `%s`", target);
	return 0;
}

static int mount_legacy(const struct rt_overlay *ov, const char *target, st_error_t *err)
{
	size_t n = count_layers(ov->lower);
	int *fds = xcalloc(n + 2, sizeof(int));
	for (size_t i = 0; i < n + 2; i++)
		fds[i] = -1;
	struct strbuf opts = {0};
	int cwd = -1, ret = -1;
	char num[16];
	strbuf_adds(&opts, "lowerdir=");
	for (size_t i = 0; i < n + 2; i++) {
		const char *path = i < n ? ov->lower[i] : i == n ? ov->upper : ov->work;
		fds[i] = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0) {
			st_error(err, errno, "overlay: open %s `%s`", i < n ? "layer" : i == n ? "upper dir" : "work dir",
				 path);
			goto out;
		}
		snprintf(num, sizeof(num), "%d", fds[i]);
		strbuf_adds(&opts, i == 0 ? "" : i < n ? ":" : i == n ? ",upperdir=" : ",workdir=");
		strbuf_adds(&opts, num);
	}
	if (ov->is_volatile)
		strbuf_adds(&opts, ",volatile");
	for (size_t i = 0; ov->keep && i < ARRAY_SIZE(keep_opts); i++) {
		char kv[32];
		snprintf(kv, sizeof(kv), ",%s=%s", keep_opts[i][0], keep_opts[i][1]);
		strbuf_adds(&opts, kv);
	}
	/* Cannot happen with at most 500 layers of short fd numbers, but
	 * mount(2) would cut the options silently. */
	if (opts.n >= 4096) {
		st_error(err, E2BIG, "overlay options longer than a page (%zu bytes for %zu layers)", opts.n, n);
		goto out;
	}
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir("/proc/self/fd") < 0) {
		st_error(err, errno, "chdir `/proc/self/fd`");
		goto out;
	}
	ret = mount("overlay", target, "overlay", MS_NODEV, opts.s); /* nodev: as above */
	int e = errno;
	if (fchdir(cwd) < 0 && ret == 0) {
		ret = st_error(err, errno, "chdir back from `/proc/self/fd`");
		goto out;
	}
	if (ret < 0)
		st_error(err, e, "mount overlay on `%s` (%zu layers, %s)", target, n, opts.s);
out:
	if (cwd >= 0)
		close(cwd);
	for (size_t i = 0; i < n + 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(opts.s);
	return ret < 0 ? -1 : 0;
}

int rt_overlay_mount(const struct rt_overlay *ov, const char *target, st_error_t *err)
{
	char log[512] = "";
	if (!rt_overlay_force_legacy) {
		int r = mount_fsconfig(ov, target, log, sizeof(log), err);
		if (r <= 0)
			return r;
		/* A volatile superblock marks its work dir (work/incompat/volatile
		 * below the one we gave), which mount(2) then refuses; the dir is
		 * ours and unused now, and overlayfs makes it again. */
		_cleanup_free_ char *mark = xasprintf("%s/work", ov->work);
		if (r == 2 && ov->is_volatile && fs_remove_tree(mark, err) < 0)
			return -1;
	}
	if (mount_legacy(ov, target, err) == 0)
		return 0;
	if (err && *err && (*err)->status == EINVAL) {
		/* mount(2) says only EINVAL; the new API may have said why,
		 * else overlayfs said it in the kernel log. */
		st_error_free(err);
		return st_error(err, EINVAL, "mount overlay on `%s`: %s", target,
				log[0] ? log : "overlayfs refused the layers (why is in the kernel log: dmesg | grep overlay)");
	}
	return -1;
}

int rt_container_sync_upper(struct rt_container *ct, st_error_t *err)
{
	_cleanup_close_ int own = -1;
	int fd = ct->upper_fd;
	if (fd < 0) {
		_cleanup_free_ char *upper = xasprintf("%s/upper", ct->state_dir);
		fd = own = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return st_error(err, errno, "container `%s`: open `%s`", ct->id, upper);
	}
	if (syncfs(fd) < 0)
		return st_error(err, errno, "container `%s`: syncfs of the upper dir", ct->id);
	return 0;
}
