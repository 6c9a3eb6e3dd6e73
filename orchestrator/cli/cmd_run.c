/* stack run [OPTIONS] SERVICE [COMMAND...]
 *
 * A one-off container with the service's settings, as `docker compose run`:
 * the exit status is the container's.  stack keeps no stopped containers
 * yet: the writable layer, mounts and cgroup are gone once it exits, so
 * --rm is what always happens (the flag is accepted for compose habits). */
#include "cli/cli.h"
#include "cli/image_resolve.h"
#include "cli/run_attach.h"
#include "runtime/container.h"
#include "spec/names.h"
#include "supervisor/ctconf.h"
#include "supervisor/network.h"
#include "supervisor/stale.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct run_opts {
	struct run_proc_opts proc; /* -e, -u, -w, -t, -T */
	const char *entrypoint;
	const char *name;
	const char *service;
	struct strv command;
};

static void run_usage(FILE *out)
{
	fputs("Usage: stack run [OPTIONS] SERVICE [COMMAND] [ARGS...]\n\n"
	      "Run a one-off container with the settings of SERVICE.\n\n"
	      "Options:\n"
	      "      --rm               remove the container when it exits (always, today)\n"
	      "  -e, --env KEY[=VAL]    set an environment variable (repeatable)\n"
	      "  -u, --user USER        run as USER (name, uid or uid:gid)\n"
	      "      --entrypoint CMD   override the entrypoint\n"
	      "  -w, --workdir DIR      working directory inside the container\n"
	      "      --name NAME        container name (default PROJECT-SERVICE-run-XXXXXX)\n"
	      "  -t, --tty              allocate a TTY (the default when stdin and stdout are terminals)\n"
	      "  -T, --no-TTY           do not allocate a TTY\n"
	      "      --no-deps          do not start linked services (the default today)\n"
	      "  -h, --help             show this help\n",
	      out);
}

/* 0: run; CLI_EXIT_USAGE: bad command line; -1: --help was printed. */
static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		RUN_PROC_LONGOPTS,
		{"rm", no_argument, NULL, 'r'},
		{"entrypoint", required_argument, NULL, 'E'},
		{"name", required_argument, NULL, 'n'},
		{"no-deps", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	run_proc_opts_init(&o->proc);
	while ((c = getopt_long(argc, argv, "+" RUN_PROC_SHORTOPTS "h", opts, NULL)) != -1) {
		int ours = run_proc_opt("run", c, optarg, &o->proc);
		if (ours > 0)
			return ours;
		if (ours == 0)
			continue;
		switch (c) {
		case 'E':
			o->entrypoint = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'r': /* --rm: what always happens (see the top of this file) */
		case 'D': /* --no-deps: linked services are never started yet */
			break;
		case 'h':
			run_usage(stdout);
			return -1;
		default:
			return cli_usage_error("run", "invalid option");
		}
	}
	/* The name becomes STACK_RUN/PROJECT/NAME.lock and a state dir: check it
	 * before anything on disk is touched. */
	if (o->name && !spec_name_valid(o->name)) {
		_cleanup_free_ char *shown = spec_name_printable(o->name);
		return cli_usage_error("run", "--name: invalid container name `%s`: %s", shown, SPEC_NAME_HINT);
	}
	if (o->name && sup_id_is_reserved(o->name))
		return cli_usage_error("run", "--name: invalid container name `%s`: %s (stack's own files for "
					      "another container are named so)", o->name, SUP_ID_RESERVED_HINT);
	if (optind >= argc)
		return cli_usage_error("run", "missing SERVICE");
	o->service = argv[optind++];
	for (; optind < argc; optind++)
		strv_push(&o->command, argv[optind]);
	return 0;
}

static char *run_container_name(const struct spec_stack *stack, const struct run_opts *o)
{
	if (o->name)
		return xstrdup(o->name);
	unsigned char rnd[3] = {0};
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd[0] = (unsigned char)getpid();
	return xasprintf("%s-%s-run-%02x%02x%02x", stack->name, o->service, rnd[0], rnd[1], rnd[2]);
}

