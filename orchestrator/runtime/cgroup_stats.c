/* A container's resource usage from its cgroup's files, v1 or v2 per
 * controller (whichever hierarchy serves it on this host: cgroup.h). */
#include "runtime/cgroup_internal.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* A number, or -1 for "max" / a v1 "unlimited" (the page counter's
 * maximum, 2^63 rounded down to a page: anything at or above 2^62). */
static int64_t limit_value(const char *text)
{
	if (!text || strncmp(text, "max", 3) == 0)
		return -1;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (end == text || v >= (1ULL << 62))
		return -1;
	return (int64_t)v;
}

static bool read_u64(const char *dir, const char *file, uint64_t *out)
{
	_cleanup_free_ char *t = cg_read(dir, file);
	if (!t)
		return false;
	char *end;
	unsigned long long v = strtoull(t, &end, 10);
	if (end == t)
		return false;
	*out = v;
	return true;
}

static void read_cpu(struct rt_cgroup *cg, struct rt_cgroup_stats *out)
{
	struct cg_dir *d = cg_dir_for(cg, CG_CPUACCT);
	if (d && !d->v2 && read_u64(d->path, "cpuacct.usage", &out->cpu_ns)) {
		out->has_cpu = true;
		return;
	}
	/* cgroup2: cpu.stat is a core file, there with or without the cpu
	 * controller enabled */
	d = cg_dir_v2(cg);
	if (!d)
		return;
	_cleanup_free_ char *t = cg_read(d->path, "cpu.stat");
	long long us = t ? cg_keyed_value(t, "usage_usec") : -1;
	if (us >= 0) {
		out->cpu_ns = (uint64_t)us * 1000;
		out->has_cpu = true;
	}
}

static void read_memory(struct rt_cgroup *cg, struct rt_cgroup_stats *out)
{
	struct cg_dir *d = cg_dir_for(cg, CG_MEMORY);
	if (!d)
		return;
	if (!read_u64(d->path, d->v2 ? "memory.current" : "memory.usage_in_bytes", &out->mem_usage))
		return;
	out->has_memory = true;
	_cleanup_free_ char *lim = cg_read(d->path, d->v2 ? "memory.max" : "memory.limit_in_bytes");
	out->mem_limit = limit_value(lim);
	_cleanup_free_ char *st = cg_read(d->path, "memory.stat");
	long long inactive = st ? cg_keyed_value(st, d->v2 ? "inactive_file" : "total_inactive_file") : -1;
	out->mem_inactive_file = inactive > 0 ? (uint64_t)inactive : 0;
}

static void read_pids(struct rt_cgroup *cg, struct rt_cgroup_stats *out)
{
	struct cg_dir *d = cg_dir_for(cg, CG_PIDS);
	if (!d || !read_u64(d->path, "pids.current", &out->pids))
		return;
	out->has_pids = true;
	_cleanup_free_ char *lim = cg_read(d->path, "pids.max");
	out->pids_limit = limit_value(lim);
}

void rt_cgroup_read_stats(struct rt_cgroup *cg, struct rt_cgroup_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->mem_limit = -1;
	out->pids_limit = -1;
	read_cpu(cg, out);
	read_memory(cg, out);
	read_pids(cg, out);
}
