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
}

/* An opened container's first process is another's child: the pidfd
 * says when it exited, not how. */
static int opened_wait(struct rt_container *ct, bool block)
{
	struct pollfd pfd = {.fd = ct->p.pidfd, .events = POLLIN};
	int r;
	do
		r = poll(&pfd, 1, block ? -1 : 0);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return 0;
	ct->p.exited = true;
	ct->exit = (struct rt_exit){.exit_code = -1};
	return 1;
}

static int do_wait(struct rt_container *ct, struct rt_exit *st, bool block, st_error_t *err)
{
	if (!ct->p.exited && ct->opened && opened_wait(ct, block) == 0)
		return 0;
	if (!ct->p.exited) {
		int r = rt_proc_reap(&ct->p, block, err);
		if (r < 0)
			return st_error_prefix(err, "container `%s`", ct->id);
		if (r == 0)
			return 0;
		record_exit(ct, ct->p.status);
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

int rt_container_kill(struct rt_container *ct, int sig, st_error_t *err)
{
	if (rt_proc_signal(&ct->p, sig) < 0)
		return st_error(err, errno, "container `%s`: send signal %d", ct->id, sig);
	return 0;
}

/* Until the container's first process exits or timeout_ms pass. */
static void wait_exit_for(struct rt_container *ct, int timeout_ms)
{
	if (ct->p.pidfd >= 0) {
		struct pollfd pfd = {.fd = ct->p.pidfd, .events = POLLIN};
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
	if (!ct->p.exited) {
		if (rt_container_kill(ct, ct->stop_signal, err) < 0)
			return -1;
		wait_exit_for(ct, timeout_ms);
		if (!ct->p.exited && rt_container_try_wait(ct, NULL, err) == 0 && rt_container_kill(ct, SIGKILL, err) < 0)
			return -1;
	}
	return rt_container_wait(ct, st, err);
}

/* The state dir, the fds and ct itself: what is left once the process
 * is reaped and the cgroup gone. */
static int container_free(struct rt_container *ct, st_error_t *err)
{
	int ret = 0;
	if (!ct->opened && ct->state_dir && fs_remove_tree(ct->state_dir, err) < 0)
		ret = -1;
	rt_proc_close(&ct->p);
	if (ct->sync_fd >= 0)
		close(ct->sync_fd);
	if (ct->upper_fd >= 0)
		close(ct->upper_fd); /* and with it the lock on the caller's upper dir */
	strv_free(&ct->warnings);
	strv_free(&ct->env);
	rt_seccomp_prog_free(ct->seccomp);
	free(ct->rlimits);
	free(ct->user);
	free(ct->cwd);
	free(ct->id);
	free(ct->state_dir);
	free(ct);
	return ret;
}

void rt_container_close(struct rt_container *ct)
{
	if (!ct)
		return;
	rt_cgroup_free(ct->cg); /* it outlives this handle */
	ct->cg = NULL;
	ct->opened = true;      /* nothing of it is removed */
	container_free(ct, NULL);
}

int rt_container_destroy(struct rt_container *ct, st_error_t *err)
{
	if (!ct)
		return 0;
	if (ct->opened) {
		rt_container_close(ct);
		return 0;
	}
	int ret = 0;
	if (!ct->p.exited && ct->p.pid > 0) {
		rt_container_kill(ct, SIGKILL, NULL);
		if (rt_container_wait(ct, NULL, err) < 0)
			ret = -1;
	}
	/* The mounts went with the container's mount namespace when its
	 * last process exited; what remains is the cgroup and the state dir. */
	if (ct->cg && rt_cgroup_destroy(ct->cg, err) < 0)
		ret = -1;
	ct->cg = NULL;
	if (container_free(ct, err) < 0)
		ret = -1;
	return ret;
}

/* How long a loop waits before calling rt_container_release() again: the
 * last processes of a killed container take a few ms to exit. */
#define RELEASE_RETRY_MS 10

int rt_container_release(struct rt_container *ct, int *retry_ms, st_error_t *err)
{
	*retry_ms = 0;
	if (!ct)
		return 0;
	if (ct->opened) {
		rt_container_close(ct);
		return 0;
	}
	if (!ct->p.exited && ct->p.pid > 0) {
		rt_container_kill(ct, SIGKILL, NULL);
		int r = do_wait(ct, NULL, false, err);
		if (r == 0) {
			*retry_ms = RELEASE_RETRY_MS;
			return 1;
		}
		if (r < 0) {
			/* Not ours to reap any more (a waitpid(-1) elsewhere):
			 * the cgroup still tells when it is gone. */
			st_error_free(err);
			ct->p.exited = true;
		}
	}
	int ret = 0;
	if (ct->cg) {
		int r = rt_cgroup_try_remove(ct->cg, err);
		if (r == 1) {
			*retry_ms = RELEASE_RETRY_MS;
			return 1;
		}
		ct->cg = NULL; /* removed, or freed with the error */
		if (r < 0) {
			st_error_prefix(err, "container `%s`", ct->id);
			ret = -1;
		}
	}
	if (container_free(ct, err) < 0)
		ret = -1;
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

pid_t rt_container_pid(const struct rt_container *ct) { return ct->p.pid; }
int rt_container_pidfd(const struct rt_container *ct) { return ct->p.pidfd; }
const char *rt_container_id(const struct rt_container *ct) { return ct->id; }
const char *rt_container_cgroup_path(const struct rt_container *ct) { return ct->cg ? rt_cgroup_path(ct->cg) : NULL; }
long long rt_container_oom_kills(const struct rt_container *ct) { return ct->cg ? rt_cgroup_oom_kills(ct->cg) : -1; }
int rt_container_oom_watch(const struct rt_container *ct, int *keep, st_error_t *err)
{
	*keep = -1;
	return ct->cg ? rt_cgroup_oom_watch(ct->cg, keep, err) : st_error(err, ENOENT, "no cgroup");
}
int rt_container_stdio(const struct rt_container *ct, int which) { return which >= 0 && which < 3 ? ct->p.stdio[which] : -1; }
int rt_container_pty(const struct rt_container *ct) { return ct->p.pty_master; }
const struct strv *rt_container_warnings(const struct rt_container *ct) { return &ct->warnings; }

int rt_container_take_stdio(struct rt_container *ct, int which)
{
	return rt_proc_take_stdio(&ct->p, which);
}