/* A stop signal caught before the container ran: what was made is undone
 * on the way out and we exit as the signal would have made us (128+N). */
static bool run_interrupted(int *rc)
{
	int sig = st_interrupted();
	if (sig)
		*rc = 128 + sig;
	return sig != 0;
}

int cmd_run(struct cli_globals *g, int argc, char **argv)
{
	struct run_opts o = {.proc = {.tty = -1}};
	struct spec_stack *stack = NULL;
	struct cli_image img = {0};
	struct sup_ctconf conf = {0};
	struct rt_container *ct = NULL;
	struct strv entrypoint = {0};
	/* As compose's run: the one-off container joins the project's
	 * networks (its service's address when free, else one of its own).
	 * Networks no `stack up` keeps it removes again when nothing else of
	 * the project runs (stack keeps nothing of a one-off container). */
	struct sup_nets nets = {0};
	struct sup_net_attach attach = {0};
	struct strv extra_hosts = {0};
	bool on_networks = false;
	_cleanup_free_ char *name = NULL;
	_cleanup_error_ st_error_t err = NULL;
	int lock_fd = -1;
	/* From the first step: a ^C during a long import must not strand
	 * its temp dir, nor a SIGTERM during setup a cgroup. */
	st_interrupt_catch();
	struct run_attach att;
	run_attach_init(&att);
	int rc = parse_run_opts(argc, argv, &o);
	if (rc != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		goto out;
	const struct spec_service *svc = cli_find_service("run", stack, o.service);
	if (!svc) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.entrypoint) {
		char *msg = NULL;
		if (spec_shell_split(o.entrypoint, &entrypoint, &msg) < 0) {
			rc = cli_usage_error("run", "--entrypoint: %s", msg);
			free(msg);
			goto out;
		}
	}
	rc = CLI_EXIT_FAILURE;
	if (cli_image_resolve(&g->paths, stack, svc->image, &img, &err) < 0 || run_interrupted(&rc))
		goto out;
	name = run_container_name(stack, &o);
	/* What an earlier `stack run` killed with SIGKILL left behind. */
	if (sup_sweep_stale(&g->paths, stack, &err) < 0) {
		_cleanup_free_ char *t = st_error_text(err);
		fprintf(stderr, "stack run: warning: %s\n", t);
		st_error_free(&err);
	}
	if (run_interrupted(&rc) || sup_lock_take(&g->paths, stack, name, &lock_fd, &err) < 0)
		goto out;
	struct sup_overrides ov = {
		.env = &o.proc.env,
		.user = o.proc.user,
		.entrypoint = o.entrypoint ? &entrypoint : NULL,
		.command = &o.command,
		.working_dir = o.proc.workdir,
	};
	if (sup_ctconf_build(&g->paths, stack, svc, name, &img.layers, &img.defaults, &ov, &conf, &err) < 0)
		goto out;
	if (svc->network_mode == SPEC_NET_SERVICE) {
		st_error(&err, 0,
			 "service `%s` shares the network namespace of service `%s` (`network_mode: service:%s`): "
			 "`stack run` cannot join it; run `%s` with `stack up`, or give `%s` a network of its own",
			 svc->name, svc->network_service, svc->network_service, svc->name, svc->name);
		goto out;
	}
	if (svc->network_mode == SPEC_NET_PRIVATE) {
		on_networks = true;
		if (sup_net_setup_oneoff(&g->paths, stack, &nets, &err) < 0 ||
		    sup_net_attach_prepare(&g->paths, stack, &nets, svc, name, true, &attach, &extra_hosts, &err) < 0)
			goto out;
		conf.cfg.net_hook = sup_net_attach_hook;
		conf.cfg.net_hook_data = &attach;
		conf.cfg.extra_hosts = (const char *const *)strv_argv(&extra_hosts);
	}
	conf.cfg.die_with_parent = true;
	att.tty = run_proc_wants_tty(&o.proc);
	conf.cfg.process.tty = att.tty;
	/* From here a stop signal stays pending until run_wait() forwards it
	 * to the container; one caught before ends us here. */
	sigset_t stop_set;
	st_interrupt_sigset(&stop_set);
	sigprocmask(SIG_BLOCK, &stop_set, NULL);
	if (run_interrupted(&rc))
		goto out;
	/* Without a pty of ours, a terminal on fd 0, 1 or 2 becomes a pipe
	 * (run_relay.h); other fds are passed as they are. */
	if (!att.tty) {
		if (run_attach_prepare(&att, conf.cfg.process.fds, &err) < 0)
			goto out;
		conf.cfg.process.stdio = RT_STDIO_FDS;
	}
	int started = rt_container_start(&conf.cfg, &ct, &err);
	run_attach_started(&att);
	if (started < 0) {
		/* 127 / 126, as a shell and docker run report them */
		if (st_error_kind(err) == ST_ERR_NOT_FOUND)
			rc = 127;
		else if (st_error_kind(err) == ST_ERR_NOT_EXECUTABLE)
			rc = 126;
		goto out;
	}
	const struct strv *warnings = rt_container_warnings(ct);
	for (size_t i = 0; warnings && i < warnings->n; i++)
		fprintf(stderr, "stack run: warning: %s\n", warnings->v[i]);
	struct rt_exit st = {0};
	int64_t grace_ms = svc->stop_grace_period / 1000000;
	struct run_wait_opts wo = {
		.stop_signal = conf.cfg.stop_signal ? conf.cfg.stop_signal : SIGTERM,
		.grace_ms = grace_ms > INT32_MAX ? INT32_MAX : (int)grace_ms,
	};
	if (run_attach_wait(&att, ct, NULL, rt_container_pty(ct), &wo, &st, &err) < 0)
		goto out;
	if (st.oom_killed)
		fprintf(stderr, "stack run: %s was killed by the kernel's OOM killer (OOMKilled, exit 137): "
				"raise `mem_limit` or find the leak\n", name);
	rc = st.exit_code;
	/* A file on our stdout that filled up: the output is lost, and a
	 * success must not hide it. */
	run_attach_lost_output(&att, "run", name, &rc);
out:
	if (ct) {
		st_error_t derr = NULL;
		/* Something of the container stayed on the host: a success
		 * must not hide it (a failing container keeps its status). */
		if (rt_container_destroy(ct, &derr) < 0) {
			st_error_print(&derr, stderr);
			if (rc == CLI_EXIT_OK)
				rc = CLI_EXIT_FAILURE;
		}
	}
	if (err && st_interrupted() && !ct) {
		/* The step it stopped says EINTR: not an error of its own. */
		st_error_free(&err);
		rc = 128 + st_interrupted();
	}
	run_attach_end(&att);
	if (err)
		st_error_print(&err, stderr);
	else if (!ct && st_interrupted()) {
		char sig_name[32];
		fprintf(stderr, "stack run: stopped by %s before the container started\n",
			st_signal_name(st_interrupted(), sig_name, sizeof(sig_name)));
	}
	if (attach.id) {
		st_error_t nerr = NULL;
		if (sup_net_release_container(&g->paths, stack, &attach, &nerr) < 0) {
			_cleanup_free_ char *t = st_error_text(nerr);
			fprintf(stderr, "stack run: warning: %s\n", t);
			st_error_free(&nerr);
		}
	}
	if (on_networks) {
		st_error_t nerr = NULL;
		if (sup_net_teardown_if_unused(&g->paths, stack, name, &nerr) < 0) {
			st_error_print(&nerr, stderr);
			if (rc == CLI_EXIT_OK)
				rc = CLI_EXIT_FAILURE;
		}
	}
	sup_net_attach_free(&attach);
	sup_nets_free(&nets);
	strv_free(&extra_hosts);
	sup_ctconf_remove_host_files(&conf);
	sup_lock_release(&g->paths, stack, name, lock_fd);
	sup_ctconf_free(&conf);
	cli_image_free(&img);
	strv_free(&entrypoint);
	run_proc_opts_free(&o.proc);
	strv_free(&o.command);
	if (stack)
		spec_stack_free(stack);
	return rc;
}
