/* stack up [OPTIONS] [SERVICE...]
 *
 * No supervisor runs for the project: clean up after a killed one, start a
 * supervisor (its own session, detached from us), wait until it has
 * started every selected service.  One runs: ask it to reconcile the
 * stack to the file (only changed services are recreated).  Then, without
 * -d, show the services' logs until Ctrl-C, which stops the stack
 * gracefully (a second one kills it). */
#include "cli/cli.h"
#include "cli/image_resolve.h"
#include "cli/log_reader.h"
#include "cli/sup_client.h"
#include "cli/up_build.h"
#include "supervisor/control.h"
#include "supervisor/files.h"
#include "supervisor/sup.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct up_opts {
	bool detach, no_color, no_prefix, force_recreate, no_recreate, remove_orphans, wait, no_build, build;
	int wait_timeout_s; /* -1: none */
};

static void up_usage(FILE *out)
{
	fputs("Usage: stack up [OPTIONS] [SERVICE...]\n\n"
	      "Build what is stale of the images they run, then create and start the services\n"
	      "(and what they depend on) under a supervisor.\n\n"
	      "Options:\n"
	      "  -d, --detach           return once every service is started\n"
	      "      --no-color         no colours in log prefixes (also: NO_COLOR=1)\n"
	      "      --no-log-prefix    no `service  |` prefix on log lines\n"
	      "      --force-recreate   recreate running services even if their config is unchanged\n"
	      "      --no-recreate      keep running services even if their config changed\n"
	      "      --remove-orphans   remove services no longer in the stack file\n"
	      "      --build            build what is stale before starting (the default; accepted as\n"
	      "                         compose's flag: the layer cache decides what runs again)\n"
	      "      --no-build         do not build: run the images as `stack build` left them\n"
	      "      --wait             detach once every service runs and those with a health check are\n"
	      "                         healthy; non-zero exit if one becomes unhealthy or exits\n"
	      "      --wait-timeout SECONDS  give up waiting after SECONDS (the stack keeps running)\n"
	      "  -h, --help             show this help\n",
	      out);
}

