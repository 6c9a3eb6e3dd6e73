/* stack ps [-a] [-q] [--format table|json] [--status S]... [--filter status=S]... [SERVICE...]
 *
 * From the supervisor when it runs; from the state files it left when it
 * is gone, each checked by cli_ct_alive() so that a dead (or zombie)
 * container is never shown running. */
#include "cli/cli.h"
#include "cli/ct_running.h"
#include "cli/printable.h"
#include "cli/ps_status.h"
#include "cli/sup_client.h"
#include "supervisor/files.h"
#include "util/mem.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool is_active(const char *state)
{
	return state && (strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0 ||
			 strcmp(state, "stopping") == 0 || strcmp(state, "starting") == 0);
}

/* A record of a dead supervisor: what is true now. */
static void verify(json_t *rec)
{
	const char *state = json_string_value(json_object_get(rec, "state"));
	if (!is_active(state))
		return;
	if (cli_ct_alive(rec)) {
		pid_t pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
		json_object_set_new(rec, "state", json_string("running"));
		json_object_set_new(rec, "note", json_string("orphaned: its supervisor is gone"));
		sup_proc_security(pid, rec);
		return;
	}
	json_object_set_new(rec, "state", json_string("exited"));
	json_object_set_new(rec, "exit_code", json_null());
	json_object_set_new(rec, "note", json_string(CLI_PS_NOTE_DIED));
}

