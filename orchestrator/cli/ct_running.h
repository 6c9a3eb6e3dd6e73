/* The running containers of a project, for `stack stats` and `stack top`:
 * from the state files (supervisor/files.h), which the supervisor keeps
 * current and which outlive it, so they read the same with or without
 * one.  A container counts as running when cli_ct_alive() says so. */
#ifndef STACK_CLI_CT_RUNNING_H
#define STACK_CLI_CT_RUNNING_H

#include "cli/cli.h"
#include "runtime/cgroup.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cli_ct {
	char *service, *container;
	pid_t pid;             /* its init, on the host */
	struct rt_cgroup *cg;  /* opened, not ours to remove */
};

/* Those of the services in `names`, in the order of the state files
 * (by service name).  A container whose cgroup cannot be opened (it is
 * exiting) is left out. */
void cli_ct_running(const struct cli_globals *g, const struct spec_stack *stack, const struct strv *names,
		    struct cli_ct **out, size_t *n);
void cli_ct_free(struct cli_ct *v, size_t n);

/* What `stack stats` and `stack top` start with: the running containers
 * of the services named in ARGV (every service when ARGC is 0) into
 * *OUT and *N, the names into NAMES (the caller frees all three).
 * CLI_EXIT_OK; CLI_EXIT_USAGE for an unknown service (said on stderr);
 * CLI_EXIT_FAILURE when none runs, after saying why on stderr: the
 * project is not running, or these services are not. */
int cli_ct_running_args(const char *cmd, const struct cli_globals *g, const struct spec_stack *stack, int argc,
			char **argv, struct strv *names, struct cli_ct **out, size_t *n);

/* The one liveness check of a container from its state record (`stack
 * ps` without a supervisor, stats, top, down --rmi): its recorded pid
 * names a process of the recorded start time (not a reused pid), and that
 * process is not a zombie (an init killed with its supervisor, unreaped). */
bool cli_ct_alive(json_t *rec);

#endif