static int parse_up(int argc, char **argv, struct up_opts *o)
{
	static const struct option opts[] = {
		{"detach", no_argument, NULL, 'd'},
		{"no-color", no_argument, NULL, 'C'},
		{"no-log-prefix", no_argument, NULL, 'P'},
		{"force-recreate", no_argument, NULL, 'F'},
		{"no-recreate", no_argument, NULL, 'N'},
		{"remove-orphans", no_argument, NULL, 'O'},
		{"no-build", no_argument, NULL, 'B'},
		{"build", no_argument, NULL, 'b'},
		{"wait", no_argument, NULL, 'W'},
		{"wait-timeout", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	o->wait_timeout_s = -1;
	while ((c = getopt_long(argc, argv, "+dh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->detach = true;
			break;
		case 'C':
			o->no_color = true;
			break;
		case 'P':
			o->no_prefix = true;
			break;
		case 'F':
			o->force_recreate = true;
			break;
		case 'N':
			o->no_recreate = true;
			break;
		case 'O':
			o->remove_orphans = true;
			break;
		case 'B':
			o->no_build = true;
			break;
		case 'b':
			o->build = true;
			break;
		case 'W':
			o->wait = true;
			o->detach = true; /* as compose: --wait implies -d */
			break;
		case 'X':
			if (cli_parse_timeout("up --wait-timeout", optarg, &o->wait_timeout_s) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			up_usage(stdout);
			return -1;
		default:
			return cli_usage_error("up", "invalid option");
		}
	}
	if (o->wait_timeout_s >= 0 && !o->wait)
		return cli_usage_error("up", "--wait-timeout needs --wait");
	if (o->build && o->no_build)
		return cli_usage_error("up", "--build and --no-build exclude each other");
	if (o->force_recreate && o->no_recreate)
		return cli_usage_error("up", "--force-recreate and --no-recreate exclude each other");
	return 0;
}

/* The supervisor's process: detached from our session and terminal, its
 * stderr in the project's log dir. */
static void run_supervisor(struct cli_globals *g, struct spec_stack *stack, const struct strv *services, int ready_fd,
			   bool wait)
{
	setsid();
	/* Not holding the directory `stack up` ran in busy; a reconcile says
	 * which directory its client is in.  Relative STACK_ROOT/STACK_RUN
	 * are relative to it, though. */
	if (g->paths.root[0] == '/' && g->paths.run[0] == '/' && chdir("/") < 0)
		fprintf(stderr, "stack up: chdir /: %s\n", strerror(errno));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	_cleanup_free_ char *log_dir = sup_log_dir(&g->paths, stack->name);
	st_error_t err = NULL;
	fs_mkdir_p(log_dir, 0700, NULL);
	/* _: no service's log (SERVICE.log) can have this name */
	_cleanup_free_ char *log = xasprintf("%s/_supervisor.log", log_dir);
	/* a regular file only: a FIFO planted there would hang the start */
	int lfd = fs_open_regular(log, O_WRONLY | O_CREAT | O_APPEND, 0600, NULL);
	dup2(null, 0);
	dup2(null, 1);
	dup2(lfd >= 0 ? lfd : null, 2);
	if (lfd > 2)
		close(lfd);
	if (null > 2)
		close(null);
	setvbuf(stderr, NULL, _IOLBF, 0);
	struct spec_load_opts load = {.files = stack->files, .profiles = g->profiles, .project_name = stack->name};
	struct sup_opts so = {
		.paths = &g->paths,
		.resolve = cli_sup_resolve,
		.services = services,
		.ready_fd = ready_fd,
		.wait = wait,
		.load = &load,
	};
	int rc = sup_run(stack, &so, &err);
	if (rc < 0)
		st_error_print(&err, stderr);
	exit(rc < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start a supervisor and wait for its "ok" (sup.h), for --wait until
 * timeout_s (-1: no limit).  Takes stack. */
static int start_supervisor(struct cli_globals *g, struct spec_stack *stack, const struct strv *services, bool wait,
			    int timeout_s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "stack up: pipe: %s\n", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "stack up: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return CLI_EXIT_FAILURE;
	}
	if (pid == 0) {
		close(p[0]);
		run_supervisor(g, stack, services, p[1], wait);
	}
	close(p[1]);
	/* Lines read as they come, so that --wait-timeout can cut in. */
	int64_t deadline = timeout_s >= 0 ? mono_ms() + (int64_t)timeout_s * 1000 : -1;
	char buf[8192];
	size_t len = 0;
	int rc = -1;
	bool eof = false;
	while (!eof) {
		char *nl = memchr(buf, '\n', len);
		if (!nl && len == sizeof(buf))
			nl = buf + len - 1; /* a line that long is cut */
		if (!nl) {
			int wait_ms = deadline < 0 ? -1 : (int)(deadline - mono_ms());
			if (deadline >= 0 && wait_ms <= 0) {
				fprintf(stderr, "stack up: --wait-timeout: not every service was healthy after %d s "
						"(the stack keeps running; see `stack ps`)\n",
					timeout_s);
				rc = CLI_EXIT_FAILURE;
				break;
			}
			struct pollfd pfd = {.fd = p[0], .events = POLLIN};
			int pr = poll(&pfd, 1, wait_ms);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0)
				continue;
			ssize_t n = read(p[0], buf + len, sizeof(buf) - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				eof = true;
			else
				len += (size_t)n;
			continue;
		}
		*nl = '\0';
		char *line = buf;
		if (strcmp(line, "ok") == 0) {
			rc = CLI_EXIT_OK;
		} else if (strncmp(line, "error: ", 7) == 0) {
			fprintf(stderr, "stack up: %s\n", line + 7);
			rc = CLI_EXIT_FAILURE;
		} else {
			fprintf(stderr, " %s\n", line);
		}
		size_t used = (size_t)(nl - buf) + 1;
		memmove(buf, buf + used, len - used);
		len -= used;
	}
	close(p[0]);
	if (rc < 0) {
		_cleanup_free_ char *log_dir = sup_log_dir(&g->paths, stack->name);
		fprintf(stderr, "stack up: the supervisor exited while starting the stack; see %s/_supervisor.log\n",
			log_dir);
		rc = CLI_EXIT_FAILURE;
	}
	return rc;
}

/* Import (later: build) every image the selected services run, here,
 * before the supervisor needs them: its loop then finds them in the store
 * at once instead of stalling on a first import, and a missing or broken
 * image is an error of this command before anything starts. */
static int prepare_images(const struct cli_globals *g, const struct spec_stack *stack, const struct strv *names)
{
	struct strv todo = {0};
	strv_copy(&todo, names);
	int r = 0;
	/* the named services and, as the supervisor will, what they depend on */
	for (size_t i = 0; i < todo.n && r == 0; i++) {
		const struct spec_service *sv = spec_find_service(stack, todo.v[i]);
		if (!sv)
			continue;
		for (size_t d = 0; d < sv->n_depends_on; d++)
			if (!strv_contains(&todo, sv->depends_on[d].service))
				strv_push(&todo, sv->depends_on[d].service);
		struct cli_image img = {0};
		st_error_t err = NULL;
		if (!sv->image)
			continue;
		if (cli_image_resolve(&g->paths, stack, sv->image, &img, &err) < 0) {
			st_error_prefix(&err, "service `%s`", sv->name);
			st_error_print(&err, stderr);
			r = -1;
		}
		cli_image_free(&img);
		if (st_interrupted())
			r = -1;
	}
	strv_free(&todo);
	return r;
}

static json_t *up_request(const struct cli_globals *g, const struct spec_stack *stack, const struct up_opts *o,
			  int argc, char **argv)
{
	json_t *req = json_pack("{s:s, s:s}", "cmd", "up", "project", stack->name);
	json_t *files = json_array(), *profiles = json_array(), *env = json_array();
	for (size_t i = 0; i < stack->files.n; i++)
		json_array_append_new(files, json_string(stack->files.v[i]));
	for (size_t i = 0; i < g->profiles.n; i++)
		json_array_append_new(profiles, json_string(g->profiles.v[i]));
	for (char **e = environ; e && *e; e++) {
		json_t *s = json_string(*e);
		if (s) /* a variable that is not UTF-8 cannot travel in JSON: interpolation does not see it */
			json_array_append_new(env, s);
	}
	json_object_set_new(req, "files", files);
	json_object_set_new(req, "profiles", profiles);
	json_object_set_new(req, "env", env);
	char cwd[4096];
	json_object_set_new(req, "workdir", json_string(getcwd(cwd, sizeof(cwd)) ? cwd : stack->project_dir));
	json_object_set_new(req, "force_recreate", json_boolean(o->force_recreate));
	json_object_set_new(req, "no_recreate", json_boolean(o->no_recreate));
	json_object_set_new(req, "remove_orphans", json_boolean(o->remove_orphans));
	cli_sup_add_services(req, argc, argv);
	return req;
}

static void print_names(json_t *reply, const char *key, const char *what)
{
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(reply, key), i, v)
		fprintf(stderr, " Service %s  %s\n", json_string_value(v), what);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Fire a request and do not wait for its reply (the supervisor acts on it
 * whether or not we read the answer). */
static void send_async(const struct cli_globals *g, const struct spec_stack *stack, json_t *req)
{
	json_t *reply = NULL;
	cli_sup_request("up", g, stack, req, 500, &reply);
	json_decref(reply);
}

/* Every service of ours has ended and none will restart. */
static bool all_ended(const struct cli_globals *g, const struct spec_stack *stack)
{
	json_t *reply = NULL;
	_cleanup_free_ char *run = cli_sup_run_dir(g, stack);
	st_error_t err = NULL;
	json_t *req = json_pack("{s:s}", "cmd", "ps");
	int r = sup_ctl_request(run, req, 2000, &reply, &err);
	json_decref(req);
	st_error_free(&err);
	if (r < 0)
		return false;
	bool ended = true;
	size_t i;
	json_t *s;
	json_array_foreach (json_object_get(reply, "services"), i, s) {
		const char *st = json_string_value(json_object_get(s, "state"));
		if (!st || (strcmp(st, "exited") != 0 && strcmp(st, "removed") != 0))
			ended = false;
	}
	json_decref(reply);
	return ended;
}

/* The foreground: logs until the supervisor is gone. */
static int attach(const struct cli_globals *g, const struct spec_stack *stack, const struct strv *services,
		  const struct up_opts *o)
{
	_cleanup_free_ char *log_dir = sup_log_dir(&g->paths, stack->name);
	struct cli_log_view v;
	cli_log_view_init(&v, log_dir, services);
	v.prefix = !o->no_prefix;
	const char *nc = getenv("NO_COLOR");
	v.color = !o->no_color && !(nc && *nc) && isatty(STDOUT_FILENO);
	cli_log_view_dump(&v, -1);
	int stops = 0, rc = CLI_EXIT_OK;
	for (unsigned iter = 1; cli_sup_alive(g, stack); iter++) {
		cli_log_view_poll(&v);
		int sig = st_interrupted();
		if (!sig && !stops && cli_log_view_gone(&v))
			sig = SIGPIPE; /* our output's reader left (`up | head`): stop, as `stack run` does */
		if (sig) {
			st_interrupt_clear();
			if (stops++ == 0) {
				fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
				send_async(g, stack, json_pack("{s:s}", "cmd", "shutdown"));
			} else {
				send_async(g, stack, json_pack("{s:s, s:s}", "cmd", "kill", "signal", "SIGKILL"));
			}
			rc = 128 + sig;
		} else if (!stops && iter % 10 == 0 && all_ended(g, stack)) {
			/* as compose: the foreground ends when every container has */
			stops = 1;
			send_async(g, stack, json_pack("{s:s}", "cmd", "shutdown"));
		}
		sleep_ms(100);
	}
	cli_log_view_poll(&v);
	cli_log_view_free(&v);
	return rc;
}

/* up --wait on a running supervisor: ask ps until every service named
 * runs (and is healthy when it has a health check), one is unhealthy or
 * exited (1), or the timeout passes. */
static int wait_running(const struct cli_globals *g, const struct spec_stack *stack, const struct strv *services,
			int timeout_s)
{
	int64_t deadline = timeout_s >= 0 ? mono_ms() + (int64_t)timeout_s * 1000 : -1;
	for (;;) {
		json_t *reply = NULL;
		if (cli_sup_request("up", g, stack, json_pack("{s:s}", "cmd", "ps"), 10000, &reply) < 0)
			return CLI_EXIT_FAILURE;
		bool all = true;
		int rc = CLI_EXIT_OK;
		size_t i;
		json_t *r;
		json_array_foreach (json_object_get(reply, "services"), i, r) {
			const char *name = json_string_value(json_object_get(r, "service"));
			if (!name || !strv_contains(services, name))
				continue;
			const char *st = json_string_value(json_object_get(r, "state"));
			const char *hs = json_string_value(json_object_get(json_object_get(r, "health"), "status"));
			const char *fail = json_string_value(json_object_get(r, "health_failure"));
			if (fail) {
				fprintf(stderr, "stack up: service `%s` is unhealthy; last probe: %s\n", name, fail);
				rc = CLI_EXIT_FAILURE;
				break;
			}
			if (st && (strcmp(st, "exited") == 0 || strcmp(st, "restarting") == 0)) {
				json_t *ec = json_object_get(r, "exit_code");
				fprintf(stderr, "stack up: service `%s` exited (code %d)\n", name,
					json_is_integer(ec) ? (int)json_integer_value(ec) : -1);
				rc = CLI_EXIT_FAILURE;
				break;
			}
			if (!st || strcmp(st, "running") != 0 || (hs && strcmp(hs, "healthy") != 0))
				all = false;
		}
		json_decref(reply);
		if (rc != CLI_EXIT_OK || all)
			return rc;
		if (deadline >= 0 && mono_ms() >= deadline) {
			fprintf(stderr, "stack up: --wait-timeout: not every service was healthy after %d s "
					"(the stack keeps running; see `stack ps`)\n",
				timeout_s);
			return CLI_EXIT_FAILURE;
		}
		if (st_interrupted())
			return 128 + st_interrupted();
		sleep_ms(100);
	}
}

int cmd_up(struct cli_globals *g, int argc, char **argv)
{
	struct up_opts o = {0};
	struct spec_stack *stack = NULL;
	struct strv services = {0};
	_cleanup_error_ st_error_t err = NULL;
	int rc = parse_up(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	argc -= optind;
	argv += optind;
	rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (cli_sup_services("up", stack, argc, argv, &services) < 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	struct strv selected = {0};
	for (int i = 0; i < argc; i++)
		strv_push(&selected, argv[i]);
	if (sup_check_stack(stack, &selected, &err) < 0) {
		strv_free(&selected);
		st_error_print(&err, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	st_interrupt_catch();
	if (!o.no_build && (rc = cli_up_build(g, stack, &services)) != CLI_EXIT_OK) {
		strv_free(&selected);
		goto out;
	}
	if (prepare_images(g, stack, &services) < 0) {
		strv_free(&selected);
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	if (cli_sup_alive(g, stack)) {
		json_t *reply = NULL;
		if (cli_sup_request("up", g, stack, up_request(g, stack, &o, argc, argv), -1, &reply) < 0) {
			strv_free(&selected);
			rc = CLI_EXIT_FAILURE;
			goto out;
		}
		print_names(reply, "recreated", "Recreated");
		print_names(reply, "started", "Started");
		print_names(reply, "unchanged", "Running");
		size_t i;
		json_t *v;
		json_array_foreach (json_object_get(reply, "orphans"), i, v)
			fprintf(stderr, "stack up: warning: service `%s` is no longer in the stack file (an orphan); "
					"`stack up --remove-orphans` removes it\n", json_string_value(v));
		json_decref(reply);
		if (o.wait) {
			rc = wait_running(g, stack, &services, o.wait_timeout_s);
			if (rc != CLI_EXIT_OK) {
				strv_free(&selected);
				goto out;
			}
		}
	} else {
		int n = sup_recover(&g->paths, stack, &err);
		if (n < 0) {
			strv_free(&selected);
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
			goto out;
		}
		if (n > 0)
			fprintf(stderr, "stack up: cleaned up %d container%s of a supervisor that was killed\n", n,
				n == 1 ? "" : "s");
		struct spec_stack *owned = steal_pointer(&stack);
		rc = start_supervisor(g, owned, &selected, o.wait, o.wait_timeout_s);
		/* the supervisor has its own copy (fork); ours goes */
		stack = owned;
		if (rc != CLI_EXIT_OK) {
			strv_free(&selected);
			goto out;
		}
	}
	strv_free(&selected);
	if (!o.detach)
		rc = attach(g, stack, &services, &o);
out:
	strv_free(&services);
	if (stack)
		spec_stack_free(stack);
	return rc;
}
