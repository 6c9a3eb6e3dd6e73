/* Termination signals for a command that must clean up before it exits.
 *
 * st_interrupt_catch() makes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2 and every other signal that would end us from outside (SIGALRM,
 * SIGXCPU, the real-time ones...: interrupt.c has the list) set a flag
 * instead of killing us, and SIGPIPE a no-op (a write to
 * a closed pipe then fails with EPIPE).  The handlers are installed
 * without SA_RESTART, so a blocking read or wait returns EINTR and its
 * caller looks at the flag: long steps (an import) stop at the next safe
 * point and undo what they made; the command exits 128+N.  Handlers, not
 * SIG_IGN, so an exec'd child starts with the default dispositions. */
#ifndef STACK_UTIL_INTERRUPT_H
#define STACK_UTIL_INTERRUPT_H

#include <signal.h>
#include <stddef.h>

/* Install the handlers (idempotent). */
void st_interrupt_catch(void);
/* The set of signals caught as a request to stop (not SIGPIPE). */
void st_interrupt_sigset(sigset_t *set);
/* The first stop signal received since st_interrupt_catch(), 0 if none. */
int st_interrupted(void);
/* Forget it (once it was acted on, e.g. forwarded to a container). */
void st_interrupt_clear(void);
/* "SIGTERM", or "SIGRTMIN+N" for the real-time signals glibc has no
 * abbreviation for; buf holds at least 16 bytes. */
const char *st_signal_name(int sig, char *buf, size_t size);

#endif
