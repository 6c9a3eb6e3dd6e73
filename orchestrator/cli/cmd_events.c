/* stack events [--json] [--since T] [--until T] [SERVICE...]
 *
 * The supervisor's events (supervisor/event_rec.h) from the project's
 * events file (cli/event_reader.h).  With a supervisor alive: what
 * happens from now on (from --since on, when given), until Ctrl-C, the
 * stack goes down, or --until passes.  With none: the recorded history,
 * and a word on stderr that the stack is not running.  The file, not the
 * control socket, is the source in both cases, as for `stack logs`: the
 * same reader with or without a supervisor, and nothing for the
 * supervisor to hold per follower. */
#include "cli/cli.h"
#include "cli/event_reader.h"
#include "cli/log_time.h"
#include "cli/printable.h"
#include "cli/sup_client.h"
#include "supervisor/files.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct view {
	const struct strv *names;
	bool json;
	int64_t since, until; /* ns since the epoch; INT64_MIN / INT64_MAX: none */
	bool gone;            /* stdout failed */
	size_t shown;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --since/--until: the forms `stack logs` takes (cli/log_time.h: an RFC
 * 3339 time in any zone, a Unix time, a duration back from now), parsed
 * by the same code so the two commands agree on what a time is. */
static int parse_when(const char *opt, const char *s, int64_t *out)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char utc[40];
	char *msg = NULL;
	if (cli_log_time_parse(s, &now, utc, &msg) == 0 && sup_event_parse_time(utc, out) == 0)
		return 0;
	/* The parsed form always converts: a failure is the user's. */
	_cleanup_free_ char *shown = cli_printable(msg ? msg : s);
	free(msg);
	return cli_usage_error("events", "%s: %s; %s", opt, shown, CLI_LOG_TIME_HINT);
}

static bool wanted(const struct strv *names, const char *service)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], service) == 0)
			return true;
	return false;
}

static void print_text(const struct sup_event_rec *r)
{
	/* as docker compose events: "2026-12-02 05:00:00.123456 container die NAME (k=v, ...)" */
	char t[40];
	snprintf(t, sizeof(t), "%s", r->time);
	char *T = strchr(t, 'T');
	if (T)
		*T = ' ';
	char *dot = strchr(t, '.');
	if (dot && strlen(dot) > 7)
		dot[7] = '\0';
	else if ((dot = strchr(t, 'Z')))
		*dot = '\0';
	printf("%s container %s %s (", t, r->action, r->container);
	const char *k;
	json_t *v;
	json_object_foreach (r->attributes, k, v) {
		char *val = json_is_string(v) ? xstrdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
		printf("%s=%s, ", k, val ? val : "?");
		free(val);
	}
	printf("service=%s)\n", r->service);
}

static void on_event(const struct sup_event_rec *r, void *ctx)
{
	struct view *v = ctx;
	if (v->gone || !wanted(v->names, r->service) || r->time_ns < v->since || r->time_ns > v->until)
		return;
	if (v->json) {
		char *t = json_dumps(r->obj, JSON_COMPACT);
		if (t)
			puts(t);
		free(t);
	} else {
		print_text(r);
	}
	v->shown++;
	if (fflush(stdout) != 0 || ferror(stdout))
		v->gone = true;
}

int cmd_events(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct view v = {.since = INT64_MIN, .until = INT64_MAX};
	bool have_since = false;
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			v.json = true;
			break;
		case 's':
			if (parse_when("--since", optarg, &v.since) != 0)
				return CLI_EXIT_USAGE;
			have_since = true;
			break;
		case 'u':
			if (parse_when("--until", optarg, &v.until) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			fputs("Usage: stack events [OPTIONS] [SERVICE...]\n\n"
			      "Show the containers' events: create, start, die, oom, health_status, restart, kill,\n"
			      "stop, destroy. With the stack running, follows them until Ctrl-C or the stack goes\n"
			      "down; with it down, prints what was recorded (the latest 7000 or more, kept after\n"
			      "down).\n\n"
			      "Options:\n"
			      "      --json             one JSON object per event and line\n"
			      "      --since T          the recorded events from T first; T is an RFC 3339 time\n"
			      "                         (2026-12-02T04:30:00Z, +02:00, no zone: local time), a Unix\n"
			      "                         time (1764649800), or a duration back from now (10m, 1h30m)\n"
			      "      --until T          stop at T (T as for --since)\n"
			      "  -h, --help             show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("events", "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct strv names = {0};
	if (cli_sup_services("events", stack, argc - optind, argv + optind, &names) < 0) {
		strv_free(&names);
		spec_stack_free(stack);
		return CLI_EXIT_USAGE;
	}
	v.names = &names;
	st_interrupt_catch();
	_cleanup_free_ char *path = sup_events_path(&g->paths, stack->name);
	struct cli_event_reader r;
	cli_event_reader_init(&r, path, on_event, &v);
	bool alive = cli_sup_alive(g, stack) != 0;
	if (alive && !have_since)
		v.since = now_ns(); /* from now on, as docker compose events */
	cli_event_reader_history(&r);
	/* a refused file (a FIFO, a symlink: said) is no record to follow */
	while (alive && !r.refused && !v.gone && !st_interrupted() && now_ns() <= v.until) {
		if (!cli_event_reader_poll(&r)) {
			if (!cli_sup_alive(g, stack))
				break;
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	if (alive && !r.refused)
		cli_event_reader_poll(&r); /* what the supervisor wrote last (destroy at down) */
	if (!alive && !r.refused) {
		fprintf(stderr, "stack events: project `%s` is not running; %s\n", stack->name,
			v.shown ? "these are its recorded events" : "no recorded events to show");
	}
	bool refused = r.refused;
	cli_event_reader_free(&r);
	rc = v.gone		? 128 + SIGPIPE
	     : st_interrupted() ? 128 + st_interrupted()
	     : refused		? CLI_EXIT_FAILURE
				: CLI_EXIT_OK;
	strv_free(&names);
	spec_stack_free(stack);
	return rc;
}
