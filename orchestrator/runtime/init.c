/* Our init: PID 1 of the container when cfg->init is set.
 *
 * It is the runtime's own child carrying on (no exec of a tini-like
 * binary): it forks the payload, forwards the usual termination and
 * job-control signals to it, reaps every zombie re-parented to it (a
 * payload that is not written to be PID 1 never reaps them), and exits
 * with the payload's status, 128+N for signal N.  The exact wait status
 * also goes to the parent over the sync socket, so rt_container_wait()
 * can tell "killed by SIGTERM" from "exited 143". */
#include "runtime/internal.h"
#include "util/proctitle.h"

#include <cap-ng.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void rt_init_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

/* Once the payload runs, init only waits and forwards signals: it keeps
 * CAP_KILL (the payload may run as another uid) and sheds every other
 * capability, bounding set included, and can never regain one (no new
 * privileges).  A payload that gets hold of init gains nothing.  Best
 * effort: init has nowhere to report a failure, and the container's own
 * limits hold either way. */
static void init_shed_privileges(void)
{
	st_proctitle_set("stack-init");
	capng_clear(CAPNG_SELECT_BOTH);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET, CAP_KILL);
	capng_apply(CAPNG_SELECT_BOTH);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

void rt_init_run(struct rt_child *c)
{
	st_error_t err = NULL;
	/* The signals are blocked since the fork (see spawn.c): one sent
	 * before we wait for it stays pending instead of being lost. */
	int execp[2];
	if (pipe2(execp, O_CLOEXEC) < 0) {
		st_error(&err, errno, "init: pipe");
		rt_child_fail(c->sync_fd, &err, 127);
	}
	pid_t payload = fork();
	if (payload < 0) {
		st_error(&err, errno, "init: fork the payload");
		rt_child_fail(c->sync_fd, &err, 127);
	}
	if (payload == 0) {
		close(execp[0]);
		rt_payload_exec(c); /* execp[1] closes on exec */
	}
	close(execp[1]);
	for (int i = 0; i < 3; i++)
		if (c->stdio[i] > 2)
			close(c->stdio[i]);
	/* EOF once the payload exec'd (or failed, after reporting it). */
	char b;
	while (read(execp[0], &b, 1) < 0 && errno == EINTR)
		;
	close(execp[0]);
	rt_sync_send(c->sync_fd, RT_MSG_STARTED, (int)payload, NULL, -1);
	init_shed_privileges();

	sigset_t set;
	rt_init_sigset(&set);
	int status = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(payload, sig);
			continue;
		}
		bool done = false;
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG);
			if (w <= 0)
				break;
			if (w == payload) {
				status = st;
				done = true;
			}
		}
		if (done)
			break;
	}
	rt_sync_send(c->sync_fd, RT_MSG_EXIT, status, NULL, -1);
	/* Our exit takes the rest of the pid namespace with it. */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
