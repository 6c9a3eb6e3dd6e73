#include "builder/run.h"
#include "builder/mount_points.h"
#include "runtime/container.h"
#include "supervisor/ctconf.h"
#include "supervisor/stale.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE 65536

/* Output split into lines for the caller; an over-long line is cut. */
struct lines {
	char buf[MAX_LINE];
	size_t n;
};

static void lines_feed(struct lines *l, const struct build_run *r, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' || l->n == sizeof(l->buf)) {
			if (r->output)
				r->output(r->output_data, l->buf, l->n);
			l->n = 0;
			if (data[i] == '\n')
				continue;
		}
		l->buf[l->n++] = data[i];
	}
}

static void lines_flush(struct lines *l, const struct build_run *r)
{
	if (l->n && r->output)
		r->output(r->output_data, l->buf, l->n);
	l->n = 0;
}

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* Relay output until the container's first process exited and every
 * writer of the pipe is gone; a stop signal kills the container. */
static int relay(struct rt_container *ct, int out_fd, const struct build_run *r, struct rt_exit *st,
		 st_error_t *err)
{
	struct lines *lp = xmalloc(sizeof(*lp)); /* 64 KiB: not on a worker thread's stack */
	lp->n = 0;
	bool exited = false, eof = false, killed = false;
	char buf[16384];
	int rc = 0;
	while (!exited || !eof) {
		if (st_interrupted() && !killed) {
			rt_container_kill(ct, SIGKILL, NULL);
			killed = true;
		}
		struct pollfd p[2] = {{.fd = eof ? -1 : out_fd, .events = POLLIN},
				      {.fd = exited ? -1 : rt_container_pidfd(ct), .events = POLLIN}};
		int n = poll(p, 2, 100);
		if (n < 0 && errno != EINTR) {
			rc = st_error(err, errno, "poll the build container");
			break;
		}
		if (!eof && n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = read(out_fd, buf, sizeof(buf));
			if (got > 0)
				lines_feed(lp, r, buf, (size_t)got);
			else if (got == 0 || (errno != EINTR && errno != EAGAIN))
				eof = true;
		}
		if (!exited) {
			int w = rt_container_try_wait(ct, st, err);
			if (w < 0) {
				rc = -1;
				break;
			}
			exited = w == 1;
		}
	}
	lines_flush(lp, r);
	free(lp);
	return rc;
}

/* An empty file the runtime made as a secret's mount point goes; the
 * path is taken in the upper dir without following a symlink the step
 * may have put there. */
