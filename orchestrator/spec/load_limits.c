/* A service's resource limits: the compose short keys, deploy.resources.limits
 * (which must agree with them), and ulimits. */
#include "spec/load_internal.h"
#include "util/mem.h"
#include "util/rlimit_names.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The ranges are the kernel's and Docker's, checked here so that a value
 * that would fail at run (or silently mean "no limit") is refused with the
 * range in the message, at the line that set it. */

/* PID_MAX_LIMIT on 64-bit: the most a pids cgroup takes. */
#define PIDS_MAX 4194304
/* Docker's minimum memory limit, 6 MiB: far below it a container cannot
 * even start (`mem_limit: 1` failed at run with "init exited"). */
#define MEM_MIN (6LL << 20)
/* Docker's smallest CPU limit: 1% of one CPU (1 ms of a 100 ms period). */
#define CPUS_MIN 0.01

/* cpus ≥ 0 (checked by ld_double); rounding by hand keeps libm out of the module. */
static int64_t cpus_to_nano(double cpus) { return (int64_t)(cpus * 1e9 + 0.5); }

/* The host's CPUs, the most a CPU limit can mean (Docker's rule). */
static long host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

/* cpus: 0 for no limit, else from 0.01 to the host's CPU count. */
static bool cpus_value(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t *nano)
{
	double d;
	if (!ld_double(ld, n, what, &d))
		return false;
	long max = host_cpus();
	if (d != 0 && (d < CPUS_MIN || d > (double)max)) {
		struct diag *dg = ld_error(ld, n, "`%s`: %s is out of range: expected 0.01 to %ld (this host's CPUs)",
					   what, n->scalar, max);
		diag_hint(dg, "give a share of the host's CPUs from 0.01 to %ld, or 0 for no limit", max);
		return false;
	}
	*nano = cpus_to_nano(d);
	return true;
}

/* pids_limit: -1 or 0 for no limit (as compose), else 1..PIDS_MAX. */
static bool pids_value(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t *out)
{
	return ld_int_hint(ld, n, what, -1, PIDS_MAX, "-1 or 0 mean no limit; the kernel takes at most 4194304", out);
}

/* A memory size: 0 for no limit, else at least MEM_MIN. */
static bool memory_value(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t *out)
{
	int64_t v;
	if (!ld_size(ld, n, what, &v))
		return false;
	if (v != 0 && v < MEM_MIN) {
		struct diag *d = ld_error(ld, n, "`%s`: %s is below the minimum of 6m (6 MiB)", what, n->scalar);
		diag_hint(d, "a container needs at least 6m; write e.g. 64m, 1g, or 0 for no limit");
		return false;
	}
	*out = v;
	return true;
}

static const char *const deploy_keys[] = {"resources"};
static const char *const resources_keys[] = {"limits", "reservations"};
static const char *const limits_keys[] = {"cpus", "memory", "pids"};
static const char *const ulimit_keys[] = {"soft", "hard"};

/* -1 or "unlimited" mean no limit. */
static bool ulimit_value(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t *out)
{
	if (n->type == SPEC_NODE_SCALAR && strcmp(n->scalar, "unlimited") == 0) {
		*out = -1;
		return true;
	}
	return ld_int(ld, n, what, -1, INT64_MAX, out);
}

/* The kernel's ceiling for open files (fs.nr_open): setrlimit refuses more,
 * "unlimited" included. */
static int64_t nr_open(void)
{
	int64_t v = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%" SCNd64, &v) != 1)
			v = 0;
		fclose(f);
	}
	return v > 0 ? v : 1048576; /* the kernel's default */
}

static bool nofile_ok(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t soft, int64_t hard)
{
	int64_t max = nr_open();
	if (soft >= 0 && hard >= 0 && hard <= max)
		return true;
	struct diag *d;
	if (soft < 0 || hard < 0)
		d = ld_error(ld, n, "`%s`: unlimited is out of range: expected 0 to %lld (fs.nr_open)", what,
			     (long long)max);
	else
		d = ld_error(ld, n, "`%s`: %lld is out of range: expected 0 to %lld (fs.nr_open)", what,
			     (long long)hard, (long long)max);
	diag_hint(d, "the kernel allows at most %lld open files per process; give a number up to that", (long long)max);
	return false;
}

static void load_ulimits(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "ulimits"))
		return;
	sv->ulimits = xcalloc(n->n_pairs, sizeof(*sv->ulimits));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		int res = st_rlimit_from_name(k->scalar);
		if (res < 0) {
			struct diag *d = ld_error(ld, k, "unknown ulimit `%s`", k->scalar);
			const char *s = spec_suggest(k->scalar, st_rlimit_names, st_n_rlimit_names);
			if (s)
				diag_hint(d, "did you mean `%s`?", s);
			continue;
		}
		_cleanup_free_ char *what = xasprintf("ulimits.%s", k->scalar);
		int64_t soft, hard;
		if (v->type == SPEC_NODE_MAP) {
			ld_check_keys(ld, v, ulimit_keys, ARRAY_SIZE(ulimit_keys), what);
			const struct spec_node *s = ld_get(v, "soft"), *h = ld_get(v, "hard");
			if (!s || !h) {
				ld_error(ld, v, "`%s` needs both `soft` and `hard`", what);
				continue;
			}
			if (!ulimit_value(ld, s, what, &soft) || !ulimit_value(ld, h, what, &hard))
				continue;
			if (hard != -1 && (soft == -1 || soft > hard)) {
				struct diag *d = ld_error(ld, s, "`%s`: soft limit %s is above the hard limit %s", what,
							  s->scalar, h->scalar);
				diag_hint(d, "the soft limit must be at most the hard limit");
				continue;
			}
		} else {
			if (!ulimit_value(ld, v, what, &soft))
				continue;
			hard = soft;
		}
		if (res == RLIMIT_NOFILE && !nofile_ok(ld, v, what, soft, hard))
			continue;
		struct spec_ulimit *u = &sv->ulimits[sv->n_ulimits++];
		u->name = xstrdup(k->scalar);
		u->resource = res;
		u->soft = soft;
		u->hard = hard;
	}
}

