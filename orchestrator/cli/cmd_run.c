/* stack run [OPTIONS] SERVICE [COMMAND...]
 *
 * A one-off container with the service's settings, as `docker compose run`:
 * the exit status is the container's.  stack keeps no stopped containers
 * yet: the writable layer, mounts and cgroup are gone once it exits, so
 * --rm is what always happens (the flag is accepted for compose habits). */
#include "cli/cli.h"
#include "cli/image_resolve.h"
#include "cli/run_relay.h"
#include "cli/run_tty.h"
#include "runtime/container.h"
#include "supervisor/ctconf.h"
#include "supervisor/stale.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct run_opts {
	struct strv env;
	const char *user;
	const char *entrypoint;
	const char *workdir;
	const char *name;
	const char *service;
	struct strv command;
	int tty; /* 1: -t, 0: -T, -1: as compose, a TTY when stdin and stdout are terminals */
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
	      "      --no-deps          do not start linked services (the default today)\n",
	      out);
}

/* 0: run; CLI_EXIT_USAGE: bad command line; -1: --help was printed. */
static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{"rm", no_argument, NULL, 'r'},
		{"env", required_argument, NULL, 'e'},
		{"user", required_argument, NULL, 'u'},
		{"entrypoint", required_argument, NULL, 'E'},
		{"workdir", required_argument, NULL, 'w'},
		{"name", required_argument, NULL, 'n'},
		{"tty", no_argument, NULL, 't'},
		{"no-TTY", no_argument, NULL, 'T'},
		{"no-deps", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	o->tty = -1;
	while ((c = getopt_long(argc, argv, "+e:u:w:tTh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			strv_push(&o->env, optarg);
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'E':
			o->entrypoint = optarg;
			break;
		case 'w':
			o->workdir = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 't':
			o->tty = 1;
			break;
		case 'T':
			o->tty = 0;
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

/* Wait for the container while forwarding SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT to it.  The container is in a session of its own (never in our
 * terminal's process group), so a terminal's ^C reaches only us, and is
 * forwarded like the others; with a TTY, ^C is a byte for the container's
 * pty. */
static int run_wait(struct rt_container *ct, struct run_tty *tty, struct rt_exit *st, st_error_t *err)
{
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		/* Blocked and never read, SIGTERM would be lost: do not wait so. */
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return st_error(err, e, "signalfd for forwarding signals to the container");
	}
	bool master_open = tty != NULL;
	int r = 0;
	for (;;) {
		r = rt_container_try_wait(ct, st, err);
		if (r != 0)
			break;
		struct pollfd p[4] = {
			{.fd = rt_container_pidfd(ct), .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
			{.fd = tty && run_tty_wants_stdin(tty) ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = master_open ? tty->master : -1, .events = master_open ? run_tty_master_events(tty) : 0},
		};
		if (poll(p, ARRAY_SIZE(p), -1) < 0 && errno != EINTR) {
			r = st_error(err, errno, "poll");
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH) {
					if (tty)
						run_tty_resize(tty);
				} else {
					rt_container_kill(ct, (int)si.ssi_signo, NULL);
				}
			}
		}
		if (tty)
			master_open = run_tty_pump(tty, p[2].revents, p[3].revents) && master_open;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r < 0 ? -1 : 0;
}

int cmd_run(struct cli_globals *g, int argc, char **argv)
{
	struct run_opts o = {0};
	struct spec_stack *stack = NULL;
	struct cli_image img = {0};
	struct sup_ctconf conf = {0};
	struct rt_container *ct = NULL;
	struct strv entrypoint = {0};
	_cleanup_free_ char *name = NULL;
	_cleanup_error_ st_error_t err = NULL;
	int lock_fd = -1;
	struct run_relay relay;
	run_relay_init(&relay);
	int rc = parse_run_opts(argc, argv, &o);
	if (rc != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		goto out;
	const struct spec_service *svc = spec_find_service(stack, o.service);
	if (!svc) {
		fprintf(stderr, "stack run: no service `%s` in this stack; services:", o.service);
		for (size_t i = 0; i < stack->n_services; i++)
			fprintf(stderr, " %s", stack->services[i].name);
		fputc('\n', stderr);
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
	if (cli_image_resolve(stack, svc->image, &img, &err) < 0)
		goto out;
	name = run_container_name(stack, &o);
	/* What an earlier `stack run` killed with SIGKILL left behind. */
	if (sup_sweep_stale(stack, &err) < 0) {
		_cleanup_free_ char *t = st_error_text(err);
		fprintf(stderr, "stack run: warning: %s\n", t);
		st_error_free(&err);
	}
	if (sup_lock_take(stack, name, &lock_fd, &err) < 0)
		goto out;
	struct sup_overrides ov = {
		.env = &o.env,
		.user = o.user,
		.entrypoint = o.entrypoint ? &entrypoint : NULL,
		.command = &o.command,
		.working_dir = o.workdir,
	};
	if (sup_ctconf_build(stack, svc, name, &img.layers, &img.defaults, &ov, &conf, &err) < 0)
		goto out;
	conf.cfg.die_with_parent = true;
	bool want_tty = o.tty == 1 || (o.tty == -1 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
	conf.cfg.process.tty = want_tty;
	/* Without a pty of ours, a terminal on fd 0, 1 or 2 becomes a pipe
	 * (run_relay.h); other fds are passed as they are. */
	if (!want_tty) {
		if (run_relay_prepare(&relay, &err) < 0)
			goto out;
		conf.cfg.process.stdio = RT_STDIO_FDS;
		memcpy(conf.cfg.process.fds, relay.child, sizeof(relay.child));
	}
	int started = rt_container_start(&conf.cfg, &ct, &err);
	run_relay_close_child_ends(&relay);
	if (started == RT_START_NOT_FOUND || started == RT_START_NOT_EXECUTABLE)
		rc = -started; /* 127 / 126, as a shell and docker run report them */
	if (started < 0)
		goto out;
	const struct strv *warnings = rt_container_warnings(ct);
	for (size_t i = 0; warnings && i < warnings->n; i++)
		fprintf(stderr, "stack run: warning: %s\n", warnings->v[i]);
	struct rt_exit st = {0};
	struct run_tty tty;
	if (want_tty)
		run_tty_begin(&tty, rt_container_pty(ct));
	else if (run_relay_begin(&relay, &err) < 0)
		goto out;
	int waited = run_wait(ct, want_tty ? &tty : NULL, &st, &err);
	if (want_tty)
		run_tty_end(&tty);
	run_relay_end(&relay);
	if (waited < 0)
		goto out;
	if (st.oom_killed)
		fprintf(stderr, "stack run: %s was killed by the kernel's OOM killer (OOMKilled, exit 137): "
				"raise `mem_limit` or find the leak\n", name);
	rc = st.exit_code;
out:
	if (ct) {
		st_error_t derr = NULL;
		if (rt_container_destroy(ct, &derr) < 0)
			st_error_print(&derr, stderr);
	}
	run_relay_end(&relay);
	if (err)
		st_error_print(&err, stderr);
	sup_ctconf_remove_host_files(&conf);
	sup_lock_release(stack, name, lock_fd);
	sup_ctconf_free(&conf);
	cli_image_free(&img);
	strv_free(&entrypoint);
	strv_free(&o.env);
	strv_free(&o.command);
	if (stack)
		spec_stack_free(stack);
	return rc;
}
