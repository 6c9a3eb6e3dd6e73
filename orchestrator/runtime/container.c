/* A started container: wait, signal, stop, destroy, accessors. */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void rt_exit_from_status(struct rt_exit *x, int status)
{
	if (WIFEXITED(status)) {
		x->exit_code = WEXITSTATUS(status);
		x->signal = 0;
	} else {
		x->signal = WTERMSIG(status);
		x->exit_code = 128 + x->signal;
	}
}

static void record_exit(struct rt_container *ct, int status)
{
	/* With init, its own status is 128+N for a payload killed by N; the
	 * payload's real wait status came over the sync socket. */
	if (ct->sync_fd >= 0) {
		struct rt_msg m;
		while (rt_sync_recv(ct->sync_fd, &m, NULL) == 1)
			if (m.type == RT_MSG_EXIT)
				status = m.status;
		close(ct->sync_fd);
		ct->sync_fd = -1;
	}
	struct rt_exit *x = &ct->exit;
	rt_exit_from_status(x, status);
	x->oom_killed = ct->cg && rt_cgroup_oom_killed(ct->cg);
	if (x->oom_killed)
		x->exit_code = 137;
	ct->exited = true;
}

static int do_wait(struct rt_container *ct, struct rt_exit *st, bool block, st_error_t *err)
{
	if (!ct->exited) {
		int status;
		pid_t w;
		do
			w = waitpid(ct->pid, &status, block ? 0 : WNOHANG);
		while (w < 0 && errno == EINTR);
		if (w < 0)
			return st_error(err, errno, "container `%s`: waitpid %d", ct->id, (int)ct->pid);
		if (w == 0)
			return 0;
		record_exit(ct, status);
	}
	if (st)
		*st = ct->exit;
	return 1;
}

int rt_container_wait(struct rt_container *ct, struct rt_exit *st, st_error_t *err)
{
	return do_wait(ct, st, true, err) < 0 ? -1 : 0;
}

int rt_container_try_wait(struct rt_container *ct, struct rt_exit *st, st_error_t *err)
{
	return do_wait(ct, st, false, err);
}

/* Without a pidfd (ct->pidfd -1: no pidfd_open), the pid names the
 * process as surely: it is our child, and a child's pid is not given to
 * another process before its parent reaps it, which only do_wait() does,
 * and only once (ct->exited).  A zombie takes a signal without error. */
int rt_signal_child(pid_t pid, int pidfd, int sig)
{
	if (pidfd >= 0)
		return pidfd_send_signal(pidfd, sig, NULL, 0);
	return pid > 0 ? kill(pid, sig) : 0;
}

int rt_container_kill(struct rt_container *ct, int sig, st_error_t *err)
{
	if (ct->exited || ct->pid <= 0)
		return 0;
	/* The pidfd, not the pid, where there is one: it also holds when a
	 * caller reaps behind our back (waitpid(-1)). */
	if (rt_signal_child(ct->pid, ct->pidfd, sig) < 0 && errno != ESRCH)
		return st_error(err, errno, "container `%s`: send signal %d", ct->id, sig);
	return 0;
}

/* Until the container's first process exits or timeout_ms pass. */
static void wait_exit_for(struct rt_container *ct, int timeout_ms)
{
	if (ct->pidfd >= 0) {
		struct pollfd pfd = {.fd = ct->pidfd, .events = POLLIN};
		while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
			;
		return;
	}
	/* No pidfd: look every 10 ms (only on kernels without pidfd_open and
	 * under valgrind; a SIGCHLD handler is the caller's to own). */
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (do_wait(ct, NULL, false, NULL) != 0)
			return;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
	}
}

int rt_container_stop(struct rt_container *ct, int timeout_ms, struct rt_exit *st, st_error_t *err)
{
	if (!ct->exited) {
		if (rt_container_kill(ct, ct->stop_signal, err) < 0)
			return -1;
		wait_exit_for(ct, timeout_ms);
		if (!ct->exited && rt_container_try_wait(ct, NULL, err) == 0 && rt_container_kill(ct, SIGKILL, err) < 0)
			return -1;
	}
	return rt_container_wait(ct, st, err);
}

int rt_container_destroy(struct rt_container *ct, st_error_t *err)
{
	if (!ct)
		return 0;
	int ret = 0;
	if (!ct->exited && ct->pid > 0) {
		rt_container_kill(ct, SIGKILL, NULL);
		if (rt_container_wait(ct, NULL, err) < 0)
			ret = -1;
	}
	/* The mounts went with the container's mount namespace when its
	 * last process exited; what remains is the cgroup and the state dir. */
	if (ct->cg && rt_cgroup_destroy(ct->cg, err) < 0)
		ret = -1;
	ct->cg = NULL;
	if (ct->state_dir && fs_remove_tree(ct->state_dir, err) < 0)
		ret = -1;
	for (int i = 0; i < 3; i++)
		if (ct->stdio[i] >= 0)
			close(ct->stdio[i]);
	if (ct->pty_master >= 0)
		close(ct->pty_master);
	if (ct->sync_fd >= 0)
		close(ct->sync_fd);
	if (ct->pidfd >= 0)
		close(ct->pidfd);
	if (ct->upper_fd >= 0)
		close(ct->upper_fd); /* and with it the lock on the caller's upper dir */
	strv_free(&ct->warnings);
	strv_free(&ct->env);
	rt_seccomp_prog_free(ct->seccomp);
	free(ct->rlimits);
	free(ct->id);
	free(ct->state_dir);
	free(ct);
	return ret;
}

int rt_container_remove_stale(const char *id, const char *state_dir, const char *cgroup_parent, st_error_t *err)
{
	struct rt_cgroup_opts opts = {.parent = cgroup_parent};
	/* Returns once the cgroup could be removed, i.e. its last process
	 * is gone, and with it the container's mount namespace. */
	if (rt_cgroup_remove_by_name(id, &opts, err) < 0)
		return st_error_prefix(err, "container `%s`", id);
	if (fs_remove_tree(state_dir, err) < 0)
		return st_error_prefix(err, "container `%s`", id);
	return 0;
}

pid_t rt_container_pid(const struct rt_container *ct) { return ct->pid; }
int rt_container_pidfd(const struct rt_container *ct) { return ct->pidfd; }
const char *rt_container_id(const struct rt_container *ct) { return ct->id; }
const char *rt_container_cgroup_path(const struct rt_container *ct) { return ct->cg ? rt_cgroup_path(ct->cg) : NULL; }
int rt_container_stdio(const struct rt_container *ct, int which) { return which >= 0 && which < 3 ? ct->stdio[which] : -1; }
int rt_container_pty(const struct rt_container *ct) { return ct->pty_master; }
const struct strv *rt_container_warnings(const struct rt_container *ct) { return &ct->warnings; }

int rt_container_take_stdio(struct rt_container *ct, int which)
{
	if (which < 0 || which > 2)
		return -1;
	int fd = ct->stdio[which];
	ct->stdio[which] = -1;
	return fd;
}
