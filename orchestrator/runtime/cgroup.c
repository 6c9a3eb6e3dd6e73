/* Per-container cgroups: create PARENT/NAME in every hierarchy that serves
 * one of our controllers (plus the cgroup2 tree when it is needed, see
 * skip_v2_dir()), apply limits, move processes in, kill, remove. */
#include "runtime/cgroup_internal.h"
#include "util/mem.h"
#include "util/paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RMDIR_TIMEOUT_MS 2000
#define FREEZE_TIMEOUT_MS 1000
#define KILL_PASSES 100

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A relative cgroup path: no empty, "." or ".." components, no leading /. */
static bool valid_rel(const char *p)
{
	if (!p || !*p || *p == '/')
		return false;
	const char *s = p;
	for (;;) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!*e)
			return true;
		s = e + 1;
	}
}

static char *resolve_parent(const struct rt_cgroup_opts *opts)
{
	const char *p = opts && opts->parent && *opts->parent ? opts->parent : ST_CGROUP_PARENT_DEFAULT;
	while (*p == '/')
		p++;
	char *s = xstrdup(p);
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

const struct strv *rt_cgroup_warnings(const struct rt_cgroup *cg)
{
	return &cg->warnings;
}

const char *rt_cgroup_path(const struct rt_cgroup *cg)
{
	return cg->rel;
}

int rt_cgroup_v2_fd(const struct rt_cgroup *cg)
{
	return cg->v2_fd;
}

bool rt_cgroup_has_v1(const struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->d[i].v2)
			return true;
	return false;
}

struct cg_dir *cg_dir_for(struct rt_cgroup *cg, enum cg_ctrl c)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->d[i].ctrls & CG_BIT(c))
			return &cg->d[i];
	return NULL;
}

struct cg_dir *cg_dir_v2(struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->d[i].v2)
			return &cg->d[i];
	return NULL;
}

void rt_cgroup_free(struct rt_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++)
		free(cg->d[i].path);
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	strv_free(&cg->warnings);
	free(cg->rel);
	free(cg->parent);
	free(cg);
}

static struct rt_cgroup *cg_new(const char *parent, const char *name)
{
	struct rt_cgroup *cg = xzalloc(sizeof(*cg));
	cg->parent = xstrdup(parent);
	cg->rel = xasprintf("%s/%s", parent, name);
	cg->v2_fd = -1;
	return cg;
}

/* ---- processes ---- */

static void collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
	_cleanup_free_ char *text = cg_read(dir, "cgroup.procs");
	for (char *p = text; p && *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0) {
			*pids = xgrow(*pids, cap, *n + 1, sizeof(**pids));
			(*pids)[(*n)++] = (pid_t)v;
		}
		p = end;
		while (*p == '\n')
			p++;
	}
	/* Sub-cgroups the container made itself (delegation, cgroupns). */
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
		collect_pids(sub, pids, n, cap);
	}
	closedir(d);
}

/* Send sig (0: only count) to every process in dir and its sub-cgroups;
 * how many there were in *n.  -1 with errno and the refused pid in *bad
 * when a signal could not be sent (ESRCH, already gone, is fine). */
static int signal_procs(const char *dir, int sig, size_t *n, pid_t *bad)
{
	pid_t *pids = NULL;
	size_t cap = 0;
	*n = 0;
	collect_pids(dir, &pids, n, &cap);
	int r = 0;
	for (size_t i = 0; sig && i < *n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH) {
			*bad = pids[i];
			r = -1;
			break;
		}
	int e = errno;
	free(pids);
	errno = e;
	return r;
}

int rt_cgroup_count_procs(struct rt_cgroup *cg, st_error_t *err)
{
	/* Not pids.current: that counts threads. */
	if (cg->n == 0)
		return st_error(err, ENOENT, "cgroup `%s` has no directory", cg->rel);
	size_t n;
	signal_procs(cg->d[0].path, 0, &n, NULL);
	return (int)n;
}

