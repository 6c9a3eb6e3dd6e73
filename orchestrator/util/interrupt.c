#include "util/interrupt.h"
#include "util/mem.h"

#include <string.h>

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
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
}

void st_interrupt_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	/* Every stop signal blocked while one handler runs: the first one wins. */
	st_interrupt_sigset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], &sa, NULL);
	sa.sa_handler = on_pipe;
	sigaction(SIGPIPE, &sa, NULL);
}

int st_interrupted(void) { return received; }

void st_interrupt_clear(void) { received = 0; }
