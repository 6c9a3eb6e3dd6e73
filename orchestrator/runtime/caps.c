/* Capabilities: Docker's defaults, cap_add/cap_drop, and the two-step apply
 * around the uid switch.  See caps.h for the order and the choices. */
#include "runtime/caps.h"
#include "util/mem.h"
#include "util/strv.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

#include <linux/capability.h>

/* Docker's default set (moby oci/caps/defaults.go). */
static const int docker_defaults[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
	CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
	CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

/* Filled once per process (pthread_once: start and exec run on more than
 * one thread) and read-only after: the highest capability the running
 * kernel knows, and the names for `stack config` and errors. */
static int kernel_last_cap;
static char cap_names[64][32];
static pthread_once_t caps_once = PTHREAD_ONCE_INIT;

static void caps_init(void)
{
	/* libcap-ng's own table may know fewer names, but masks must not
	 * carry bits the kernel rejects. */
	int v = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		int r;
		if (fscanf(f, "%d", &r) == 1 && r > 0 && r < 64)
			v = r;
		fclose(f);
	}
	kernel_last_cap = v;
	for (int cap = 0; cap <= v; cap++) {
		const char *n = capng_capability_to_name((unsigned)cap);
		size_t i;
		for (i = 0; n && n[i] && i < sizeof(cap_names[cap]) - 1; i++)
			cap_names[cap][i] = (char)toupper((unsigned char)n[i]);
		cap_names[cap][i] = '\0';
	}
}

static int last_cap(void)
{
	pthread_once(&caps_once, caps_init);
	return kernel_last_cap;
}

uint64_t rt_caps_default_mask(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_SIZE(docker_defaults); i++)
		m |= 1ULL << docker_defaults[i];
	return m;
}

static uint64_t all_mask(void)
{
	int last = last_cap();
	return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

int rt_caps_from_name(const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	char buf[64];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_')
			return -1;
		buf[i] = (char)tolower(c);
	}
	buf[n] = '\0';
	int cap = capng_name_to_capability(buf);
	if (cap < 0 || cap > last_cap())
		return -1;
	return cap;
}

const char *rt_caps_to_name(int cap)
{
	if (cap < 0 || cap > last_cap() || !cap_names[cap][0])
		return NULL;
	return cap_names[cap];
}

static bool list_has_all(const char *const *l)
{
	for (; l && *l; l++)
		if (strcasecmp(*l, "ALL") == 0 || strcasecmp(*l, "CAP_ALL") == 0)
			return true;
	return false;
}

/* Mask of the names in `l` (ALL skipped); unknown names appended to bad. */
static uint64_t list_mask(const char *const *l, const char *what, struct strv *bad)
{
	uint64_t m = 0;
	for (; l && *l; l++) {
		if (strcasecmp(*l, "ALL") == 0 || strcasecmp(*l, "CAP_ALL") == 0)
			continue;
		int c = rt_caps_from_name(*l);
		if (c < 0)
			strv_pushf(bad, "`%s` in %s", *l, what);
		else
			m |= 1ULL << c;
	}
	return m;
}

/* Our own bounding set: what a child of ours can possibly hold. */
static uint64_t own_bounding(void)
{
	uint64_t m = 0;
	for (int c = 0; c <= last_cap(); c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			m |= 1ULL << c;
	return m;
}

int rt_caps_prepare(const char *const *add, const char *const *drop, struct rt_caps *out, st_error_t *err)
{
	struct strv bad = {0};
	uint64_t addm = list_mask(add, "cap_add", &bad);
	uint64_t dropm = list_mask(drop, "cap_drop", &bad);
	if (bad.n > 0) {
		_cleanup_free_ char *joined = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&joined, &len);
		for (size_t i = 0; f && i < bad.n; i++)
			fprintf(f, "%s%s", i ? ", " : "", bad.v[i]);
		if (f)
			fclose(f);
		st_error(err, EINVAL, "unknown capabilit%s %s (names as in capabilities(7), e.g. NET_ADMIN or CAP_NET_ADMIN)",
			 bad.n > 1 ? "ies" : "y", joined ? joined : "?");
		strv_free(&bad);
		return -1;
	}
	uint64_t set;
	/* Docker's TweakCapabilities: ALL in add wins, then ALL in drop, else
	 * defaults minus drop plus add (add is applied last, so it wins). */
	if (list_has_all(add))
		set = all_mask() & ~dropm;
	else if (list_has_all(drop))
		set = addm;
	else
		set = (rt_caps_default_mask() & ~dropm) | addm;
	set &= all_mask();
	uint64_t bnd = own_bounding();
	out->set = set & bnd;
	out->unavailable = set & ~bnd;
	return 0;
}

int rt_caps_apply_bounding(const struct rt_caps *caps, st_error_t *err)
{
	capng_clear(CAPNG_SELECT_BOTH);
	for (int c = 0; c <= last_cap(); c++)
		if (caps->set & (1ULL << c))
			if (capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, (unsigned)c) < 0)
				return st_error(err, EINVAL, "capng_update bounding %d", c);
	/* Bounding drops need CAP_SETPCAP, which we still hold here. */
	int r = capng_apply(CAPNG_SELECT_BOUNDS);
	if (r < 0)
		return st_error(err, errno ? errno : EPERM, "drop capabilities from the bounding set (capng_apply: %d)", r);
	/* Keep the permitted set across the coming setuid() so that
	 * rt_caps_apply_final() still can set it as wanted. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return st_error(err, errno, "prctl PR_SET_KEEPCAPS");
	return 0;
}

int rt_caps_apply_final(const struct rt_caps *caps, uid_t uid, st_error_t *err)
{
	capng_clear(CAPNG_SELECT_CAPS);
	if (uid == 0) {
		for (int c = 0; c <= last_cap(); c++)
			if (caps->set & (1ULL << c))
				if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)c) < 0)
					return st_error(err, EINVAL, "capng_update %d", c);
	}
	/* CAPNG_SELECT_CAPS sets effective, permitted and inheritable (empty);
	 * ambient caps are dropped by the kernel when permitted shrinks, and
	 * cleared explicitly below in case a parent raised any. */
	int r = capng_apply(CAPNG_SELECT_CAPS);
	if (r < 0)
		return st_error(err, errno ? errno : EPERM, "set capabilities (capng_apply: %d)", r);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return st_error(err, errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return st_error(err, errno, "prctl PR_SET_KEEPCAPS 0");
	return 0;
}

char *rt_caps_format(uint64_t mask)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return xstrdup("");
	bool first = true;
	for (int c = 0; c < 64; c++) {
		if (!(mask & (1ULL << c)))
			continue;
		const char *n = rt_caps_to_name(c);
		if (n)
			fprintf(f, "%s%s", first ? "" : ",", n);
		else
			fprintf(f, "%s%d", first ? "" : ",", c);
		first = false;
	}
	fclose(f);
	return steal_pointer(&buf);
}