int rt_cgroup_list_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n, st_error_t *err)
{
	*pids = NULL;
	*n = 0;
	if (cg->n == 0)
		return st_error(err, ENOENT, "cgroup `%s` has no directory", cg->rel);
	/* every process of the container is in the v2 dir when there is one */
	struct cg_dir *v2 = cg_dir_v2(cg);
	size_t cap = 0;
	collect_pids(v2 ? v2->path : cg->d[0].path, pids, n, &cap);
	return 0;
}

int rt_cgroup_add_pid(struct rt_cgroup *cg, pid_t pid, st_error_t *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++)
		if (cg_write(cg->d[i].path, "cgroup.procs", buf, err) < 0)
			return -1;
	return 0;
}

static bool freezer_set(const char *dir, const char *state)
{
	if (cg_write(dir, "freezer.state", state, NULL) < 0)
		return false;
	for (int waited = 0; waited < FREEZE_TIMEOUT_MS; waited += 5) {
		_cleanup_free_ char *t = cg_read(dir, "freezer.state");
		if (t && strncmp(t, state, strlen(state)) == 0)
			return true;
		sleep_ms(5);
	}
	return false;
}

int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig, st_error_t *err)
{
	if (cg->n == 0)
		return 0;
	struct cg_dir *v2 = cg_dir_v2(cg);
	/* cgroup.kill (5.14+) kills the whole subtree atomically, fork
	 * bombs included.  When there is a v2 dir, every process is in it. */
	if (sig == SIGKILL && v2 && cg_file_exists(v2->path, "cgroup.kill"))
		return cg_write(v2->path, "cgroup.kill", "1", err);
	/* Otherwise freeze (v1 freezer) so nothing forks between reading
	 * cgroup.procs and signalling, and loop until the cgroup is empty.
	 * An empty cgroup (every destroy after the container's init exited)
	 * has nothing that could fork: no freeze/thaw round trip then. */
	const char *dir = v2 ? v2->path : cg->d[0].path;
	struct cg_dir *fz = sig == SIGKILL ? cg_dir_for(cg, CG_FREEZER) : NULL;
	size_t n;
	pid_t bad = 0;
	if (fz) {
		signal_procs(dir, 0, &n, NULL);
		if (n == 0)
			return 0;
	}
	bool frozen = fz && freezer_set(fz->path, "FROZEN");
	int passes = sig == SIGKILL ? KILL_PASSES : 1;
	for (int pass = 0; pass < passes; pass++) {
		if (signal_procs(dir, sig, &n, &bad) < 0) {
			int e = errno;
			if (frozen)
				freezer_set(fz->path, "THAWED");
			return st_error(err, e, "kill %d in cgroup `%s`", (int)bad, cg->rel);
		}
		if (n == 0)
			break;
		if (frozen) {
			/* A frozen task dies only once thawed. */
			freezer_set(fz->path, "THAWED");
			frozen = false;
		}
		if (sig == SIGKILL)
			sleep_ms(pass < 10 ? 1 : 10);
	}
	if (frozen)
		freezer_set(fz->path, "THAWED");
	return 0;
}

long long rt_cgroup_oom_kills(struct rt_cgroup *cg)
{
	struct cg_dir *md = cg_dir_for(cg, CG_MEMORY);
	if (!md)
		return -1;
	_cleanup_free_ char *t = cg_read(md->path, md->v2 ? "memory.events" : "memory.oom_control");
	return t ? cg_keyed_value(t, "oom_kill") : -1;
}

bool rt_cgroup_oom_killed(struct rt_cgroup *cg)
{
	/* The count is the record: a v1 kernel without it (before 4.13) has
	 * only under_oom, which is over by the time anyone asks (the killer
	 * has done its work), so no second reading of the file is kept. */
	return rt_cgroup_oom_kills(cg) > 0;
}

/* ---- directories ---- */

/* rmdir a cgroup dir and any sub-cgroups, retrying EBUSY while the last
 * killed processes finish exiting. */
