/* stack stats [--no-stream] [--format table|json] [SERVICE...]
 *
 * CPU %, memory usage / limit (and %), pids / limit of each running
 * container, from its cgroup (cli/ct_running.h, runtime/cgroup.h), as
 * `docker stats` computes them (cli/stats_calc.h).  CPU % is a rate: each
 * frame is the delta over the last second, so the first one comes a
 * second after the start, --no-stream too (as docker's does).  On a
 * terminal the frame is redrawn in place each second until Ctrl-C. */
#include "cli/cli.h"
#include "cli/ct_running.h"
#include "cli/stats_calc.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

struct sample {
	struct rt_cgroup_stats st;
	uint64_t sys_ns;
};

static uint64_t system_ns(void)
{
	char buf[4096];
	_cleanup_close_ int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	uint64_t ns = 0;
	return cli_stats_system_ns(buf, sysconf(_SC_CLK_TCK), &ns) == 0 ? ns : 0;
}

static void take(struct cli_ct *cts, size_t n, struct sample *out)
{
	uint64_t sys = system_ns();
	for (size_t i = 0; i < n; i++) {
		rt_cgroup_read_stats(cts[i].cg, &out[i].st);
		out[i].sys_ns = sys;
	}
}

/* The limit docker shows: the cgroup's, else the host's memory. */
static uint64_t mem_limit(const struct rt_cgroup_stats *st)
{
	struct sysinfo si;
	uint64_t host = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
	if (st->mem_limit < 0 || (host && (uint64_t)st->mem_limit > host))
		return host;
	return (uint64_t)st->mem_limit;
}

static int frame(struct cli_ct *cts, size_t n, const struct sample *prev, const struct sample *now, bool json,
		 bool redraw)
{
	unsigned ncpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (redraw)
		fputs("\033[2J\033[H", stdout);
	if (!json)
		printf("%-16s %-24s %8s %22s %8s %14s\n", "SERVICE", "CONTAINER", "CPU %", "MEM USAGE / LIMIT", "MEM %",
		       "PIDS / LIMIT");
	for (size_t i = 0; i < n; i++) {
		const struct rt_cgroup_stats *a = &prev[i].st, *b = &now[i].st;
		double cpu = b->has_cpu && a->has_cpu
				     ? cli_stats_cpu_percent(a->cpu_ns, b->cpu_ns, prev[i].sys_ns, now[i].sys_ns, ncpus)
				     : 0.0;
		uint64_t used = cli_stats_mem_used(b->mem_usage, b->mem_inactive_file);
		uint64_t limit = mem_limit(b);
		double mem_pct = cli_stats_percent(used, limit);
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:I, s:f, s:I, s:I, s:o, s:f, s:I, s:o}", "service", cts[i].service,
					      "container", cts[i].container, "pid", (json_int_t)cts[i].pid, "cpu_percent", cpu,
					      "memory_usage", (json_int_t)used, "memory_limit", (json_int_t)limit,
					      "memory_limit_set", json_boolean(b->mem_limit >= 0), "memory_percent", mem_pct,
					      "pids", (json_int_t)b->pids, "pids_limit",
					      b->pids_limit >= 0 ? json_integer(b->pids_limit) : json_null());
			char *t = json_dumps(o, JSON_COMPACT);
			json_decref(o);
			if (t)
				puts(t);
			free(t);
			continue;
		}
		char u[32], l[32], mem[72], pids[48], cpus[16];
		cli_stats_bytes(used, u, sizeof(u));
		cli_stats_bytes(limit, l, sizeof(l));
		snprintf(mem, sizeof(mem), "%s / %s", u, l);
		snprintf(cpus, sizeof(cpus), "%.2f%%", cpu);
		if (b->pids_limit >= 0)
			snprintf(pids, sizeof(pids), "%llu / %lld", (unsigned long long)b->pids, (long long)b->pids_limit);
		else
			snprintf(pids, sizeof(pids), "%llu / -", (unsigned long long)b->pids);
		printf("%-16s %-24s %8s %22s %7.2f%% %14s\n", cts[i].service, cts[i].container, b->has_cpu ? cpus : "-",
		       b->has_memory ? mem : "-", mem_pct, b->has_pids ? pids : "-");
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

/* One second, or less when a stop signal comes. */
static void pause_1s(void)
{
	struct timespec ts = {1, 0};
	while (!st_interrupted() && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_stats(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-stream", no_argument, NULL, 'n'},
		{"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool stream = true, json = false;
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			stream = false;
			break;
		case 'F':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return cli_usage_error("stats", "--format: `%s` is not `table` or `json`", optarg);
			break;
		case 'h':
			fputs("Usage: stack stats [OPTIONS] [SERVICE...]\n\n"
			      "Show the running containers' CPU % (docker's: container CPU time over host CPU time,\n"
			      "times the online CPUs), memory usage (without inactive page cache) / limit, and\n"
			      "pids / limit, from their cgroups. Refreshes each second until Ctrl-C.\n\n"
			      "Options:\n"
			      "      --no-stream        print once (after one second of measuring) and exit\n"
			      "      --format table|json  a table (default) or one JSON object per container and line\n"
			      "  -h, --help             show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("stats", "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct strv names = {0};
	struct cli_ct *cts = NULL;
	size_t n = 0;
	struct sample *prev = NULL, *now = NULL;
	rc = cli_ct_running_args("stats", g, stack, argc - optind, argv + optind, &names, &cts, &n);
	if (rc != CLI_EXIT_OK)
		goto out;
	st_interrupt_catch();
	prev = xcalloc(n, sizeof(*prev));
	now = xcalloc(n, sizeof(*now));
	bool redraw = stream && !json && isatty(STDOUT_FILENO);
	take(cts, n, prev);
	for (;;) {
		pause_1s();
		if (st_interrupted())
			break;
		take(cts, n, now);
		if (frame(cts, n, prev, now, json, redraw) < 0 || !stream)
			break;
		memcpy(prev, now, n * sizeof(*now));
	}
	rc = ferror(stdout) ? CLI_EXIT_FAILURE : st_interrupted() ? 128 + st_interrupted() : CLI_EXIT_OK;
out:
	free(prev);
	free(now);
	cli_ct_free(cts, n);
	strv_free(&names);
	spec_stack_free(stack);
	return rc;
}
