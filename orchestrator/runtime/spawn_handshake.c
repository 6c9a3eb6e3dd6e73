/* The parent's side of starting a container process, shared by
 * rt_container_start() and rt_container_exec(): the sync socket and
 * stdio pipes made before the fork, the pidfd after it, then READY (the
 * child's setup is done), GO (with the cgroup files to join) and the
 * child's execve.  Every wait here is bounded by the start deadline
 * (rt_config.start_timeout_ms): a bind source on a hung FUSE or NFS
 * mount, or a FIFO in an image where a file is read, would otherwise
 * freeze the caller, a supervisor's event loop included, for good. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int rt_spawn_open(struct rt_spawn *s, struct rt_proc *p, const struct rt_process *proc, const char *what,
		  int timeout_ms, st_error_t *err)
{
	*s = (struct rt_spawn){.proc = p, .what = what, .sock = {-1, -1}, .child_stdio = {-1, -1, -1},
			       .timeout_ms = timeout_ms};
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &s->deadline);
		s->deadline.tv_sec += timeout_ms / 1000;
		s->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (s->deadline.tv_nsec >= 1000000000L) {
			s->deadline.tv_sec++;
			s->deadline.tv_nsec -= 1000000000L;
		}
	}
	void *pg = mmap(NULL, sizeof(struct rt_progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		return st_error(err, errno, "mmap a page shared with the container process");
	s->progress = pg;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->sock) < 0)
		return st_error(err, errno, "socketpair");
	if (proc->tty || proc->stdio != RT_STDIO_PIPES)
		return 0;
	for (int i = 0; i < 3; i++) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			return st_error(err, errno, "pipe");
		s->child_stdio[i] = i == 0 ? fds[0] : fds[1];
		p->stdio[i] = i == 0 ? fds[1] : fds[0];
	}
	return 0;
}

void rt_spawn_child_fds(const struct rt_spawn *s, const struct rt_process *proc, struct rt_child *c)
{
	c->sync_fd = s->sock[1];
	c->progress = s->progress;
	for (int i = 0; i < 3; i++)
		c->stdio[i] = proc->tty			? -1
			      : proc->stdio == RT_STDIO_PIPES ? s->child_stdio[i]
			      : proc->stdio == RT_STDIO_FDS   ? proc->fds[i]
							      : -1;
}

int rt_spawn_forked(struct rt_spawn *s, pid_t pid, st_error_t *err)
{
	s->proc->pid = pid;
	close(s->sock[1]);
	s->sock[1] = -1;
	for (int i = 0; i < 3; i++) {
		if (s->child_stdio[i] >= 0)
			close(s->child_stdio[i]);
		s->child_stdio[i] = -1;
	}
	/* Without pidfd_open (kernels before 5.3, valgrind) the pid does:
	 * the child is ours and unreaped until it is waited for, so its pid
	 * cannot be recycled before that (see proc.c). */
	s->proc->pidfd = pidfd_open(pid, 0);
	if (s->proc->pidfd < 0 && errno != ENOSYS)
		return st_error(err, errno, "pidfd_open %d", (int)pid);
	return 0;
}

int rt_parent_recv(int sock, struct rt_msg *m, int *fd, const struct rt_cgroup_join *join, const char *step,
		   st_error_t *err)
{
	int r = rt_sync_recv(sock, m, fd);
	if (r < 0)
		return st_error(err, errno, "read from the container process (%s)", step);
	if (r == 1 && m->type == RT_MSG_ERROR)
		return st_error(err, m->status, "%s", m->text);
	if (r == 1 && m->type == RT_MSG_EXEC_FAILED) {
		st_error(err, m->status, "%s", m->text);
		return st_error_set_kind(err, m->status == ENOENT ? ST_ERR_NOT_FOUND : ST_ERR_NOT_EXECUTABLE);
	}
	if (r == 1 && m->type == RT_MSG_JOIN_FAILED) {
		unsigned long i = strtoul(m->text, NULL, 10);
		const char *path = join && i < join->n ? join->path[i] : "(unknown)";
		return st_error(err, m->status, "move the container process into its cgroup: write `0` to `%s`", path);
	}
	return r;
}

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 1000000000 ? 1000000000 : (int)ms;
}