static int rmdir_tree(const char *path, st_error_t *err)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : st_error(err, errno, "open cgroup `%s`", path);
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
		if (rmdir_tree(sub, err) < 0)
			r = -1;
	}
	closedir(d);
	if (r < 0)
		return r;
	for (int waited = 0;; waited += 10) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || waited >= RMDIR_TIMEOUT_MS)
			return st_error(err, errno, "rmdir `%s`", path);
		sleep_ms(10);
	}
}

/* rmdir_tree() without the wait: 1 when a directory is still busy (a
 * task has not finished exiting), to be tried again later. */
static int rmdir_tree_once(const char *path, st_error_t *err)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : st_error(err, errno, "open cgroup `%s`", path);
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d)) && r >= 0) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
		int k = rmdir_tree_once(sub, err);
		if (k != 0)
			r = k;
	}
	closedir(d);
	if (r != 0)
		return r;
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	return errno == EBUSY ? 1 : st_error(err, errno, "rmdir `%s`", path);
}

/* How long a blocking removal waits for a just-emptied parent: the
 * kernel takes a child cgroup offline asynchronously after its rmdir, and
 * until then the parent's rmdir fails with EBUSY though it is empty. */
#define PARENT_BUSY_MS 100

/* Remove PARENT's components, deepest first, as long as they are empty;
 * another container still in PARENT simply stops this (ENOTEMPTY, or
 * EBUSY once wait_ms passed). */
static void rmdir_parents(const char *mount, const char *parent, int wait_ms)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", mount, parent);
	size_t root = strlen(mount);
	while (strlen(p) > root) {
		int r, waited = 0;
		while ((r = rmdir(p)) < 0 && errno == EBUSY && waited < wait_ms) {
			sleep_ms(2);
			waited += 2;
		}
		if (r < 0 && errno != ENOENT)
			return;
		char *slash = strrchr(p, '/');
		if (!slash || (size_t)(slash - p) < root)
			return;
		*slash = '\0';
	}
}

static char *mount_of(const struct cg_dir *d, const char *rel)
{
	/* d->path is MOUNT/REL */
	return xstrndup(d->path, strlen(d->path) - strlen(rel) - 1);
}

int rt_cgroup_destroy(struct rt_cgroup *cg, st_error_t *err)
{
	if (!cg)
		return 0;
	int r = 0;
	if (rt_cgroup_kill_all(cg, SIGKILL, err) < 0)
		r = -1;
	if (cg->v2_fd >= 0) {
		close(cg->v2_fd);
		cg->v2_fd = -1;
	}
	for (size_t i = 0; i < cg->n; i++) {
		if (rmdir_tree(cg->d[i].path, err) < 0) {
			r = -1;
			continue;
		}
		_cleanup_free_ char *mount = mount_of(&cg->d[i], cg->rel);
		rmdir_parents(mount, cg->parent, PARENT_BUSY_MS);
	}
	rt_cgroup_free(cg);
	return r;
}

int rt_cgroup_try_remove(struct rt_cgroup *cg, st_error_t *err)
{
	if (!cg)
		return 0;
	if (cg->v2_fd >= 0) {
		close(cg->v2_fd);
		cg->v2_fd = -1;
	}
	int r = 0;
	if (cg->n > 0) {
		/* One SIGKILL pass, neither frozen nor repeated here: a process
		 * forked meanwhile is in the cgroup too, and the next call gets
		 * it.  cgroup.kill where there is one (the whole subtree). */
		struct cg_dir *v2 = cg_dir_v2(cg);
		size_t n;
		pid_t bad = 0;
		if (v2 && cg_file_exists(v2->path, "cgroup.kill"))
			r = cg_write(v2->path, "cgroup.kill", "1", err);
		else if (signal_procs(v2 ? v2->path : cg->d[0].path, SIGKILL, &n, &bad) < 0)
			r = st_error(err, errno, "kill %d in cgroup `%s`", (int)bad, cg->rel);
	}
	for (size_t i = 0; i < cg->n && r >= 0; i++) {
		int k = rmdir_tree_once(cg->d[i].path, err);
		if (k != 0)
			r = k;
	}
	if (r == 1)
		return 1;
	for (size_t i = 0; i < cg->n && r == 0; i++) {
		_cleanup_free_ char *mount = mount_of(&cg->d[i], cg->rel);
		rmdir_parents(mount, cg->parent, 0); /* never sleeps */
	}
	rt_cgroup_free(cg);
	return r;
}

