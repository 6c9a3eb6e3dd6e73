#include "cli/stats_calc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double cli_stats_cpu_percent(uint64_t cpu_prev_ns, uint64_t cpu_now_ns, uint64_t sys_prev_ns, uint64_t sys_now_ns,
			     unsigned ncpus)
{
	if (cpu_now_ns <= cpu_prev_ns || sys_now_ns <= sys_prev_ns || ncpus == 0)
		return 0.0;
	double cpu = (double)(cpu_now_ns - cpu_prev_ns);
	double sys = (double)(sys_now_ns - sys_prev_ns);
	return cpu / sys * (double)ncpus * 100.0;
}

int cli_stats_system_ns(const char *proc_stat, long clk_tck, uint64_t *out)
{
	const char *p = proc_stat;
	while (p && strncmp(p, "cpu ", 4) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || clk_tck <= 0)
		return -1;
	p += 4;
	uint64_t ticks = 0;
	for (int i = 0; i < 8; i++) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			return i >= 4 ? (*out = ticks * (1000000000ULL / (uint64_t)clk_tck), 0) : -1;
		ticks += v;
		p = end;
	}
	*out = ticks * (1000000000ULL / (uint64_t)clk_tck);
	return 0;
}

uint64_t cli_stats_mem_used(uint64_t usage, uint64_t inactive_file)
{
	return inactive_file < usage ? usage - inactive_file : 0;
}

double cli_stats_percent(uint64_t used, uint64_t limit)
{
	return limit ? (double)used / (double)limit * 100.0 : 0.0;
}

void cli_stats_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	/* %.4g as go-units prints it: 1.5MiB, 64MiB, 1023B */
	snprintf(buf, size, "%.4g%s", v, units[u]);
}
