/* rt_container_exec(): one more process in a running container.
 *
 * Same sync protocol as the first process (READY, GO with the cgroup files
 * to join, EOF on exec), but instead of creating namespaces the child joins
 * the container's with setns() on its pidfd (or the files in /proc/PID/ns).  The pid namespace, as at start, is entered by the
 * calling thread around fork() (setns(CLONE_NEWPID) only changes where
 * children go); the mount namespace must be joined by the single-threaded
 * child. */
#include "runtime/internal.h"
#include "util/env.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct rt_exec {
	struct rt_proc p;
	struct rt_exit exit; /* once p.exited */
};

/* The container's namespaces to join: its pidfd names them all at once;
 * without one (no pidfd_open), the files of /proc/PID/ns do, PID being
 * init's, our unreaped child (it cannot be another process meanwhile). */
struct ns_join {
	int pidfd;
	int pid_ns; /* for rt_fork_in_pidns(): the pidfd, or ns/pid */
	int fd[5], flag[5];
	size_t n;
};

static int ns_join_open(const struct rt_container *ct, int nsflags, struct ns_join *j, st_error_t *err)
{
	static const struct {
		int flag;
		const char *name;
	} ns[] = {{CLONE_NEWUTS, "uts"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWNET, "net"},
		  {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWNS, "mnt"}};
	j->pidfd = ct->p.pidfd;
	j->pid_ns = ct->p.pidfd;
	j->n = 0;
	if (ct->p.pidfd >= 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)ct->p.pid);
	if ((j->pid_ns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return st_error(err, errno, "open `%s`", path);
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		if (!(nsflags & ns[i].flag))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)ct->p.pid, ns[i].name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return st_error(err, errno, "open `%s`", path);
		j->fd[j->n] = fd;
		j->flag[j->n++] = ns[i].flag;
	}
	return 0;
}

static void ns_join_close(struct ns_join *j)
{
	if (j->pidfd >= 0)
		return;
	if (j->pid_ns >= 0)
		close(j->pid_ns);
	for (size_t i = 0; i < j->n; i++)
		close(j->fd[i]);
	j->pid_ns = -1;
	j->n = 0;
}

static int ns_join_enter(const struct ns_join *j, int nsflags)
{
	if (j->pidfd >= 0)
		return setns(j->pidfd, nsflags);
	/* In ns[]'s order: the mount namespace, which changes our root, last. */
	for (size_t i = 0; i < j->n; i++)
		if (setns(j->fd[i], j->flag[i]) < 0)
			return -1;
	return 0;
}

