/* Resource limits: clamping in the parent, and an allocation-free apply in
 * the child. */
#include "runtime/rlimit.h"
#include "util/mem.h"
#include "util/rlimit_names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

static rlim_t to_rlim(int64_t v)
{
	return v < 0 ? RLIM_INFINITY : (rlim_t)v;
}

static int64_t from_rlim(rlim_t v)
{
	return v == RLIM_INFINITY ? -1 : (int64_t)v;
}

/* Raising a hard limit needs CAP_SYS_RESOURCE in the initial user
 * namespace; a plain capget() tells whether our effective set has it. */
static bool have_sys_resource(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {{0}};
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32));
}

static void fmt_limit(char *buf, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(buf, n, "unlimited");
	else
		snprintf(buf, n, "%lld", (long long)v);
}

int rt_rlimit_prepare(struct rt_rlimit *list, size_t n, struct strv *warnings, st_error_t *err)
{
	bool can_raise = have_sys_resource();
	for (size_t i = 0; i < n; i++) {
		struct rt_rlimit *l = &list[i];
		const char *name = st_rlimit_name(l->resource);
		if (!name)
			return st_error(err, EINVAL, "unknown resource limit %d", l->resource);
		if (to_rlim(l->soft) > to_rlim(l->hard))
			return st_error(err, EINVAL, "%s: soft limit %lld is above the hard limit %lld", name,
					(long long)l->soft, (long long)l->hard);
		struct rlimit cur;
		if (getrlimit(l->resource, &cur) < 0)
			return st_error(err, errno, "getrlimit %s", name);
		if (can_raise || to_rlim(l->hard) <= cur.rlim_max)
			continue;
		char want[32], got[32];
		fmt_limit(want, sizeof(want), l->hard);
		fmt_limit(got, sizeof(got), from_rlim(cur.rlim_max));
		if (warnings)
			strv_pushf(warnings, "%s hard limit %s clamped to %s: no CAP_SYS_RESOURCE to raise it",
				   name, want, got);
		l->hard = from_rlim(cur.rlim_max);
		if (to_rlim(l->soft) > cur.rlim_max)
			l->soft = l->hard;
	}
	return 0;
}

int rt_rlimit_apply(const struct rt_rlimit *list, size_t n, st_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		struct rlimit rl = {.rlim_cur = to_rlim(list[i].soft), .rlim_max = to_rlim(list[i].hard)};
		if (setrlimit(list[i].resource, &rl) == 0)
			continue;
		int e = errno;
		struct rlimit cur;
		if (e == EPERM && getrlimit(list[i].resource, &cur) == 0 && rl.rlim_max > cur.rlim_max) {
			rl.rlim_max = cur.rlim_max;
			if (rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
			if (setrlimit(list[i].resource, &rl) == 0)
				continue;
			e = errno;
		}
		if (err)
			st_error(err, e, "setrlimit %s", st_rlimit_name(list[i].resource) ?: "?");
		return -e;
	}
	return 0;
}