static void remove_mount_points(const char *upper, const struct strv *targets)
{
	for (size_t i = 0; targets && i < targets->n; i++) {
		const char *t = targets->v[i];
		while (*t == '/')
			t++;
		_cleanup_free_ char *parent = xstrdup(t);
		char *slash = strrchr(parent, '/');
		const char *name = slash ? slash + 1 : parent;
		if (slash)
			*slash = '\0';
		_cleanup_close_ int root = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct open_how how = {
			.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		_cleanup_close_ int dfd = root < 0 ? -1
						   : (int)syscall(SYS_openat2, root, slash ? parent : ".", &how, sizeof(how));
		if (!slash)
			name = t;
		struct stat st;
		if (dfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			unlinkat(dfd, name, 0);
	}
}

/* The mount points to take out of the layer (r->remove, r->made) where
 * the runtime put them: a target resolves in the root through the image's
 * own symlinks (/run/secrets -> /elsewhere), so its mount point may be at
 * another path than the target names. */
static int landed_targets(const struct rt_container *ct, const struct build_run *r, struct strv *removed,
			  struct strv *made, st_error_t *err)
{
	struct strv at = {0};
	if (rt_container_mount_points(ct, &at, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_mounts; i++) {
		const char *t = r->mounts[i].target;
		const char *real = i < at.n && at.v[i][0] ? at.v[i] : t;
		if (r->remove && strv_contains(r->remove, t))
			strv_push(removed, real);
		if (r->made && strv_contains(r->made, t))
			strv_push(made, real);
	}
	strv_free(&at);
	return 0;
}

static char *container_id(void)
{
	unsigned char rnd[6] = {0};
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd[0] = (unsigned char)getpid();
	return xasprintf("build-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
}

int build_run_step(const struct build_run *r, char **layer_id, int *exit_code, st_error_t *err)
{
	*layer_id = NULL;
	*exit_code = -1;
	_cleanup_free_ char *work = NULL, *id = container_id(), *upper = NULL, *wdir = NULL;
	_cleanup_free_ char *run_dir = sup_project_run_dir(r->paths, r->stack);
	_cleanup_free_ char *state = xasprintf("%s/%s", run_dir, id);
	_cleanup_free_ char *seccomp_cache = xasprintf("%s/cache/seccomp", r->paths->root);
	_cleanup_close_ int work_lock = -1;
	int ct_lock = -1, pipe_fds[2] = {-1, -1}, null_fd = -1, rc = -1;
	struct rt_container *ct = NULL;
	struct strv lowers = {0}, removed = {0}, made = {0};

	if (r->layers->n > 500)
		return st_error(err, E2BIG, "the image has %zu layers; a container can stack at most 500", r->layers->n);
	/* The upper dir lives in the store's tmp/, locked while we use it:
	 * a killed build leaves it to the next sweep, never to a layer. */
	if (img_tmp_make(r->store, "build", &work, &work_lock, err) < 0)
		goto out;
	upper = xasprintf("%s/upper", work);
	wdir = xasprintf("%s/work", work);
	if (mkdir(upper, 0755) < 0 || mkdir(wdir, 0700) < 0) {
		st_error(err, errno, "mkdir in `%s`", work);
		goto out;
	}
	for (size_t i = r->layers->n; i-- > 0;)
		strv_push_take(&lowers, img_layer_path(r->store, r->layers->v[i]));
	if (sup_lock_take(r->paths, r->stack, id, &ct_lock, err) < 0)
		goto out;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0 || (null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		st_error(err, errno, "pipe");
		goto out;
	}
	static const char *const no_layers[] = {NULL};
	struct rt_config cfg;
	rt_config_init(&cfg);
	cfg.id = id;
	cfg.state_dir = state;
	cfg.lower_dirs = lowers.n ? (const char *const *)lowers.v : no_layers;
	cfg.upper_dir = upper;
	cfg.work_dir = wdir;
	cfg.net = r->network_none ? RT_NET_NONE : RT_NET_HOST;
	cfg.mounts = r->mounts;
	cfg.n_mounts = r->n_mounts;
	cfg.report_mount_points = true;
	cfg.process.argv = r->argv;
	cfg.process.env = r->env;
	cfg.process.cwd = r->cwd;
	cfg.process.user = r->user;
	cfg.process.stdio = RT_STDIO_FDS;
	cfg.process.fds[0] = null_fd;
	cfg.process.fds[1] = pipe_fds[1];
	cfg.process.fds[2] = pipe_fds[1];
	cfg.seccomp_cache_dir = seccomp_cache;
	cfg.cgroup_parent = r->paths->cgroup_parent;
	/* A killed `stack build` takes its build container along. */
	cfg.die_with_parent = true;
	if (st_interrupted()) {
		st_error(err, EINTR, "stopped");
		goto out;
	}
	if (rt_container_start(&cfg, &ct, err) < 0) {
		if (st_error_kind(*err) == ST_ERR_NOT_FOUND)
			*exit_code = 127;
		else if (st_error_kind(*err) == ST_ERR_NOT_EXECUTABLE)
			*exit_code = 126;
		goto out;
	}
	close(pipe_fds[1]);
	pipe_fds[1] = -1;
	struct rt_exit st = {0};
	if (relay(ct, pipe_fds[0], r, &st, err) < 0)
		goto out;
	if (st_interrupted()) {
		char sig_name[32];
		st_error(err, EINTR, "stopped by %s", st_signal_name(st_interrupted(), sig_name, sizeof(sig_name)));
		goto out;
	}
	if (st.exit_code != 0) {
		*exit_code = st.exit_code;
		if (st.oom_killed)
			st_error(err, 0, "killed by the kernel's OOM killer (exit status 137)");
		else if (st.signal)
			st_error(err, 0, "killed by signal %d (exit status %d)", st.signal, st.exit_code);
		else
			st_error(err, 0, "exit status %d", st.exit_code);
		goto out;
	}
	/* What it wrote is on disk before it becomes a layer. */
	if (rt_container_sync_upper(ct, err) < 0)
		goto out;
	if (landed_targets(ct, r, &removed, &made, err) < 0)
		goto out;
	if (rt_container_destroy(ct, err) < 0) {
		ct = NULL;
		goto out;
	}
	ct = NULL;
	remove_mount_points(upper, &removed);
	build_mount_points_prune(upper, &lowers, &made);
	if (!dir_is_empty(upper) && img_layer_commit_dir(r->store, upper, layer_id, err) < 0)
		goto out;
	rc = 0;
out:
	if (ct) {
		st_error_t derr = NULL;
		if (rt_container_destroy(ct, &derr) < 0 && rc == 0)
			rc = -1, *err = derr, derr = NULL;
		st_error_free(&derr);
	}
	if (ct_lock >= 0)
		sup_lock_release(r->paths, r->stack, id, ct_lock);
	if (pipe_fds[0] >= 0)
		close(pipe_fds[0]);
	if (pipe_fds[1] >= 0)
		close(pipe_fds[1]);
	if (null_fd >= 0)
		close(null_fd);
	/* Removed while still locked: a sweep cannot take it meanwhile. */
	if (work)
		fs_remove_tree(work, NULL);
	strv_free(&lowers);
	strv_free(&removed);
	strv_free(&made);
	return rc;
}
