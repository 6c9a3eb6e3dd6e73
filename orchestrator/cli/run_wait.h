/* `stack run` waiting for its container (and `stack exec` for its process): signals forwarded to it, the
 * terminal pumped when it has a TTY, and a stop that cannot hang.
 *
 * SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to us go to
 * the container (docker run's sig-proxy).  The first of TERM, INT, HUP,
 * QUIT (or our output going away: EPIPE on stdout, which then sends the
 * service's stop_signal) starts the stop grace period; when it ends, or at
 * a second one of them, the container is killed with SIGKILL, as compose
 * does when a service ignores its stop signal. */
#ifndef STACK_CLI_RUN_WAIT_H
#define STACK_CLI_RUN_WAIT_H

#include "cli/run_tty.h"
#include "runtime/container.h"

struct run_wait_opts {
	int stop_signal; /* sent when our output goes away */
	int grace_ms;    /* stop_grace_period */
};

/* Call with st_interrupt_sigset() blocked since before the container
 * started: a signal sent meanwhile is pending, and forwarded here.  tty is
 * NULL without a TTY. */
int run_wait(struct rt_container *ct, struct run_tty *tty, const struct run_wait_opts *o, struct rt_exit *st,
	     st_error_t *err);
/* The same for a process exec'd into a container (`stack exec`). */
int run_wait_exec(struct rt_exec *x, struct run_tty *tty, const struct run_wait_opts *o, struct rt_exit *st,
		  st_error_t *err);

#endif
