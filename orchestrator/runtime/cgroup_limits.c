/* Limits: memory (+swap), pids, cpu shares/weight and quota, for v1 and v2
 * files.  "Memory but no swap" is closed by default: without memory_swap
 * the memory+swap limit equals the memory limit, as the brief for `stack`
 * wants (Docker would allow as much swap again). */
#include "runtime/cgroup_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>

#define CPU_PERIOD_DEFAULT 100000

static int write_num(const char *dir, const char *file, long long v, st_error_t *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	return cg_write(dir, file, buf, err);
}

static int write_max(const char *dir, const char *file, long long v, st_error_t *err)
{
	if (v < 0)
		return cg_write(dir, file, "max", err);
	return write_num(dir, file, v, err);
}

static int memory_v1(struct rt_cgroup *cg, const char *dir, const struct rt_cgroup_limits *lim, st_error_t *err)
{
	/* memsw >= limit always holds, so set the memory limit first. */
	if (lim->memory && write_num(dir, "memory.limit_in_bytes", lim->memory, err) < 0)
		return -1;
	long long memsw = lim->memory_swap ? lim->memory_swap : lim->memory;
	if (!cg_file_exists(dir, "memory.memsw.limit_in_bytes")) {
		if (memsw > 0)
			strv_pushf(&cg->warnings,
				   "%s/memory.memsw.limit_in_bytes does not exist (swap accounting is off; boot with "
				   "swapaccount=1): the swap limit %lld is not enforced and the container may swap",
				   dir, memsw);
		return 0;
	}
	return write_num(dir, "memory.memsw.limit_in_bytes", memsw, err);
}

static int memory_v2(struct rt_cgroup *cg, const char *dir, const struct rt_cgroup_limits *lim, st_error_t *err)
{
	if (lim->memory && write_num(dir, "memory.max", lim->memory, err) < 0)
		return -1;
	/* v2 limits swap alone: memory.swap.max = (memory+swap) - memory. */
	long long swap = lim->memory_swap < 0 ? -1 : lim->memory_swap ? lim->memory_swap - lim->memory : 0;
	if (!cg_file_exists(dir, "memory.swap.max")) {
		if (swap != 0)
			strv_pushf(&cg->warnings,
				   "%s/memory.swap.max does not exist (no swap accounting): the swap limit is not "
				   "enforced",
				   dir);
		return 0;
	}
	return write_max(dir, "memory.swap.max", swap, err);
}

static int cpu_v1(const char *dir, const struct rt_cgroup_limits *lim, st_error_t *err)
{
	if (lim->cpu_shares && write_num(dir, "cpu.shares", (long long)lim->cpu_shares, err) < 0)
		return -1;
	if (lim->cpu_quota_us) {
		long long period = lim->cpu_period_us ? lim->cpu_period_us : CPU_PERIOD_DEFAULT;
		if (write_num(dir, "cpu.cfs_period_us", period, err) < 0 ||
		    write_num(dir, "cpu.cfs_quota_us", lim->cpu_quota_us, err) < 0)
			return -1;
	}
	return 0;
}

static int cpu_v2(const char *dir, const struct rt_cgroup_limits *lim, st_error_t *err)
{
	if (lim->cpu_shares &&
	    write_num(dir, "cpu.weight", (long long)rt_cgroup_shares_to_weight(lim->cpu_shares), err) < 0)
		return -1;
	if (lim->cpu_quota_us) {
		long long period = lim->cpu_period_us ? lim->cpu_period_us : CPU_PERIOD_DEFAULT;
		char buf[64];
		if (lim->cpu_quota_us < 0)
			snprintf(buf, sizeof(buf), "max %lld", period);
		else
			snprintf(buf, sizeof(buf), "%lld %lld", (long long)lim->cpu_quota_us, period);
		if (cg_write(dir, "cpu.max", buf, err) < 0)
			return -1;
	}
	return 0;
}

int cg_apply_limits(struct rt_cgroup *cg, const struct rt_cgroup_limits *lim, st_error_t *err)
{
	if (lim->memory < 0 || (lim->memory_swap < -1))
		return st_error(err, EINVAL, "cgroup `%s`: negative memory limit", cg->rel);
	if (lim->memory_swap && !lim->memory)
		return st_error(err, EINVAL, "cgroup `%s`: a memory+swap limit needs a memory limit too", cg->rel);
	if (lim->memory_swap > 0 && lim->memory_swap < lim->memory)
		return st_error(err, EINVAL,
				"cgroup `%s`: memory+swap limit %lld is below the memory limit %lld (memswap_limit "
				"counts memory plus swap)",
				cg->rel, (long long)lim->memory_swap, (long long)lim->memory);
	struct cg_dir *d;
	if ((lim->memory || lim->memory_swap) && (d = cg_dir_for(cg, CG_MEMORY))) {
		int r = d->v2 ? memory_v2(cg, d->path, lim, err) : memory_v1(cg, d->path, lim, err);
		if (r < 0)
			return -1;
	}
	if (lim->pids && (d = cg_dir_for(cg, CG_PIDS)))
		if (write_max(d->path, "pids.max", lim->pids, err) < 0)
			return -1;
	if ((lim->cpu_shares || lim->cpu_quota_us) && (d = cg_dir_for(cg, CG_CPU))) {
		int r = d->v2 ? cpu_v2(d->path, lim, err) : cpu_v1(d->path, lim, err);
		if (r < 0)
			return -1;
	}
	return 0;
}