/* A deploy limit next to its short key: fine when equal, else an error
 * showing both, as the Compose spec asks of implementations. */
static void check_agree(struct spec_loader *ld, const struct spec_node *deploy_val, const char *deploy_key,
			const struct spec_node *short_val, const char *short_key, bool equal)
{
	if (!short_val || short_val->type != SPEC_NODE_SCALAR || equal)
		return;
	struct diag *d = ld_error(ld, deploy_val, "`deploy.resources.limits.%s: %s` disagrees with `%s: %s`",
				  deploy_key, deploy_val->scalar, short_key, short_val->scalar);
	diag_hint(d, "remove one of them, or give both the same value");
}

static void load_deploy(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map,
			const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "deploy"))
		return;
	ld_check_keys(ld, n, deploy_keys, ARRAY_SIZE(deploy_keys), "deploy");
	const struct spec_node *res = ld_get(n, "resources");
	if (!res || !ld_is_map(ld, res, "deploy.resources"))
		return;
	ld_check_keys(ld, res, resources_keys, ARRAY_SIZE(resources_keys), "deploy.resources");
	const struct spec_node *v;
	if ((v = ld_get(res, "reservations"))) {
		struct diag *d = ld_error(ld, ld_key(res, "reservations"),
					  "`deploy.resources.reservations` is not supported by stack's runtime");
		diag_hint(d, "stack enforces limits only; use deploy.resources.limits");
	}
	const struct spec_node *lim = ld_get(res, "limits");
	if (!lim || !ld_is_map(ld, lim, "deploy.resources.limits"))
		return;
	ld_check_keys(ld, lim, limits_keys, ARRAY_SIZE(limits_keys), "deploy.resources.limits");
	if ((v = ld_get(lim, "memory"))) {
		int64_t mem;
		const struct spec_node *sk = ld_get(map, "mem_limit");
		if (memory_value(ld, v, "deploy.resources.limits.memory", &mem)) {
			check_agree(ld, v, "memory", sk, "mem_limit", mem == sv->mem_limit);
			sv->mem_limit = mem;
		}
	}
	if ((v = ld_get(lim, "pids"))) {
		int64_t pids;
		const struct spec_node *sk = ld_get(map, "pids_limit");
		if (pids_value(ld, v, "deploy.resources.limits.pids", &pids)) {
			check_agree(ld, v, "pids", sk, "pids_limit", pids == sv->pids_limit);
			sv->pids_limit = pids;
		}
	}
	if ((v = ld_get(lim, "cpus"))) {
		int64_t nano;
		const struct spec_node *sk = ld_get(map, "cpus");
		if (cpus_value(ld, v, "deploy.resources.limits.cpus", &nano)) {
			check_agree(ld, v, "cpus", sk, "cpus", nano == sv->nano_cpus);
			sv->nano_cpus = nano;
		}
	}
}

void ld_service_limits(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	const struct spec_node *v;
	int64_t i64;
	if ((v = ld_get(map, "pids_limit")))
		pids_value(ld, v, "pids_limit", &sv->pids_limit);
	if ((v = ld_get(map, "mem_limit")))
		memory_value(ld, v, "mem_limit", &sv->mem_limit);
	/* The kernel's range for cpu.shares (v1) as Docker checks it. */
	if ((v = ld_get(map, "cpu_shares")) &&
	    ld_int_hint(ld, v, "cpu_shares", 2, 262144, "a relative weight: 1024 is one CPU's share", &i64))
		sv->cpu_shares = (uint64_t)i64;
	if ((v = ld_get(map, "cpus")))
		cpus_value(ld, v, "cpus", &sv->nano_cpus);
	if ((v = ld_get(map, "deploy")))
		load_deploy(ld, sv, map, v);
	if ((v = ld_get(map, "memswap_limit"))) {
		if (v->type == SPEC_NODE_SCALAR && strcmp(v->scalar, "-1") == 0)
			sv->memswap_limit = -1;
		else if (memory_value(ld, v, "memswap_limit", &i64))
			sv->memswap_limit = i64;
		if (sv->memswap_limit && !sv->mem_limit) {
			struct diag *dg = ld_error(ld, v, "`memswap_limit` needs `mem_limit`");
			diag_hint(dg, "memswap_limit is memory plus swap; set mem_limit too");
		} else if (sv->memswap_limit > 0 && sv->memswap_limit < sv->mem_limit) {
			const struct spec_node *m = ld_get(map, "mem_limit");
			if (!m || m->type != SPEC_NODE_SCALAR)
				m = v; /* came from deploy.resources.limits.memory */
			struct diag *dg = ld_error(ld, v, "`memswap_limit: %s` is less than the memory limit %s", v->scalar,
						   m == v ? "of deploy.resources.limits" : m->scalar);
			diag_hint(dg, "memswap_limit counts memory plus swap: make it at least mem_limit, or -1 for unlimited swap");
		}
	}
	if ((v = ld_get(map, "ulimits")))
		load_ulimits(ld, sv, v);
}
