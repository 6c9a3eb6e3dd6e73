/* What the runtime and our init binary, `stack-init` (init/main.c), agree
 * on.  stack-init is a separate, statically linked program, not a fork of
 * the `stack` process carrying on: a fork would hold the host's
 * environment, the caller's heap (other services' env_file values, parsed
 * stack files) and its fds for as long as the container lives, all
 * readable through /proc/1/{environ,mem} by root in the container.  An
 * exec'd init holds only what it was given.
 *
 * The container's first process does the payload's shared setup (rlimits,
 * user, capabilities, cwd, no_new_privs, seccomp), then execs stack-init
 * through a fd opened on the host before the fork, with the payload's
 * environment:
 *
 *     stack-init SYNC_FD MODE -- ARGV...
 *
 * SYNC_FD is the sync socket (the one fd left open besides 0, 1, 2), MODE
 * is "t" when fds 0-2 are the pty slave (the payload must make it its
 * controlling terminal), "-" otherwise.  init then speaks the sync
 * protocol of internal.h: RT_MSG_EXEC_FAILED (the payload's execve
 * failed: status = errno) or RT_MSG_ERROR, then RT_MSG_STARTED (status =
 * the payload's pid), and at the end RT_MSG_EXIT (status = its wait
 * status).  The forwarded signals stay blocked from the fork in the
 * runtime to init's sigwaitinfo(): one sent meanwhile stays pending
 * (blocked signals and the mask survive execve). */
#ifndef STACK_RUNTIME_INIT_ABI_H
#define STACK_RUNTIME_INIT_ABI_H

#include <signal.h>
#include <stddef.h>

/* The file name, looked for next to the running `stack` (see init.c). */
#define RT_INIT_NAME "stack-init"

/* The signals init forwards to the payload (`stack run` forwards what it
 * gets, as docker's sig-proxy): all but those no process can catch, the
 * faults init could raise itself (SEGV BUS FPE ILL ABRT: blocked, they
 * would kill it), and the terminal stops; SIGCHLD is for reaping. */
static inline void rt_init_sigset(sigset_t *set)
{
	static const int kept[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,
				   SIGILL,  SIGABRT, SIGTSTP, SIGTTIN, SIGTTOU};
	sigfillset(set);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		sigdelset(set, kept[i]);
	/* glibc's own two (below SIGRTMIN) are not ours to take. */
	for (int sig = SIGRTMAX + 1; sig < NSIG; sig++)
		sigdelset(set, sig);
	for (int sig = 32; sig < SIGRTMIN; sig++)
		sigdelset(set, sig);
}

/* exec_search.c: execve argv[0], searched in `path` (the container's
 * PATH, not the caller's, which execvpe() would use) when it has no '/'.
 * Returns the errno to report: EACCES if some candidate was not
 * executable, else ENOENT or the first other error. */
int rt_exec_search(char *const *argv, char *const *envp, const char *path);

#endif