static void fmt_uptime(json_t *rec, char *buf, size_t n)
{
	int64_t started = json_integer_value(json_object_get(rec, "started_at"));
	const char *state = json_string_value(json_object_get(rec, "state"));
	if (!started || !state || strcmp(state, "running") != 0) {
		snprintf(buf, n, "-");
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t s = ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - started) / 1000;
	if (s < 60)
		snprintf(buf, n, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, n, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else
		snprintf(buf, n, "%" PRId64 "h%02" PRId64 "m", s / 3600, (s / 60) % 60);
}

static const char *str_or(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

/* "healthy", "unhealthy (streak 3)", "starting", or "-" without a check. */
static void fmt_health(json_t *rec, char *buf, size_t n)
{
	json_t *h = json_object_get(rec, "health");
	const char *st = json_string_value(json_object_get(h, "status"));
	int streak = (int)json_integer_value(json_object_get(h, "failing_streak"));
	if (!st)
		snprintf(buf, n, "-");
	else if (streak > 0)
		snprintf(buf, n, "%s (streak %d)", st, streak);
	else
		snprintf(buf, n, "%s", st);
}

/* The bound ports, as docker ps: 0.0.0.0:8080->5000/tcp, comma-separated. */
static void fmt_ports(json_t *rec, char *buf, size_t n)
{
	size_t i, off = 0;
	json_t *p;
	buf[0] = '\0';
	json_array_foreach (json_object_get(rec, "published"), i, p) {
		int w = snprintf(buf + off, n - off, "%s%s:%d->%d/%s", off ? "," : "", str_or(p, "host_ip", "*"),
				 (int)json_integer_value(json_object_get(p, "host_port")),
				 (int)json_integer_value(json_object_get(p, "target")), str_or(p, "protocol", "tcp"));
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
	}
	if (!off)
		snprintf(buf, n, "-");
}

static void print_table(json_t *arr)
{
	printf("%-24s %-12s %-10s %-20s %-7s %-5s %-4s %-8s %-8s %-9s %-16s %-8s %-4s %s\n", "NAME", "SERVICE", "STATE",
	       "HEALTH", "PID", "EXIT", "OOM", "RESTARTS", "UPTIME", "USER", "CAPEFF", "SECCOMP", "NNP", "PORTS");
	size_t i;
	json_t *r;
	json_array_foreach (arr, i, r) {
		char exit_buf[16], up[32], pid[16], health[48], ports[512];
		json_t *ec = json_object_get(r, "exit_code");
		snprintf(exit_buf, sizeof(exit_buf), json_is_integer(ec) ? "%d" : "-", (int)json_integer_value(ec));
		json_int_t p = json_integer_value(json_object_get(r, "pid"));
		snprintf(pid, sizeof(pid), p > 0 ? "%d" : "-", (int)p);
		fmt_uptime(r, up, sizeof(up));
		fmt_health(r, health, sizeof(health));
		fmt_ports(r, ports, sizeof(ports));
		json_t *nnp = json_object_get(r, "no_new_privs");
		printf("%-24s %-12s %-10s %-20s %-7s %-5s %-4s %-8d %-8s %-9s %-16s %-8s %-4s %s\n",
		       str_or(r, "container", "?"), str_or(r, "service", "?"), str_or(r, "state", "?"), health, pid,
		       exit_buf, json_is_true(json_object_get(r, "oom_killed")) ? "yes" : "no",
		       (int)json_integer_value(json_object_get(r, "restarts")), up, str_or(r, "user", "-"),
		       str_or(r, "cap_eff", "-"), str_or(r, "seccomp", "-"),
		       json_is_boolean(nnp) ? (json_is_true(nnp) ? "yes" : "no") : "-", ports);
	}
}

int cmd_ps(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'F'},
		{"status", required_argument, NULL, 'S'},
		{"filter", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool all = false, quiet = false, json = false;
	unsigned status = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+aqh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'F':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return cli_usage_error("ps", "--format: `%s` is not table or json", optarg);
			break;
		case 'L':
		case 'S': {
			if (c == 'L' && strncmp(optarg, "status=", 7) != 0) {
				_cleanup_free_ char *shown = cli_printable(optarg);
				return cli_usage_error("ps", "--filter: `%s` is not status=STATUS (the one filter "
							     "stack ps has; statuses: %s)", shown, CLI_PS_STATUSES);
			}
			const char *v = c == 'L' ? optarg + 7 : optarg;
			if (cli_ps_status_add(v, &status) < 0) {
				_cleanup_free_ char *shown = cli_printable(v);
				return cli_usage_error("ps", "--status: unknown status `%s`; use one of %s", shown,
						       CLI_PS_STATUSES);
			}
			break;
		}
		case 'h':
			fputs("Usage: stack ps [OPTIONS] [SERVICE...]\n\n"
			      "List the stack's containers: state, health, pid, exit code, OOM kill,\n"
			      "restarts, uptime, user, effective capabilities, seccomp, no_new_privs, ports.\n\n"
			      "Options:\n"
			      "  -a, --all              also the stopped and exited containers\n"
			      "  -q, --quiet            only the container names\n"
			      "      --format table|json  a table (default) or a JSON array\n"
			      "      --status S         only containers in status S, of any state (repeat to add\n"
			      "                         more): created (waiting for dependencies), restarting\n"
			      "                         (waiting for its backoff), running (also starting and\n"
			      "                         stopping), removing (down or recreated away), exited,\n"
			      "                         dead (exited with its killed supervisor), paused (never)\n"
			      "      --filter status=S  the same as --status S\n"
			      "  -h, --help             show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("ps", "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct strv names = {0};
	json_t *recs = NULL;
	if (cli_sup_services("ps", stack, argc - optind, argv + optind, &names) < 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (cli_sup_alive(g, stack)) {
		json_t *reply = NULL;
		if (cli_sup_request("ps", g, stack, json_pack("{s:s}", "cmd", "ps"), 10000, &reply) < 0) {
			rc = CLI_EXIT_FAILURE;
			goto out;
		}
		recs = json_incref(json_object_get(reply, "services"));
		json_decref(reply);
	} else {
		_cleanup_free_ char *run = cli_sup_run_dir(g, stack);
		recs = sup_state_list(run);
		bool any_active = false;
		size_t i;
		json_t *r;
		json_array_foreach (recs, i, r) {
			any_active |= is_active(json_string_value(json_object_get(r, "state")));
			verify(r);
		}
		if (any_active)
			fprintf(stderr, "stack ps: the supervisor of project `%s` is not running (killed?): its "
					"containers died with it; `stack up` starts them again, `stack down` "
					"cleans up\n", stack->name);
	}
	json_t *shown = json_array();
	size_t i;
	json_t *r;
	json_array_foreach (recs, i, r) {
		const char *svc = json_string_value(json_object_get(r, "service"));
		const char *state = json_string_value(json_object_get(r, "state"));
		/* a status filter looks at every container, as compose's does */
		if (!svc || !strv_contains(&names, svc) || (status ? !cli_ps_status_match(status, r) : !all && !is_active(state)))
			continue;
		json_array_append(shown, r);
	}
	if (quiet) {
		json_array_foreach (shown, i, r)
			printf("%s\n", str_or(r, "container", "?"));
	} else if (json) {
		char *text = json_dumps(shown, JSON_INDENT(2));
		printf("%s\n", text ? text : "[]");
		free(text);
	} else {
		print_table(shown);
	}
	json_decref(shown);
out:
	json_decref(recs);
	strv_free(&names);
	spec_stack_free(stack);
	return rc;
}
