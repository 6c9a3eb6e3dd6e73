/* stack-init: PID 1 of a container started with `init: true`.
 *
 * The runtime execs it as the container's first process once the setup
 * shared with the payload is done (see runtime/init_abi.h for the
 * contract), so it runs with the payload's uid, capabilities,
 * no_new_privs and seccomp filter, and with nothing of the host: a fresh
 * address space, the payload's environment, fds 0-2 and the sync socket.
 * It forks the payload, forwards the usual termination and job-control
 * signals to it, reaps every zombie re-parented to it (a payload that is
 * not written to be PID 1 never reaps them), and exits with the payload's
 * status, 128+N for signal N.  The exact wait status also goes to the
 * runtime over the sync socket, so it can tell "killed by SIGTERM" from
 * "exited 143".
 *
 * Statically linked (no dynamic loader to map and relocate at each start)
 * and kept to libc: it only needs a dozen syscalls, all of them in the
 * default seccomp profile. */
#include "runtime/init_abi.h"
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

__attribute__((noreturn)) static void fail(int sync_fd, int e, const char *what)
{
	rt_sync_send(sync_fd, RT_MSG_ERROR, e, what, -1);
	_exit(127);
}

/* Once the payload runs, init only waits, reaps and forwards signals to a
 * process of its own uid: it needs no capability at all.  Shedding them
 * (bounding set first, which takes CAP_SETPCAP) leaves nothing to gain
 * for whoever got hold of init.  Best effort: init has nowhere to report
 * a failure, and the container's own limits hold either way. */
static void shed_capabilities(void)
{
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the kernel's last capability */
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	syscall(SYS_capset, &h, d);
}

__attribute__((noreturn)) static void payload(int sync_fd, bool tty, char **argv)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (tty) {
		/* A session of its own whose controlling terminal is the pty
		 * slave (fds 0-2), so ^C at the master reaches the payload's
		 * process group and not init. */
		if (setsid() < 0)
			fail(sync_fd, errno, "setsid");
		if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
			fail(sync_fd, errno, "TIOCSCTTY on the pty");
	}
	int e = rt_exec_search(argv, environ, getenv("PATH"));
	char msg[512];
	snprintf(msg, sizeof(msg), "exec `%s`", argv[0]);
	/* A distinct message: the runtime maps it to 127/126 as a shell does. */
	rt_sync_send(sync_fd, RT_MSG_EXEC_FAILED, e, msg, -1);
	_exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	/* First: a non-dumpable process's /proc/1/{mem,environ,exe,fd} and
	 * ptrace are refused to everyone in the container without
	 * CAP_SYS_PTRACE, and /proc/1/exe (the host file we run from) cannot
	 * even be opened O_PATH for a later reopen for writing (CVE-2019-5736).
	 * Until here we were the only process in the pid namespace. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fputs("stack-init: started by the stack runtime only (usage: stack-init SYNC_FD t|- -- ARGV...)\n",
		      stderr);
		return 127;
	}
	int sync_fd = atoi(argv[1]);
	bool tty = strcmp(argv[2], "t") == 0;
	sigset_t set;
	rt_init_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* The payload keeps the socket until its execve, to report a failure. */
	fcntl(sync_fd, F_SETFD, FD_CLOEXEC);

	int execp[2];
	if (pipe2(execp, O_CLOEXEC) < 0)
		fail(sync_fd, errno, "init: pipe");
	pid_t pid = fork();
	if (pid < 0)
		fail(sync_fd, errno, "init: fork the payload");
	if (pid == 0)
		payload(sync_fd, tty, argv + 4); /* execp[1] closes on exec */
	close(execp[1]);
	/* The payload's stdio is the payload's: init writes nothing, and
	 * holding a pipe or the pty open would hide its EOF or hangup. */
	for (int fd = 0; fd < 3; fd++)
		if (fd != sync_fd)
			close(fd);
	/* EOF once the payload exec'd (or failed, after reporting it). */
	char b;
	while (read(execp[0], &b, 1) < 0 && errno == EINTR)
		;
	close(execp[0]);
	rt_sync_send(sync_fd, RT_MSG_STARTED, (int)pid, NULL, -1);
	shed_capabilities();

	int status = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		bool done = false;
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG);
			if (w <= 0)
				break;
			if (w == pid) {
				status = st;
				done = true;
			}
		}
		if (done)
			break;
	}
	rt_sync_send(sync_fd, RT_MSG_EXIT, status, NULL, -1);
	/* Our exit takes the rest of the pid namespace with it. */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
