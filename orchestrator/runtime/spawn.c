/* rt_container_start(): prepare in the parent, fork the container's first
 * process into new namespaces, drive it through setup over the sync socket.
 *
 * Why fork() and not clone3(): glibc's fork() resets malloc's locks in the
 * child, a raw clone3() does not, and the child allocates (error messages,
 * paths) while a supervisor may have other threads.  The new pid namespace
 * comes from unshare(CLONE_NEWPID) in the calling thread just around the
 * fork (it only changes where *children* go; setns() puts it back); the
 * other namespaces are unshared by the child itself, the cgroup namespace
 * last, once it has moved itself into its cgroup. */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The child is a copy of the caller, which may hold any number of fds,
 * O_CLOEXEC or not: other containers' pipe ends, a supervisor's sockets.
 * The execve at the end drops the O_CLOEXEC ones (and rt_payload_exec
 * marks the rest), but the setup runs in the container meanwhile: close
 * all but what we use first thing. */
void rt_child_close_fds(struct rt_child *c)
{
	int keep[6] = {c->sync_fd, c->stdio[0], c->stdio[1], c->stdio[2], c->init_fd, 2};
	qsort(keep, ARRAY_SIZE(keep), sizeof(int), cmp_int);
	unsigned lo = 3;
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

const char *rt_test_child_hang_step;

void rt_child_step(struct rt_child *c, const char *fmt, ...)
{
	if (!c->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->progress->step, sizeof(c->progress->step), fmt, ap);
	va_end(ap);
	if (rt_test_child_hang_step && strstr(c->progress->step, rt_test_child_hang_step))
		for (;;)
			pause();
}

int rt_child_open_pty(struct rt_child *c)
{
	if (!c->cfg->process.tty)
		return -1;
	/* The pty belongs to the container's devpts instance, so the payload
	 * sees /dev/pts/N, not a host pty. */
	st_error_t err = NULL;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0) {
		st_error(&err, errno, "open a pty on `/dev/ptmx`");
		rt_child_fail(c->sync_fd, &err, 1);
	}
	/* ptsname_r() returns its error; errno is not set. */
	int e = ptsname_r(master, c->pty_slave, sizeof(c->pty_slave));
	if (e != 0) {
		st_error(&err, e, "ptsname of the pty from `/dev/ptmx`");
		rt_child_fail(c->sync_fd, &err, 1);
	}
	return master;
}

void rt_child_await_go(struct rt_child *c)
{
	st_error_t err = NULL;
	struct rt_msg m;
	int join[RT_SYNC_MAX_FDS];
	size_t n_join = 0;
	if (rt_sync_recv_fds(c->sync_fd, &m, join, ARRAY_SIZE(join), &n_join) != 1 || m.type != RT_MSG_GO)
		_exit(1); /* the parent gave up (or died): nothing to report to */
	/* We are one thread, so writing "0" to each `tasks` file moves all of
	 * us, without the kernel's global lock (see cgroup.h). */
	if (m.status < 0 || n_join != (size_t)m.status) {
		for (size_t i = 0; i < n_join; i++)
			close(join[i]);
		st_error(&err, EPROTO, "got %zu of the %d cgroup files to join", n_join, m.status);
		rt_child_fail(c->sync_fd, &err, 1);
	}
	size_t bad = 0;
	if (rt_cgroup_join_self(join, n_join, &bad) < 0) {
		char idx[32];
		int e = errno;
		snprintf(idx, sizeof(idx), "%zu", bad);
		rt_sync_send(c->sync_fd, RT_MSG_JOIN_FAILED, e, idx, -1);
		_exit(1);
	}
}