/* Killed and reaped before its step is read: the child writes no more. */
static int timed_out(struct rt_spawn *s, const char *step, st_error_t *err)
{
	rt_proc_kill(s->proc);
	char at[sizeof(s->progress->step)];
	snprintf(at, sizeof(at), "%s", s->progress->step[0] ? s->progress->step : step);
	return st_error(err, ETIMEDOUT,
			"the %s hung at: %s (not done after start_timeout_ms = %d ms, and killed; a bind source or "
			"an image file on a hung file system, or a FIFO where a file should be?)",
			s->what, at, s->timeout_ms);
}

int rt_spawn_check(struct rt_spawn *s, const char *step, st_error_t *err)
{
	struct pollfd pfd = {.fd = s->sock[0], .events = POLLIN};
	int r;
	do
		r = poll(&pfd, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return st_error(err, errno, "poll the %s (%s)", s->what, step);
	if (r > 0)
		return 1;
	if (s->timeout_ms > 0 && ms_left(&s->deadline) == 0)
		return timed_out(s, step, err);
	return 0;
}

int rt_spawn_ms_left(const struct rt_spawn *s)
{
	return s->timeout_ms > 0 ? ms_left(&s->deadline) : -1;
}

int rt_spawn_wait(struct rt_spawn *s, const char *step, st_error_t *err)
{
	for (;;) {
		int r = rt_spawn_check(s, step, err);
		if (r != 0)
			return r;
		struct pollfd pfd = {.fd = s->sock[0], .events = POLLIN};
		if (poll(&pfd, 1, rt_spawn_ms_left(s)) < 0 && errno != EINTR)
			return st_error(err, errno, "poll the %s (%s)", s->what, step);
	}
}

int rt_spawn_ready_begin(struct rt_spawn *s, struct rt_cgroup *cg, st_error_t *err)
{
	if (cg && (rt_cgroup_join_open(cg, &s->join, err) < 0 || rt_cgroup_add_pid_v2(cg, s->proc->pid, err) < 0))
		return -1;
	return 0;
}

int rt_spawn_recv_ready(struct rt_spawn *s, st_error_t *err)
{
	struct rt_msg m;
	int r = rt_parent_recv(s->sock[0], &m, &s->proc->pty_master, NULL, "setup", err);
	if (r < 0)
		return -1;
	if (r == 0 || m.type != RT_MSG_READY)
		return st_error(err, 0, "the %s exited during setup", s->what);
	return 0;
}

int rt_spawn_send_go(struct rt_spawn *s, st_error_t *err)
{
	if (rt_sync_send_fds(s->sock[0], RT_MSG_GO, (int)s->join.n, NULL, s->join.fd, s->join.n) < 0)
		return st_error(err, errno, "signal the %s to start", s->what);
	return 0;
}

int rt_spawn_recv_exec(struct rt_spawn *s, struct rt_msg *m, st_error_t *err)
{
	m->type = 0;
	return rt_parent_recv(s->sock[0], m, NULL, &s->join, "exec", err);
}

int rt_spawn_ready(struct rt_spawn *s, struct rt_cgroup *cg, st_error_t *err)
{
	if (rt_spawn_ready_begin(s, cg, err) < 0 || rt_spawn_wait(s, "setup", err) < 0)
		return -1;
	return rt_spawn_recv_ready(s, err);
}

int rt_spawn_go(struct rt_spawn *s, struct rt_msg *m, st_error_t *err)
{
	m->type = 0;
	if (rt_spawn_send_go(s, err) < 0 || rt_spawn_wait(s, "exec", err) < 0)
		return -1;
	return rt_spawn_recv_exec(s, m, err);
}

int rt_spawn_take_sock(struct rt_spawn *s)
{
	int fd = s->sock[0];
	s->sock[0] = -1;
	return fd;
}

void rt_spawn_close(struct rt_spawn *s)
{
	rt_cgroup_join_close(&s->join);
	for (int i = 0; i < 2; i++)
		if (s->sock[i] >= 0)
			close(s->sock[i]);
	for (int i = 0; i < 3; i++)
		if (s->child_stdio[i] >= 0)
			close(s->child_stdio[i]);
	s->sock[0] = s->sock[1] = -1;
	s->child_stdio[0] = s->child_stdio[1] = s->child_stdio[2] = -1;
	if (s->progress)
		munmap(s->progress, sizeof(*s->progress));
	s->progress = NULL;
}
