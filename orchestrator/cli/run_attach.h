/* What `stack run` and `stack exec` share about the process they start:
 * the -e/-u/-w/-t/-T options, and its stdio while we wait for it (a TTY
 * of its own, or our fds with terminals, directories and files relayed
 * through pipes: run_relay.h), up to a full disk that ate its output.
 *
 *     run_attach_init(&a); a.tty = run_proc_wants_tty(&o.proc);
 *     block st_interrupt_sigset(); run_attach_prepare(&a, fds, &err);
 *     start it with fds (unless a.tty); run_attach_started(&a);
 *     run_attach_wait(&a, ct or NULL, x or NULL, pty, &wo, &st, &err);
 *     run_attach_lost_output(&a, name, &rc); ... run_attach_end(&a); */
#ifndef STACK_CLI_RUN_ATTACH_H
#define STACK_CLI_RUN_ATTACH_H

#include "cli/run_relay.h"
#include "cli/run_tty.h"
#include "cli/run_wait.h"
#include "util/strv.h"

#include <getopt.h>

struct run_proc_opts {
	struct strv env; /* KEY=VALUE; `-e KEY` alone took our value, if any */
	const char *user;
	const char *workdir; /* absolute */
	int tty;             /* 1: -t, 0: -T, -1: a TTY when stdin and stdout are terminals */
};

#define RUN_PROC_SHORTOPTS "e:u:w:tT"
#define RUN_PROC_LONGOPTS                                                                                          \
	{"env", required_argument, NULL, 'e'}, {"user", required_argument, NULL, 'u'},                               \
		{"workdir", required_argument, NULL, 'w'}, {"tty", no_argument, NULL, 't'},                          \
		{"no-TTY", no_argument, NULL, 'T'}

/* Before getopt: tty -1. */
void run_proc_opts_init(struct run_proc_opts *o);
/* Option C with ARG for command CMD: 0 when it was one of ours, -1 when
 * not, CLI_EXIT_USAGE (said on stderr) for a bad value. */
int run_proc_opt(const char *cmd, int c, const char *arg, struct run_proc_opts *o);
bool run_proc_wants_tty(const struct run_proc_opts *o);
void run_proc_opts_free(struct run_proc_opts *o);

struct run_attach {
	bool tty;
	bool term_on;
	struct run_tty term;
	struct run_relay relay;
};

/* Nothing open (run_attach_end is safe from here on); set tty before
 * run_attach_prepare. */
void run_attach_init(struct run_attach *a);
/* Without a TTY: fds[0..2] for the process (ours, or relay pipes). */
int run_attach_prepare(struct run_attach *a, int fds[3], st_error_t *err);
/* Once the start or exec returned, whether it succeeded or not. */
void run_attach_started(struct run_attach *a);
/* Relay or TTY on, then run_wait (ct) or run_wait_exec (x) until it exited.
 * pty: the process's pty master when a.tty. */
int run_attach_wait(struct run_attach *a, struct rt_container *ct, struct rt_exec *x, int pty,
		    const struct run_wait_opts *wo, struct rt_exit *st, st_error_t *err);
/* Output the relay could not write (a file on a full file system): said
 * on stderr for WHO, and a success in *rc becomes a failure. */
void run_attach_lost_output(const struct run_attach *a, const char *cmd, const char *who, int *rc);
/* Safe after init alone, and twice. */
void run_attach_end(struct run_attach *a);

#endif
