/* stack logs [-f] [--tail N] [-t] [--since T] [--until T] [--no-color]
 *            [--no-log-prefix] [SERVICE...]
 *
 * From the log files (cli/log_reader.h): with or without a supervisor, and
 * with -f across restarts and rotations until the supervisor is gone or
 * Ctrl-C, or until the time --until names has passed. */
#include "cli/cli.h"
#include "cli/log_reader.h"
#include "cli/log_time.h"
#include "cli/printable.h"
#include "cli/sup_client.h"
#include "supervisor/files.h"
#include "supervisor/logfile.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The --until time is behind us: nothing more can be shown. */
static bool passed(const char *until)
{
	char now[40];
	if (!until[0])
		return false;
	sup_log_timestamp(now);
	return strcmp(now, until) > 0;
}

int cmd_logs(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},
		{"tail", required_argument, NULL, 'n'},
		{"timestamps", no_argument, NULL, 't'},
		{"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},
		{"no-color", no_argument, NULL, 'C'},
		{"no-log-prefix", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool follow = false, timestamps = false, no_color = false, no_prefix = false;
	long tail = -1;
	char since[40] = "", until[40] = "";
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int c;
	while ((c = getopt_long(argc, argv, "+fn:th", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'n': {
			char *end = NULL;
			if (strcmp(optarg, "all") == 0) {
				tail = -1;
				break;
			}
			tail = strtol(optarg, &end, 10);
			if (!*optarg || *end || tail < 0)
				return cli_usage_error("logs", "--tail: `%s` is not a number of lines (or `all`)", optarg);
			break;
		}
		case 't':
			timestamps = true;
			break;
		case 'S':
		case 'U': {
			_cleanup_free_ char *msg = NULL;
			if (cli_log_time_parse(optarg, &now, c == 'S' ? since : until, &msg) < 0) {
				_cleanup_free_ char *shown = cli_printable(msg);
				return cli_usage_error("logs", "--%s: %s; %s", c == 'S' ? "since" : "until", shown,
						       CLI_LOG_TIME_HINT);
			}
			break;
		}
		case 'C':
			no_color = true;
			break;
		case 'P':
			no_prefix = true;
			break;
		case 'h':
			fputs("Usage: stack logs [OPTIONS] [SERVICE...]\n\n"
			      "Show the services' output (kept after stop, removed by down).\n\n"
			      "Options:\n"
			      "  -f, --follow           keep printing new output, across restarts, until the\n"
			      "                         supervisor is gone, Ctrl-C, or the --until time has passed\n"
			      "  -n, --tail N           only the last N lines of each service (or `all`), of those\n"
			      "                         in the --since/--until window\n"
			      "  -t, --timestamps       prefix each line with its time\n"
			      "      --since T          only lines from T on (included); T is an RFC 3339 time\n"
			      "                         (2026-12-02T04:30:00Z, +02:00, local without a zone, or a\n"
			      "                         date), a Unix time, or a duration back from now (10m, 1h30m)\n"
			      "      --until T          only lines up to T (included); T as for --since\n"
			      "      --no-color         no colours in log prefixes (also: NO_COLOR=1)\n"
			      "      --no-log-prefix    no `service  |` prefix on log lines\n"
			      "  -h, --help             show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("logs", "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct strv names = {0};
	if (cli_sup_services("logs", stack, argc - optind, argv + optind, &names) < 0) {
		strv_free(&names);
		spec_stack_free(stack);
		return CLI_EXIT_USAGE;
	}
	st_interrupt_catch();
	_cleanup_free_ char *log_dir = sup_log_dir(&g->paths, stack->name);
	struct cli_log_view v;
	cli_log_view_init(&v, log_dir, &names);
	v.prefix = !no_prefix;
	v.timestamps = timestamps;
	memcpy(v.since, since, sizeof(v.since));
	memcpy(v.until, until, sizeof(v.until));
	const char *nc = getenv("NO_COLOR");
	v.color = !no_color && !(nc && *nc) && isatty(STDOUT_FILENO);
	cli_log_view_dump(&v, tail);
	/* a refused file (said) would be followed in vain */
	if (cli_log_view_refused(&v))
		follow = false;
	while (follow && !st_interrupted() && !cli_log_view_gone(&v) && cli_sup_alive(g, stack) && !passed(until)) {
		if (!cli_log_view_poll(&v)) {
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	if (follow)
		cli_log_view_poll(&v);
	/* as a program killed by SIGPIPE reports itself to its shell */
	rc = cli_log_view_gone(&v)     ? 128 + SIGPIPE
	     : st_interrupted()        ? 128 + st_interrupted()
	     : cli_log_view_refused(&v) ? CLI_EXIT_FAILURE
					: CLI_EXIT_OK;
	cli_log_view_free(&v);
	strv_free(&names);
	spec_stack_free(stack);
	return rc;
}