__attribute__((noreturn)) static void exec_child(struct rt_child *c, const struct ns_join *ns, int nsflags)
{
	st_error_t err = NULL;
	/* As the container's first process (spawn.c): unreadable until the
	 * execve, since the container's processes could read this copy of our
	 * memory; and a session of its own, out of the caller's terminal. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setsid();
	rt_child_step(c, "setns into the container's namespaces");
	if (ns_join_enter(ns, nsflags) < 0) {
		st_error(&err, errno, "setns into the container's namespaces");
		rt_child_fail(c->sync_fd, &err, 1);
	}
	rt_child_close_fds(c);
	/* setns(CLONE_NEWNS) put us at the container's root. */
	if (rt_payload_prepare(c, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);
	rt_child_step(c, "open a pty");
	int master = rt_child_open_pty(c);
	rt_sync_send(c->sync_fd, RT_MSG_READY, 0, NULL, master);
	if (master >= 0)
		close(master);
	/* Into the container's cgroup as its first process does: by itself,
	 * still one thread, without the kernel's global lock. */
	rt_child_step(c, "join the cgroup");
	rt_child_await_go(c);
	rt_child_step(c, "apply rlimits");
	if (rt_rlimit_apply(c->rlimits, c->n_rlimits, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 1);
	rt_payload_exec(c);
}

int rt_container_exec(struct rt_container *ct, const struct rt_process *proc, struct rt_exec **out,
		      st_error_t *err)
{
	*out = NULL;
	if (ct->p.exited)
		return st_error(err, ESRCH, "container `%s` is not running", ct->id);
	if (!proc->argv || !proc->argv[0])
		return st_error(err, EINVAL, "container `%s`: exec: no command", ct->id);

	struct rt_config cfg;
	rt_config_init(&cfg);
	cfg.id = ct->id;
	cfg.state_dir = ct->state_dir;
	cfg.process = *proc;
	cfg.no_new_privileges = ct->no_new_privileges;
	cfg.net = ct->net;
	cfg.init = false;
	/* The container's environment, then the exec's on top: a later
	 * "K=V" replaces an earlier K, as with docker exec -e. */
	struct strv env = {0};
	for (size_t i = 0; i < ct->env.n; i++) {
		size_t klen = strcspn(ct->env.v[i], "=");
		if (st_env_index(proc->env, ct->env.v[i], klen) < 0)
			strv_push(&env, ct->env.v[i]);
	}
	for (const char *const *e = proc->env; e && *e; e++)
		strv_push(&env, *e);
	cfg.process.env = (const char *const *)strv_argv(&env);

	struct rt_exec *x = xzalloc(sizeof(*x));
	rt_proc_init(&x->p);
	struct rt_spawn sp = {.sock = {-1, -1}, .child_stdio = {-1, -1, -1}};
	struct ns_join ns = {.pidfd = -1, .pid_ns = -1};
	if (rt_spawn_open(&sp, &x->p, proc, "exec'd process", ct->start_timeout_ms, err) < 0)
		goto fail;
	struct rt_child c = {
		.cfg = &cfg,
		.caps = &ct->caps,
		.seccomp = ct->seccomp,
		.rlimits = ct->rlimits,
		.n_rlimits = ct->n_rlimits,
		.init_fd = -1,
	};
	rt_spawn_child_fds(&sp, proc, &c);
	int nsflags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
		      (ct->net != RT_NET_HOST ? CLONE_NEWNET : 0);
	if (ns_join_open(ct, nsflags, &ns, err) < 0)
		goto fail;
	pid_t pid = rt_fork_in_pidns(ns.pid_ns, err);
	if (pid == 0)
		exec_child(&c, &ns, nsflags);
	ns_join_close(&ns);
	if (pid < 0 || rt_spawn_forked(&sp, pid, err) < 0 || rt_spawn_ready(&sp, ct->cg, err) < 0)
		goto fail;
	struct rt_msg m;
	int r = rt_spawn_go(&sp, &m, err);
	/* A command that cannot be exec'd is not an error here: the process
	 * exits 127/126, as a shell's would, for rt_exec_wait(). */
	if (r < 0 && m.type == RT_MSG_EXEC_FAILED)
		st_error_free(err);
	else if (r < 0)
		goto fail;
	rt_spawn_close(&sp);
	strv_free(&env);
	*out = x;
	return 0;

fail:
	st_error_prefix(err, "container `%s`: exec `%s`", ct->id, proc->argv[0]);
	ns_join_close(&ns);
	rt_spawn_close(&sp);
	strv_free(&env);
	rt_exec_free(x);
	return -1;
}

int rt_exec_wait(struct rt_exec *x, struct rt_exit *st, st_error_t *err)
{
	if (!x->p.exited) {
		if (rt_proc_reap(&x->p, true, err) < 0)
			return -1;
		rt_exit_from_status(&x->exit, x->p.status);
	}
	if (st)
		*st = x->exit;
	return 0;
}

int rt_exec_kill(struct rt_exec *x, int sig, st_error_t *err)
{
	if (rt_proc_signal(&x->p, sig) < 0)
		return st_error(err, errno, "exec: send signal %d", sig);
	return 0;
}

void rt_exec_free(struct rt_exec *x)
{
	if (!x)
		return;
	rt_proc_kill(&x->p);
	rt_proc_close(&x->p);
	free(x);
}

pid_t rt_exec_pid(const struct rt_exec *x) { return x->p.pid; }
int rt_exec_pidfd(const struct rt_exec *x) { return x->p.pidfd; }
int rt_exec_stdio(const struct rt_exec *x, int which) { return which >= 0 && which < 3 ? x->p.stdio[which] : -1; }
int rt_exec_pty(const struct rt_exec *x) { return x->p.pty_master; }

int rt_exec_take_stdio(struct rt_exec *x, int which)
{
	return rt_proc_take_stdio(&x->p, which);
}