/* A new v1 cpuset cgroup starts with no CPUs and no memory nodes, and
 * nothing can join it (ENOSPC) until they are set: the parent's, as
 * cgroup.clone_children would copy them.  known[] carries the values of
 * PARENT from the level above (NULL: not read yet) and leaves DIR's: a
 * start walks the levels top-down, so each file is read at most once per
 * level it did not make (one it made is empty, or filled with the very
 * values by clone_children: written without a look). */
static int cpuset_inherit(const struct cg_hier *h, const char *parent, const char *dir, bool made, char *known[2],
			  st_error_t *err)
{
	if (h->v2 || !strstr(h->data, "cpuset"))
		return 0;
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *mine = made ? NULL : cg_read(dir, files[i]);
		if (mine && mine[strspn(mine, " \n")]) {
			/* filled: by clone_children, or by the start that made it */
			free(known[i]);
			known[i] = mine;
			continue;
		}
		free(mine);
		if (!known[i] && !(known[i] = cg_read(parent, files[i])))
			return st_error(err, errno, "read `%s/%s`", parent, files[i]);
		known[i][strcspn(known[i], "\n")] = '\0';
		if (cg_write(dir, files[i], known[i], err) < 0)
			return -1;
	}
	return 0;
}

/* mkdir MOUNT/PARENT/... components (v2: enabling `enable` controllers in
 * each level's cgroup.subtree_control, starting at the root) and then the
 * leaf.  Returns the leaf path. */
static int make_dirs(struct rt_cgroup *cg, const struct cg_hier *h, unsigned enable, unsigned required,
		     char **leaf, st_error_t *err)
{
	_cleanup_free_ char *cur = xstrdup(h->mount);
	_cleanup_free_ char *cpus = NULL, *mems = NULL;
	const char *s = cg->rel;
	for (;;) {
		if (h->v2 && enable) {
			for (int c = 0; c < CG_NCTRL; c++) {
				if (!(enable & CG_BIT(c)))
					continue;
				_cleanup_free_ char *v = xasprintf("+%s", cg_ctrl_name(c));
				st_error_t e = NULL;
				if (cg_write(cur, "cgroup.subtree_control", v, &e) < 0) {
					if (required & CG_BIT(c)) {
						*err = e;
						return -1;
					}
					char *t = st_error_text(e);
					strv_pushf(&cg->warnings, "%s (%s controller stats unavailable)", t,
						   cg_ctrl_name(c));
					free(t);
					st_error_free(&e);
					enable &= ~CG_BIT(c);
				}
			}
		}
		const char *e = strchrnul(s, '/');
		char *next = xasprintf("%s/%.*s", cur, (int)(e - s), s);
		bool made = mkdir(next, 0755) == 0;
		if (!made && errno != EEXIST) {
			st_error(err, errno, "mkdir cgroup `%s`", next);
			free(next);
			return -1;
		}
		/* Also when it existed: another start may have made it a moment
		 * ago and not yet filled it (or died in between), and a child of
		 * an empty cpuset would inherit the emptiness.  Filled ones are
		 * only read. */
		char *known[2] = {cpus, mems};
		int r = cpuset_inherit(h, cur, next, made, known, err);
		cpus = known[0];
		mems = known[1];
		if (r < 0) {
			free(next);
			return -1;
		}
		free(cur);
		cur = next;
		if (!*e)
			break;
		s = e + 1;
	}
	*leaf = steal_pointer(&cur);
	return 0;
}

static unsigned required_ctrls(const struct rt_cgroup_limits *lim)
{
	unsigned m = 0;
	if (!lim)
		return 0;
	if (lim->memory || lim->memory_swap)
		m |= CG_BIT(CG_MEMORY);
	if (lim->pids)
		m |= CG_BIT(CG_PIDS);
	if (lim->cpu_shares || lim->cpu_quota_us)
		m |= CG_BIT(CG_CPU);
	return m;
}

