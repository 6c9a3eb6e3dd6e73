#include "util/interrupt.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

/* Every signal whose default action ends the process and that comes
 * from outside (kill(1), a timer or limit we set, a terminal): killed by
 * one, we would leave the container's state, lock and cgroup behind.
 * SIGPIPE is handled apart; the synchronous faults (SEGV, BUS, FPE, ILL,
 * ABRT) are bugs of ours and keep their default. */
static const int stop_signals[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,   SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM,
				   SIGPROF, SIGXCPU, SIGXFSZ, SIGSTKFLT, SIGPWR,  SIGIO,   SIGSYS,  SIGTRAP};
static volatile sig_atomic_t received;

static void on_stop(int sig)
{
	if (!received)
		received = sig;
}

static void on_pipe(int sig) { (void)sig; }

void st_interrupt_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaddset(set, stop_signals[i]);
	/* The real-time signals end a process by default too. */
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

void st_interrupt_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	/* Every stop signal blocked while one handler runs: the first one wins. */
	st_interrupt_sigset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&sa.sa_mask, sig) == 1)
			sigaction(sig, &sa, NULL);
	sa.sa_handler = on_pipe;
	sigaction(SIGPIPE, &sa, NULL);
}

int st_interrupted(void) { return received; }

void st_interrupt_clear(void) { received = 0; }

const char *st_signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
}