__attribute__((noreturn)) static void child_main(struct rt_child *c)
{
	st_error_t err = NULL;
	const struct rt_config *cfg = c->cfg;
	/* Nobody in the container may read this copy of the caller's memory
	 * and environment until the execve replaces it (PR_SET_DUMPABLE 0:
	 * no ptrace, no /proc/PID/{mem,environ} without CAP_SYS_PTRACE). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* A session of our own, as runc and bubblewrap do: in the caller's,
	 * any process of the container could TIOCSTI keystrokes into the
	 * caller's terminal, or open it as /dev/tty.  A new child is never a
	 * process group leader, so this cannot fail. */
	setsid();
	/* Before the fds are closed: the one naming the namespace to join is
	 * the caller's, not one the child keeps. */
	if (cfg->net == RT_NET_JOIN && setns(cfg->net_join_fd, CLONE_NEWNET) < 0) {
		st_error(&err, errno, "join the network namespace of fd %d", cfg->net_join_fd);
		rt_child_fail(c->sync_fd, &err, 1);
	}
	rt_child_close_fds(c);
	/* Set before anything can block: if the parent is already gone, the
	 * sync socket's EOF ends us below instead. */
	if (cfg->die_with_parent)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	umask(0);
	rt_child_step(c, "unshare the namespaces");
	bool own_net = cfg->net == RT_NET_NONE || cfg->net == RT_NET_PRIVATE;
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (own_net ? CLONE_NEWNET : 0);
	if (unshare(flags) < 0) {
		st_error(&err, errno, "unshare the mount, uts, ipc%s namespaces", flags & CLONE_NEWNET ? ", net" : "");
		rt_child_fail(c->sync_fd, &err, 1);
	}
	if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
		st_error(&err, errno, "sethostname `%s`", c->hostname);
		rt_child_fail(c->sync_fd, &err, 1);
	}
	if (own_net && rt_net_lo_up(&err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);
	rt_child_step(c, "mount the root overlay of `%s`", cfg->lower_dirs[0]);
	if (rt_rootfs_setup(c, &err) < 0 || rt_rootfs_finish(c, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);

	if (rt_payload_prepare(c, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);
	rt_child_step(c, "open a pty");
	int master = rt_child_open_pty(c);
	if (master >= 0) {
		/* Like Docker: /dev/console is the terminal too (gettys and
		 * init systems write there). */
		int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 || close(fd) < 0 || mount(c->pty_slave, "/dev/console", NULL, MS_BIND, NULL) < 0) {
			st_error(&err, errno, "bind `%s` on `/dev/console`", c->pty_slave);
			rt_child_fail(c->sync_fd, &err, 1);
		}
	}
	rt_sync_send(c->sync_fd, RT_MSG_READY, 0, NULL, master);
	if (master >= 0)
		close(master);
	/* Into the cgroup first, before the cgroup namespace is made (its root
	 * is where we are) and before anything runs or forks. */
	rt_child_step(c, "join the cgroup");
	rt_child_await_go(c);

	rt_child_step(c, "unshare the cgroup namespace, mount /sys/fs/cgroup, apply rlimits");
	if (unshare(CLONE_NEWCGROUP) < 0) {
		st_error(&err, errno, "unshare the cgroup namespace");
		rt_child_fail(c->sync_fd, &err, 1);
	}
	if (rt_cgroup_fs_mount(c, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);
	if (rt_rlimit_apply(c->rlimits, c->n_rlimits, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);
	rt_payload_exec(c); /* or init (cfg->init), which forks the payload */
}

static int validate(const struct rt_config *cfg, st_error_t *err)
{
	if (!cfg->id || !cfg->id[0] || strchr(cfg->id, '/'))
		return st_error(err, EINVAL, "container id `%s` is empty or has a '/'", cfg->id ? cfg->id : "");
	if (!cfg->state_dir || cfg->state_dir[0] != '/')
		return st_error(err, EINVAL, "container `%s`: state_dir must be an absolute path", cfg->id);
	if (!cfg->lower_dirs || !cfg->lower_dirs[0])
		return st_error(err, EINVAL, "container `%s`: no image layer", cfg->id);
	if (!cfg->process.argv || !cfg->process.argv[0])
		return st_error(err, EINVAL, "container `%s`: no command", cfg->id);
	if (cfg->net == RT_NET_JOIN && cfg->net_join_fd < 0)
		return st_error(err, EINVAL, "container `%s`: RT_NET_JOIN without a namespace fd", cfg->id);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct rt_mount *m = &cfg->mounts[i];
		if (!m->target || m->target[0] != '/')
			return st_error(err, EINVAL, "mount %zu: target `%s` is not an absolute path", i,
					m->target ? m->target : "");
		if (m->type == RT_MOUNT_BIND && (!m->source || !m->source[0]))
			return st_error(err, EINVAL, "bind mount on `%s`: no source", m->target);
	}
	return rt_overlay_check(cfg, err);
}

static int make_state_dir(const struct rt_config *cfg, bool *created, st_error_t *err)
{
	_cleanup_free_ char *parent = fs_dirname(cfg->state_dir);
	if (fs_mkdir_p(parent, 0755, err) < 0)
		return -1;
	if (mkdir(cfg->state_dir, 0700) < 0)
		return st_error(err, errno, "create the state directory `%s`%s", cfg->state_dir,
				errno == EEXIST ? " (a container of that name exists or was not removed)" : "");
	*created = true;
	/* upper and work last: not made when the caller owns them. */
	static const char *const sub[] = {"merged", "upper", "work"};
	for (size_t i = 0; i < (cfg->upper_dir ? 1 : ARRAY_SIZE(sub)); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", cfg->state_dir, sub[i]);
		/* The upper dir's mode is the container's `/`: 0755 whatever the
		 * caller's umask (under umask 077 a non-root payload could not
		 * even chdir to `/`). */
		if (mkdir(p, 0755) < 0 || chmod(p, 0755) < 0)
			return st_error(err, errno, "mkdir `%s`", p);
	}
	return 0;
}

static char *pick_hostname(const struct rt_config *cfg)
{
	if (cfg->hostname)
		return xstrndup(cfg->hostname, 63);
	if (cfg->net == RT_NET_HOST) {
		char hn[65] = "";
		if (gethostname(hn, sizeof(hn) - 1) == 0 && hn[0])
			return xstrdup(hn);
	}
	return xstrndup(cfg->id, 63);
}

/* fork() with the child in another pid namespace: a new one (ns_fd < 0,
 * the child is its PID 1) or the one ns_fd names (a pidfd will do).  The
 * switch only decides where this thread's next child goes, and is undone
 * right after the fork. */
pid_t rt_fork_in_pidns(int ns_fd, st_error_t *err)
{
	_cleanup_close_ int self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return st_error(err, errno, "open `/proc/self/ns/pid`");
	if (ns_fd < 0 ? unshare(CLONE_NEWPID) : setns(ns_fd, CLONE_NEWPID))
		return st_error(err, errno, ns_fd < 0 ? "unshare the pid namespace"
						      : "setns into the container's pid namespace");
	pid_t pid = fork();
	if (pid == 0)
		return 0;
	int e = errno;
	if (setns(self, CLONE_NEWPID) < 0) {
		/* Every later fork of this thread would land in the container's
		 * namespace: nothing sane can continue. */
		perror("stack: setns back to our pid namespace");
		abort();
	}
	if (pid < 0)
		return st_error(err, e, "fork the container process");
	return pid;
}

/* One start in flight (the public handle of rt_container_start_begin()):
 * what prepare() makes, spawn() and the handshake steps use, and keep()
 * hands to the container or finish() undoes. */
enum start_phase {
	START_READY, /* waiting for the child's READY (its rootfs is set up) */
	START_EXEC,  /* GO sent: waiting for its execve (EOF, or init's STARTED) */
};

struct rt_start {
	const struct rt_config *cfg;
	struct rt_container *ct;
	enum start_phase phase;
	bool made_state;
	struct rt_seccomp_prog *prog;
	struct rt_rlimit *rl;
	struct rt_dev_plan devplan;
	struct rt_cgroup_fs *cgfs; /* the container's /sys/fs/cgroup */
	size_t n_cgfs;
	int init_fd;
	char *hostname, *merged;
	struct rt_caps caps;
	struct rt_spawn sp;
};

/* Everything that can fail on bad input before any side effect, then the
 * state dir, the generated /etc files and the channels to the child. */
static int prepare(struct rt_start *s, st_error_t *err)
{
	const struct rt_config *cfg = s->cfg;
	struct rt_container *ct = s->ct;
	if (rt_overlay_take_upper(cfg, &ct->upper_fd, err) < 0 ||
	    rt_caps_prepare(cfg->cap_add, cfg->cap_drop, &s->caps, err) < 0 ||
	    rt_seccomp_prepare(cfg->seccomp, cfg->seccomp_profile, &s->caps, cfg->seccomp_cache_dir, &s->prog, err) < 0 ||
	    rt_dev_prepare(cfg, &s->devplan, err) < 0)
		return -1;
	struct rt_cgroup_opts cgopts = {.parent = cfg->cgroup_parent};
	if (rt_cgroup_fs_plan(&cgopts, &s->cgfs, &s->n_cgfs, err) < 0)
		return -1;
	if (cfg->n_rlimits) {
		s->rl = xcalloc(cfg->n_rlimits, sizeof(*s->rl));
		memcpy(s->rl, cfg->rlimits, cfg->n_rlimits * sizeof(*s->rl));
		if (rt_rlimit_prepare(s->rl, cfg->n_rlimits, &ct->warnings, err) < 0)
			return -1;
	}
	if (cfg->init && (s->init_fd = rt_init_open(err)) < 0)
		return -1;
	if (make_state_dir(cfg, &s->made_state, err) < 0 || rt_etc_files_write(cfg, s->hostname, cfg->state_dir, err) < 0)
		return -1;
	return rt_spawn_open(&s->sp, &ct->p, &cfg->process, "container process", cfg->start_timeout_ms, err);
}

/* Fork the container's first process into a new pid namespace. */
static int spawn(struct rt_start *s, st_error_t *err)
{
	const struct rt_config *cfg = s->cfg;
	struct rt_child c = {
		.cfg = cfg,
		.caps = &s->caps,
		.seccomp = s->prog,
		.rlimits = s->rl,
		.n_rlimits = cfg->n_rlimits,
		.merged = s->merged,
		.hostname = s->hostname,
		.etc_dir = cfg->state_dir,
		.dev = &s->devplan,
		.cgroup_fs = s->cgfs,
		.n_cgroup_fs = s->n_cgfs,
		.init_fd = s->init_fd,
	};
	rt_spawn_child_fds(&s->sp, &cfg->process, &c);

	/* init's signals blocked from birth: one sent during setup stays
	 * pending until init forwards it (the caller's mask is restored). */
	sigset_t block, old;
	rt_init_sigset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pid_t pid = rt_fork_in_pidns(-1, err);
	if (pid == 0)
		child_main(&c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return -1;
	return rt_spawn_forked(&s->sp, pid, err);
}

/* The cgroup, made while the child builds its rootfs: joined by the
 * child on GO, before anything of the payload runs. */
static int make_cgroup(struct rt_start *s, st_error_t *err)
{
	const struct rt_config *cfg = s->cfg;
	struct rt_container *ct = s->ct;
	/* The cgroup is made while the child builds its rootfs (it only has
	 * to be in it before the payload runs).  The child joins the v1
	 * hierarchies itself on GO, through fds opened here: a cgroup.procs
	 * write from here would take the kernel's global
	 * cgroup_threadgroup_rwsem (5-12 ms on a busy host).  Only a cgroup2
	 * directory (pure v2 hosts, and hybrid ones: the container sees its
	 * own cgroup2 tree too) is joined from here, still under that lock
	 * but in parallel with the rootfs setup.  clone3()'s
	 * CLONE_INTO_CGROUP would avoid the lock there, but it needs the
	 * cgroup before the fork (no overlap with the rootfs setup) and a raw
	 * clone3() child does not get glibc's malloc locks reset (see above).
	 * The device allow-list is always on, and a failure to install it
	 * fails the start: the payload and init run only after the join. */
	struct rt_cgroup_opts cgopts = {
		.parent = cfg->cgroup_parent, .devices = s->devplan.rules, .n_devices = s->devplan.n_rules,
		.every_hierarchy = true, /* the container's /sys/fs/cgroup shows each (cgroup_fs.c) */
	};
	if (rt_cgroup_create(cfg->id, &cfg->limits, &cgopts, &ct->cg, err) < 0)
		return -1;
	const struct strv *cgw = rt_cgroup_warnings(ct->cg);
	for (size_t i = 0; i < cgw->n; i++)
		strv_push(&ct->warnings, cgw->v[i]);
	return rt_spawn_ready_begin(&s->sp, ct->cg, err);
}

/* Ready to go: the container keeps what rt_container_exec() needs (same
 * caps, filter, base env, user and cwd). */
static void keep(struct rt_start *s)
{
	struct rt_container *ct = s->ct;
	ct->caps = s->caps;
	ct->seccomp = steal_pointer(&s->prog);
	ct->no_new_privileges = s->cfg->no_new_privileges;
	ct->net = s->cfg->net;
	for (const char *const *e = s->cfg->process.env; e && *e; e++)
		strv_push(&ct->env, *e);
	ct->rlimits = steal_pointer(&s->rl);
	ct->n_rlimits = s->cfg->n_rlimits;
	ct->user = s->cfg->process.user ? xstrdup(s->cfg->process.user) : NULL;
	ct->cwd = s->cfg->process.cwd ? xstrdup(s->cfg->process.cwd) : NULL;
}

/* What rt_container_open() in another process reads (state.c). */
static int record_state(struct rt_start *s, st_error_t *err)
{
	struct rt_container *ct = s->ct;
	if (rt_proc_start_time(ct->p.pid, &ct->start_time, err) < 0)
		return -1;
	return rt_state_write(ct, err);
}

/* READY arrived: the network hook, then GO. */
static int on_ready(struct rt_start *s, st_error_t *err)
{
	const struct rt_config *cfg = s->cfg;
	struct rt_container *ct = s->ct;
	if (rt_spawn_recv_ready(&s->sp, err) < 0)
		return -1;
	if (cfg->net == RT_NET_PRIVATE && cfg->net_hook && cfg->net_hook(ct->p.pid, cfg->net_hook_data, err) < 0)
		return st_error_prefix(err, "network setup");
	/* The state before the payload runs: the time it takes is not added
	 * after the payload started (a caller sets the pty's window size
	 * once start returned; the sooner, the fewer payloads see 0x0). */
	keep(s);
	if (record_state(s, err) < 0)
		return st_error_prefix(err, "write its state");
	return rt_spawn_send_go(&s->sp, err);
}

/* The message after GO.  No init: EOF means the payload exec'd (the
 * socket is O_CLOEXEC).  Init: it says STARTED once the payload exec'd,
 * then keeps the socket to send the payload's wait status at the end. */
static int on_exec(struct rt_start *s, st_error_t *err)
{
	const struct rt_config *cfg = s->cfg;
	struct rt_container *ct = s->ct;
	struct rt_msg m;
	int r = rt_spawn_recv_exec(&s->sp, &m, err);
	if (r < 0)
		return -1;
	if (cfg->init && (r == 0 || m.type != RT_MSG_STARTED))
		return st_error(err, 0, "the container's init exited before the payload started");
	if (cfg->init) {
		ct->sync_fd = rt_spawn_take_sock(&s->sp);
		fcntl(ct->sync_fd, F_SETFL, O_NONBLOCK);
	}
	return 0;
}

/* What start made, in both outcomes; on failure also the process, the
 * cgroup and (through rt_container_destroy) the state dir and ct.  Frees s. */
static void finish(struct rt_start *s, bool failed)
{
	struct rt_container *ct = s->ct;
	if (failed)
		rt_proc_kill(&ct->p);
	rt_spawn_close(&s->sp);
	rt_seccomp_prog_free(s->prog);
	free(s->rl);
	rt_dev_plan_free(&s->devplan);
	rt_cgroup_fs_free(s->cgfs, s->n_cgfs);
	if (s->init_fd >= 0)
		close(s->init_fd);
	free(s->hostname);
	free(s->merged);
	if (failed) {
		if (ct->cg) {
			st_error_t e2 = NULL;
			if (rt_cgroup_destroy(ct->cg, &e2) < 0)
				st_error_free(&e2);
			ct->cg = NULL;
		}
		if (!s->made_state) {
			free(ct->state_dir);
			ct->state_dir = NULL;
		}
		rt_container_destroy(ct, NULL);
	}
	free(s);
}

int rt_container_start_begin(const struct rt_config *cfg, struct rt_start **out, st_error_t *err)
{
	*out = NULL;
	if (validate(cfg, err) < 0)
		return -1;
	struct rt_container *ct = xzalloc(sizeof(*ct));
	ct->id = xstrdup(cfg->id);
	ct->state_dir = xstrdup(cfg->state_dir);
	rt_proc_init(&ct->p);
	ct->sync_fd = ct->upper_fd = -1;
	ct->stop_signal = cfg->stop_signal ? cfg->stop_signal : SIGTERM;
	ct->start_timeout_ms = cfg->start_timeout_ms;

	struct rt_start *s = xzalloc(sizeof(*s));
	*s = (struct rt_start){
		.cfg = cfg,
		.ct = ct,
		.phase = START_READY,
		.init_fd = -1,
		.hostname = pick_hostname(cfg),
		.merged = xasprintf("%s/merged", cfg->state_dir),
		.sp = {.sock = {-1, -1}, .child_stdio = {-1, -1, -1}},
	};
	if (prepare(s, err) < 0 || spawn(s, err) < 0 || make_cgroup(s, err) < 0) {
		st_error_prefix(err, "container `%s`", cfg->id);
		finish(s, true);
		return -1;
	}
	*out = s;
	return 0;
}

int rt_spawn_fd(const struct rt_start *s)
{
	return s->sp.sock[0];
}

int rt_spawn_timeout_ms(const struct rt_start *s)
{
	return rt_spawn_ms_left(&s->sp);
}

int rt_container_start_step(struct rt_start *s, struct rt_container **out, st_error_t *err)
{
	*out = NULL;
	const char *step = s->phase == START_READY ? "setup" : "exec";
	int r = rt_spawn_check(&s->sp, step, err);
	if (r == 0)
		return 1;
	if (r > 0 && s->phase == START_READY) {
		r = on_ready(s, err);
		s->phase = START_EXEC;
		if (r == 0)
			return 1;
	} else if (r > 0) {
		r = on_exec(s, err);
	}
	if (r < 0) {
		st_error_prefix(err, "container `%s`", s->cfg->id);
		finish(s, true);
		return -1;
	}
	*out = s->ct;
	finish(s, false);
	return 0;
}

void rt_container_start_abort(struct rt_start *s)
{
	if (s)
		finish(s, true);
}

int rt_container_start(const struct rt_config *cfg, struct rt_container **out, st_error_t *err)
{
	struct rt_start *s;
	*out = NULL;
	if (rt_container_start_begin(cfg, &s, err) < 0)
		return -1;
	for (;;) {
		int r = rt_container_start_step(s, out, err);
		if (r <= 0)
			return r;
		/* Until the next message or the deadline, which the next step
		 * then acts on. */
		struct pollfd pfd = {.fd = rt_spawn_fd(s), .events = POLLIN};
		while (poll(&pfd, 1, rt_spawn_timeout_ms(s)) < 0 && errno == EINTR)
			;
	}
}