/* A hybrid host's cgroup2 directory used to be made for every container,
 * to track its processes and get cgroup.kill.  But joining it costs the
 * start path most of its time: a process can enter a cgroup2 directory only
 * through cgroup.procs, and every cgroup.procs write takes the kernel's
 * global cgroup_threadgroup_rwsem for writing (an RCU grace period, 5-12 ms
 * here), while the v1 hierarchies can be joined without it (the self-join,
 * see cgroup.h).  The v1 hierarchies track every process just as well
 * (count_procs, destroy, remove_by_name and OOM detection read them), and
 * the v1 freezer makes kill-all immune to forks as cgroup.kill does.  So
 * the directory is skipped when it would serve none of our controllers and
 * a v1 freezer exists; otherwise (pure v2, a controller only v2 has, a
 * device allow-list with no v1 devices controller to hold it, no v1
 * freezer) it is made and joined as before.  A container start asks
 * for every hierarchy (every_hierarchy): its /sys/fs/cgroup shows the
 * cgroup2 tree too, and must show its own cgroup there, not the whole
 * tree, so it pays for the join. */
static bool skip_v2_dir(const struct cg_host *host, const struct cg_hier *h, bool bpf_devices)
{
	if (!h->v2 || h->ctrls || bpf_devices)
		return false;
	for (size_t i = 0; i < host->n; i++)
		if (!host->h[i].v2 && (host->h[i].ctrls & CG_BIT(CG_FREEZER)))
			return true;
	return false;
}

/* PARENT (from opts or the environment), checked with NAME, and the
 * host's hierarchies where PARENT/NAME lives. */
static int locate(const char *name, const struct rt_cgroup_opts *opts, char **parent, struct cg_host *host,
		  st_error_t *err)
{
	*parent = resolve_parent(opts);
	if (!valid_rel(name) || !valid_rel(*parent))
		return st_error(err, EINVAL, "invalid cgroup name `%s/%s`", *parent, name ? name : "(null)");
	return cg_host_detect(opts, host, err);
}

