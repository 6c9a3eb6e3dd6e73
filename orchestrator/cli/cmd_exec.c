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
#include "cli/run_relay.h"
#include "cli/run_tty.h"
#include "cli/run_wait.h"
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
	struct strv env;
	const char *user;
	const char *workdir;
	const char *service;
	struct strv command;
	int tty; /* 1: -t, 0: -T, -1: a TTY when stdin and stdout are terminals */
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
	      "      --index N          the service's container N (default 1)\n",
	      out);
}

/* 0: run; CLI_EXIT_USAGE: bad command line; -1: --help was printed. */
static int parse_exec_opts(int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {
		{"env", required_argument, NULL, 'e'},
		{"user", required_argument, NULL, 'u'},
		{"workdir", required_argument, NULL, 'w'},
		{"tty", no_argument, NULL, 't'},
		{"no-TTY", no_argument, NULL, 'T'},
		{"detach", no_argument, NULL, 'd'},
		{"index", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	o->tty = -1;
	o->index = 1;
	while ((c = getopt_long(argc, argv, "+e:u:w:tTdh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (optarg[0] == '=' || !optarg[0])
				return cli_usage_error("exec", "-e `%s`: want KEY=VALUE or KEY", optarg);
			if (strchr(optarg, '='))
				strv_push(&o->env, optarg);
			else if (getenv(optarg))
				strv_pushf(&o->env, "%s=%s", optarg, getenv(optarg));
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return cli_usage_error("exec", "--workdir `%s`: want an absolute path", optarg);
			o->workdir = optarg;
			break;
		case 't':
			o->tty = 1;
			break;
		case 'T':
			o->tty = 0;
			break;
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
	struct exec_opts o = {0};
	struct spec_stack *stack = NULL;
	struct rt_container *ct = NULL;
	struct rt_exec *x = NULL;
	_cleanup_free_ char *id = NULL, *run_dir = NULL, *state_dir = NULL;
	_cleanup_error_ st_error_t err = NULL;
	int null_fd = -1;
	st_interrupt_catch();
	struct run_relay relay;
	run_relay_init(&relay);
	int rc = parse_exec_opts(argc, argv, &o);
	if (rc != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		goto out;
	const struct spec_service *svc = spec_find_service(stack, o.service);
	if (!svc) {
		fprintf(stderr, "stack exec: no service `%s` in this stack; services:", o.service);
		for (size_t i = 0; i < stack->n_services; i++)
			fprintf(stderr, " %s", stack->services[i].name);
		fputc('\n', stderr);
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
	bool want_tty = !o.detach && (o.tty == 1 || (o.tty == -1 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)));
	struct rt_process proc = {
		.argv = (const char *const *)strv_argv(&o.command),
		.env = (const char *const *)strv_argv(&o.env),
		.user = o.user,
		.cwd = o.workdir,
		.tty = want_tty,
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
	} else if (!want_tty) {
		if (run_relay_prepare(&relay, &err) < 0)
			goto out;
		memcpy(proc.fds, relay.child, sizeof(relay.child));
	}
	int started = rt_container_exec(ct, &proc, &x, &err);
	run_relay_close_child_ends(&relay);
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
	struct run_tty tty;
	if (want_tty)
		run_tty_begin(&tty, rt_exec_pty(x));
	int64_t grace_ms = svc->stop_grace_period / 1000000;
	struct run_wait_opts wo = {
		.stop_signal = SIGTERM,
		.grace_ms = grace_ms > INT32_MAX ? INT32_MAX : (int)grace_ms,
	};
	struct rt_exit st = {0};
	if (!want_tty && run_relay_begin(&relay, &err) < 0)
		goto out;
	int waited = run_wait_exec(x, want_tty ? &tty : NULL, &wo, &st, &err);
	if (want_tty)
		run_tty_end(&tty);
	run_relay_end(&relay);
	if (waited == 0)
		rc = st.exit_code;
out:
	rt_exec_free(x);
	rt_container_close(ct);
	run_relay_end(&relay);
	if (null_fd >= 0)
		close(null_fd);
	if (err)
		st_error_print(&err, stderr);
	strv_free(&o.env);
	strv_free(&o.command);
	if (stack)
		spec_stack_free(stack);
	return rc;
}
