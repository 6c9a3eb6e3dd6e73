/* The numbers of `stack stats`, computed as `docker stats` computes them
 * (docker/cli, cli/command/container/stats_helpers.go), pure functions so
 * they are unit-tested on their own. */
#ifndef STACK_CLI_STATS_CALC_H
#define STACK_CLI_STATS_CALC_H

#include <stddef.h>
#include <stdint.h>

/* Docker's CPU %: the container's CPU time over the host's CPU time in
 * the same interval, times the number of online CPUs, times 100:
 *
 *     (cpu_delta / system_delta) * ncpus * 100
 *
 * where system_delta is the growth of the host's total CPU time (all CPUs,
 * busy and idle: /proc/stat's "cpu" line) — about wall time × ncpus, so a
 * container that keeps one CPU busy shows 100 %, two 200 %.  0 when either
 * delta is not positive (the first sample, a counter that went back). */
double cli_stats_cpu_percent(uint64_t cpu_prev_ns, uint64_t cpu_now_ns, uint64_t sys_prev_ns, uint64_t sys_now_ns,
			     unsigned ncpus);

/* The host's total CPU time in ns from the text of /proc/stat: the sum of
 * the "cpu " line's user, nice, system, idle, iowait, irq, softirq and
 * steal (what docker sums) × 1e9 / clk_tck.  -1 if there is no such line. */
int cli_stats_system_ns(const char *proc_stat, long clk_tck, uint64_t *out);

/* Docker's memory usage: the cgroup's usage minus its inactive page cache
 * (v1 total_inactive_file, v2 inactive_file), which the kernel reclaims
 * first; never below 0. */
uint64_t cli_stats_mem_used(uint64_t usage, uint64_t inactive_file);
/* used / limit * 100; 0 without a limit. */
double cli_stats_percent(uint64_t used, uint64_t limit);

/* "1.5MiB", "64MiB", "2GiB", "512B": docker's binary units (go-units
 * BytesSize: 4 significant digits). */
void cli_stats_bytes(uint64_t n, char *buf, size_t size);

#endif