int rt_cgroup_create(const char *name, const struct rt_cgroup_limits *lim, const struct rt_cgroup_opts *opts,
		     struct rt_cgroup **out, st_error_t *err)
{
	*out = NULL;
	_cleanup_free_ char *parent = NULL;
	struct cg_host host;
	if (locate(name, opts, &parent, &host, err) < 0)
		return -1;
	unsigned served = 0;
	for (size_t i = 0; i < host.n; i++)
		served |= host.h[i].ctrls;
	unsigned required = required_ctrls(lim);
	/* A device allow-list goes to the v1 devices controller when there is
	 * one, else to a BPF program on the cgroup2 directory. */
	bool want_devices = opts && opts->devices;
	bool bpf_devices = want_devices && !(served & CG_BIT(CG_DEVICES));
	if (bpf_devices && host.v2 < 0) {
		cg_host_free(&host);
		return st_error(err, ENOTSUP, "cgroup `%s/%s`: cannot restrict devices: the host has neither the v1 "
			       "devices controller nor a cgroup2 mount for a BPF device program (see /proc/self/mountinfo)",
			       parent, name);
	}
	for (int c = 0; c < CG_NCTRL; c++)
		if ((required & CG_BIT(c)) && !(served & CG_BIT(c))) {
			cg_host_free(&host);
			return st_error(err, ENOTSUP, "cgroup `%s/%s`: a %s limit is set but the host has no %s controller "
				       "(neither a cgroup v1 mount nor in the cgroup2 cgroup.controllers)",
				       parent, name, cg_ctrl_name(c), cg_ctrl_name(c));
		}
	if (host.n == 0) {
		cg_host_free(&host);
		return st_error(err, ENOENT, "no cgroup hierarchy mounted (see /proc/self/mountinfo)");
	}
	struct rt_cgroup *cg = cg_new(parent, name);
	int r = 0;
	for (size_t i = 0; i < host.n && r == 0; i++) {
		const struct cg_hier *h = &host.h[i];
		/* The devices hierarchy only holds an allow-list. */
		unsigned ctrls = want_devices ? h->ctrls : h->ctrls & ~CG_BIT(CG_DEVICES);
		bool every = opts && opts->every_hierarchy;
		if (!every && ((!h->v2 && !ctrls) || skip_v2_dir(&host, h, bpf_devices)))
			continue;
		char *leaf = NULL;
		st_error_t e = NULL;
		/* ENOENT: another container's destroy removed an empty PARENT
		 * between our mkdirs; make it again. */
		for (int attempt = 0; attempt < 3; attempt++) {
			r = make_dirs(cg, h, h->v2 ? h->ctrls : 0, required, &leaf, &e);
			if (r == 0 || e->status != ENOENT)
				break;
			st_error_free(&e);
		}
		if (r < 0) {
			/* The cgroup2 dir only tracks processes in hybrid mode:
			 * losing it costs cgroup.kill, not correctness. */
			if (h->v2 && !(h->ctrls & required) && !bpf_devices && host.n > 1 && !every) {
				char *t = st_error_text(e);
				strv_pushf(&cg->warnings, "%s (no cgroup2 tracking directory)", t);
				free(t);
				r = 0;
			} else if (err && !*err) {
				*err = steal_pointer(&e);
			}
			st_error_free(&e);
			rmdir_parents(h->mount, parent, PARENT_BUSY_MS);
			continue;
		}
		cg->d[cg->n++] = (struct cg_dir){.path = leaf, .ctrls = ctrls, .v2 = h->v2, .created = true};
	}
	cg_host_free(&host);
	if (r == 0) {
		struct cg_dir *v2 = cg_dir_v2(cg);
		if (v2) {
			cg->v2_fd = open(v2->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cg->v2_fd < 0)
				r = st_error(err, errno, "open cgroup `%s`", v2->path);
		}
	}
	/* A cgroup of this name left by a crash: nothing of it may run on. */
	if (r == 0 && rt_cgroup_count_procs(cg, NULL) > 0)
		r = rt_cgroup_kill_all(cg, SIGKILL, err);
	if (r == 0 && lim)
		r = cg_apply_limits(cg, lim, err);
	if (r == 0 && want_devices)
		r = cg_apply_devices(cg, opts->devices, opts->n_devices, err);
	if (r < 0) {
		rt_cgroup_destroy(cg, NULL);
		return -1;
	}
	*out = cg;
	return 0;
}

/* PARENT/NAME where it exists. */
static int find_existing(const char *name, const struct rt_cgroup_opts *opts, struct rt_cgroup **out, st_error_t *err)
{
	_cleanup_free_ char *parent = NULL;
	struct cg_host host;
	if (locate(name, opts, &parent, &host, err) < 0)
		return -1;
	struct rt_cgroup *cg = cg_new(parent, name);
	for (size_t i = 0; i < host.n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", host.h[i].mount, cg->rel);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			cg->d[cg->n++] = (struct cg_dir){.path = steal_pointer(&p), .ctrls = host.h[i].ctrls,
							 .v2 = host.h[i].v2};
	}
	cg_host_free(&host);
	*out = cg;
	return 0;
}

int rt_cgroup_remove_by_name(const char *name, const struct rt_cgroup_opts *opts, st_error_t *err)
{
	struct rt_cgroup *cg;
	if (find_existing(name, opts, &cg, err) < 0)
		return -1;
	return rt_cgroup_destroy(cg, err);
}

int rt_cgroup_open(const char *name, const struct rt_cgroup_opts *opts, struct rt_cgroup **out, st_error_t *err)
{
	*out = NULL;
	struct rt_cgroup *cg;
	if (find_existing(name, opts, &cg, err) < 0)
		return -1;
	if (cg->n == 0) {
		st_error(err, ENOENT, "cgroup `%s` exists in no hierarchy", cg->rel);
		rt_cgroup_free(cg);
		return -1;
	}
	*out = cg;
	return 0;
}

uint64_t rt_cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}
