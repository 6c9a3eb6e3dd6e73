/* One process of ours in a container (struct rt_proc in internal.h): the
 * container's first process or an exec'd one, waited for, signalled and
 * torn down in one place. */
#include "runtime/internal.h"

#include <errno.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

void rt_proc_init(struct rt_proc *p)
{
	p->pid = -1;
	p->pidfd = p->pty_master = -1;
	p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
	p->exited = false;
	p->status = 0;
}

int rt_proc_reap(struct rt_proc *p, bool block, st_error_t *err)
{
	if (p->exited)
		return 1;
	if (p->pid <= 0)
		return st_error(err, ECHILD, "waitpid: no process");
	int status;
	pid_t w;
	do
		w = waitpid(p->pid, &status, block ? 0 : WNOHANG);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return st_error(err, errno, "waitpid %d", (int)p->pid);
	if (w == 0)
		return 0;
	p->exited = true;
	p->status = status;
	return 1;
}

/* Without a pidfd (no pidfd_open), the pid names the process as surely:
 * it is our child, and a child's pid is not given to another process
 * before its parent reaps it, which only rt_proc_reap() does, and only
 * once (p->exited).  A zombie takes a signal without error.  The pidfd,
 * where there is one, also holds when a caller reaps behind our back
 * (waitpid(-1)). */
int rt_proc_signal(struct rt_proc *p, int sig)
{
	if (p->exited || p->pid <= 0)
		return 0;
	int r = p->pidfd >= 0 ? pidfd_send_signal(p->pidfd, sig, NULL, 0) : kill(p->pid, sig);
	return r < 0 && errno != ESRCH ? -1 : 0;
}

void rt_proc_kill(struct rt_proc *p)
{
	if (p->exited || p->pid <= 0)
		return;
	rt_proc_signal(p, SIGKILL);
	rt_proc_reap(p, true, NULL);
}

void rt_proc_close(struct rt_proc *p)
{
	for (int i = 0; i < 3; i++) {
		if (p->stdio[i] >= 0)
			close(p->stdio[i]);
		p->stdio[i] = -1;
	}
	if (p->pty_master >= 0)
		close(p->pty_master);
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pty_master = p->pidfd = -1;
}

int rt_proc_take_stdio(struct rt_proc *p, int which)
{
	if (which < 0 || which > 2)
		return -1;
	int fd = p->stdio[which];
	p->stdio[which] = -1;
	return fd;
}
