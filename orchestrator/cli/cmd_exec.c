/* stack exec [OPTIONS] SERVICE COMMAND [ARGS...]
 *
 * A command in a running container of SERVICE, as `docker compose exec`:
 * container PROJECT-SERVICE-N (N = --index, default 1), started by the
 * supervisor or by `stack run --name`, opened from its state dir
 * (rt_container_open, which refuses a pid that is no longer the
 * container's).  The process joins the container's namespaces and
 * cgroup with the payload's user (unless -u), capabilities,
 * no_new_privs and seccomp filter; its exit status is ours.  A TTY as
 * `stack run` gives one (when stdin and stdout are terminals, or -t);
 * without one, a terminal on our stdio is relayed through a pipe, never
 * handed to the container (run_relay.h). */
#include "cli/cli.h"
#include "cli/run_attach.h"
#include "runtime/container.h"
#include "supervisor/ctconf.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct exec_opts {
	struct run_proc_opts proc; /* -e, -u, -w, -t, -T */
	const char *service;
	struct strv command;
	bool detach;
	long index;
};

static void exec_usage(FILE *out)
{
	fputs("Usage: stack exec [OPTIONS] SERVICE COMMAND [ARGS...]\n\n"
	      "Run a command in a running container of SERVICE.\n\n"
	      "Options:\n"
	      "  -e, --env KEY[=VAL]    set an environment variable (repeatable; KEY alone: ours)\n"
	      "  -u, --user USER        run as USER (name, uid or uid:gid; default: the service's user)\n"
	      "  -w, --workdir DIR      working directory (default: the service's)\n"
	      "  -t, --tty              allocate a TTY (the default when stdin and stdout are terminals)\n"
	      "  -T, --no-TTY           do not allocate a TTY\n"
	      "  -d, --detach           run the command in the background\n"
	      "      --index N          the service's container N (default 1)\n"
	      "  -h, --help             show this help\n",
	      out);
}

/* 0: run; CLI_EXIT_USAGE: bad command line; -1: --help was printed. */
static int parse_exec_opts(int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {
		RUN_PROC_LONGOPTS,
		{"detach", no_argument, NULL, 'd'},
		{"index", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	run_proc_opts_init(&o->proc);
	o->index = 1;
	while ((c = getopt_long(argc, argv, "+" RUN_PROC_SHORTOPTS "dh", opts, NULL)) != -1) {
		int ours = run_proc_opt("exec", c, optarg, &o->proc);
		if (ours > 0)
			return ours;
		if (ours == 0)
			continue;
		switch (c) {
		case 'd':
			o->detach = true;
			break;
		case 'i': {
			char *end = NULL;
			errno = 0;
			o->index = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->index < 1 || o->index > 99999)
				return cli_usage_error("exec", "--index `%s`: want a number from 1 to 99999", optarg);
			break;
		}
		case 'h':
			exec_usage(stdout);
			return -1;
		default:
			return cli_usage_error("exec", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("exec", "missing SERVICE");
	o->service = argv[optind++];
	if (optind >= argc)
		return cli_usage_error("exec", "missing COMMAND");
	for (; optind < argc; optind++)
		strv_push(&o->command, argv[optind]);
	return 0;
}

/* -d: the process keeps running after we exit; its stdio is /dev/null. */
static int detach_stdio(int fds[3], st_error_t *err)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return st_error(err, errno, "open `/dev/null`");
	fds[0] = fds[1] = fds[2] = null;
	return 0;
}

int cmd_exec(struct cli_globals *g, int argc, char **argv)
{
	struct exec_opts o = {.proc = {.tty = -1}};
	struct spec_stack *stack = NULL;
	struct rt_container *ct = NULL;
	struct rt_exec *x = NULL;
	_cleanup_free_ char *id = NULL, *run_dir = NULL, *state_dir = NULL;
	_cleanup_error_ st_error_t err = NULL;
	int null_fd = -1;
	st_interrupt_catch();
	struct run_attach att;
	run_attach_init(&att);
	int rc = parse_exec_opts(argc, argv, &o);
	if (rc != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		goto out;
	const struct spec_service *svc = cli_find_service("exec", stack, o.service);
	if (!svc) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = CLI_EXIT_FAILURE;
	/* Names checked by the loader, the index by us: no path tricks. */
	id = xasprintf("%s-%s-%ld", stack->name, svc->name, o.index);
	run_dir = sup_project_run_dir(&g->paths, stack);
	state_dir = xasprintf("%s/%s", run_dir, id);
	if (rt_container_open(id, state_dir, &ct, &err) < 0) {
		st_error_prefix(&err, "exec: service `%s` has no running container %ld (start it with `stack up`)",
				svc->name, o.index);
		goto out;
	}
	att.tty = !o.detach && run_proc_wants_tty(&o.proc);
	struct rt_process proc = {
		.argv = (const char *const *)strv_argv(&o.command),
		.env = (const char *const *)strv_argv(&o.proc.env),
		.user = o.proc.user,
		.cwd = o.proc.workdir,
		.tty = att.tty,
		.stdio = RT_STDIO_FDS,
		.fds = {-1, -1, -1},
	};
	/* From here a stop signal stays pending until run_wait_exec()
	 * forwards it to the process. */
	sigset_t stop_set;
	st_interrupt_sigset(&stop_set);
	sigprocmask(SIG_BLOCK, &stop_set, NULL);
	if (o.detach) {
		if (detach_stdio(proc.fds, &err) < 0)
			goto out;
		null_fd = proc.fds[0];
	} else if (run_attach_prepare(&att, proc.fds, &err) < 0) {
		goto out;
	}
	int started = rt_container_exec(ct, &proc, &x, &err);
	run_attach_started(&att);
	if (started < 0)
		goto out;
	if (rt_exec_failure(x))
		fprintf(stderr, "stack: %s\n", rt_exec_failure(x));
	if (o.detach) {
		rt_exec_detach(x);
		x = NULL;
		rc = CLI_EXIT_OK;
		goto out;
	}
	int64_t grace_ms = svc->stop_grace_period / 1000000;
	struct run_wait_opts wo = {
		.stop_signal = SIGTERM,
		.grace_ms = grace_ms > INT32_MAX ? INT32_MAX : (int)grace_ms,
	};
	struct rt_exit st = {0};
	if (run_attach_wait(&att, NULL, x, rt_exec_pty(x), &wo, &st, &err) < 0)
		goto out;
	rc = st.exit_code;
	/* A file on our stdout that filled up: a success must not hide it. */
	run_attach_lost_output(&att, "exec", id, &rc);
out:
	rt_exec_free(x);
	rt_container_close(ct);
	run_attach_end(&att);
	if (null_fd >= 0)
		close(null_fd);
	if (err)
		st_error_print(&err, stderr);
	run_proc_opts_free(&o.proc);
	strv_free(&o.command);
	if (stack)
		spec_stack_free(stack);
	return rc;
}
