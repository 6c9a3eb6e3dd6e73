/* Which cgroup hierarchies the host has, from /proc/self/mountinfo: v1
 * mounts carry their controllers in the super options ("rw,cpu,cpuacct"),
 * the cgroup2 mount lists what it may delegate in cgroup.controllers. */
#include "runtime/cgroup_internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const ctrl_names[CG_NCTRL] = {
	[CG_MEMORY] = "memory", [CG_PIDS] = "pids", [CG_CPU] = "cpu",
	[CG_CPUACCT] = "cpuacct", [CG_FREEZER] = "freezer", [CG_DEVICES] = "devices",
};

const char *cg_ctrl_name(enum cg_ctrl c)
{
	return (unsigned)c < CG_NCTRL ? ctrl_names[c] : "?";
}

/* Controllers of ours named in a comma (v1 options) or space (v2
 * cgroup.controllers) separated list. */
static unsigned parse_ctrls(const char *list, const char *seps)
{
	unsigned m = 0;
	_cleanup_free_ char *copy = xstrdup(list);
	char *save = NULL;
	for (char *t = strtok_r(copy, seps, &save); t; t = strtok_r(NULL, seps, &save))
		for (int c = 0; c < CG_NCTRL; c++)
			if (strcmp(t, ctrl_names[c]) == 0)
				m |= CG_BIT(c);
	return m;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* One hierarchy per mount point and per v1 mount data: a second mount
 * of the same hierarchy (a bind of its root) is not another one. */
static int add_hier(struct cg_host *host, const char *mount, unsigned ctrls, bool v2, char *data)
{
	for (size_t i = 0; i < host->n; i++)
		if (strcmp(host->h[i].mount, mount) == 0 || (!v2 && !host->h[i].v2 && strcmp(host->h[i].data, data) == 0)) {
			free(data);
			return (int)i;
		}
	if (host->n >= ARRAY_SIZE(host->h)) {
		free(data);
		return -1;
	}
	host->h[host->n] = (struct cg_hier){.mount = xstrdup(mount), .ctrls = ctrls, .v2 = v2, .data = data};
	return (int)host->n++;
}

/* A v1 mount's super options ("rw,xattr,cpu,cpuacct", "rw,name=systemd")
 * as the data that mounts the same hierarchy: its controllers and name,
 * without the flags, which would not identify it. */
static char *v1_mount_data(const char *super)
{
	static const char *const not_ctrl[] = {"rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode",
					      "favordynmods", "none", "all"};
	size_t size = strlen(super) + sizeof("none,");
	char *data = xzalloc(size);
	bool ctrl = false;
	_cleanup_free_ char *copy = xstrdup(super);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool named = strncmp(t, "name=", 5) == 0;
		bool skip = strchr(t, '=') && !named;
		for (size_t i = 0; !skip && i < ARRAY_SIZE(not_ctrl); i++)
			skip = strcmp(t, not_ctrl[i]) == 0;
		if (skip)
			continue;
		ctrl |= !named;
		if (data[0])
			strcat(data, ",");
		strcat(data, t);
	}
	if (!ctrl) { /* a named hierarchy without controllers */
		memmove(data + 5, data, strlen(data) + 1);
		memcpy(data, "none,", 5);
	}
	return data;
}

static void read_v2_controllers(struct cg_host *host)
{
	_cleanup_free_ char *text = cg_read(host->h[host->v2].mount, "cgroup.controllers");
	host->v2_avail = text ? parse_ctrls(text, " \n") : 0;
}

static int host_parse(const struct rt_cgroup_opts *opts, struct cg_host *host, st_error_t *err)
{
	memset(host, 0, sizeof(*host));
	host->v2 = -1;
	if (opts && opts->v2_root) {
		host->v2 = add_hier(host, opts->v2_root, 0, true, xstrdup(""));
		read_v2_controllers(host);
		host->h[host->v2].ctrls = host->v2_avail & ~CG_BIT(CG_FREEZER) & ~CG_BIT(CG_DEVICES);
		return 0;
	}
	const char *path = opts && opts->mountinfo ? opts->mountinfo : "/proc/self/mountinfo";
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(path, 0, &text, NULL, err) < 0)
		return -1;
	unsigned v1_taken = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		char *f[6] = {0};
		char *s2 = NULL, *tok = strtok_r(line, " ", &s2);
		int i = 0;
		for (; tok && i < 6; tok = strtok_r(NULL, " ", &s2))
			f[i++] = tok;
		if (i < 6)
			continue;
		while (tok && strcmp(tok, "-") != 0)
			tok = strtok_r(NULL, " ", &s2);
		char *fstype = strtok_r(NULL, " ", &s2);
		(void)strtok_r(NULL, " ", &s2);
		char *super = strtok_r(NULL, " ", &s2);
		if (!fstype || !super)
			continue;
		/* A bind mount of a sub-cgroup (root != "/") is not a hierarchy root. */
		if (strcmp(f[3], "/") != 0)
			continue;
		unescape(f[4]);
		if (strcmp(fstype, "cgroup2") == 0) {
			if (host->v2 < 0)
				host->v2 = add_hier(host, f[4], 0, true, xstrdup(""));
		} else if (strcmp(fstype, "cgroup") == 0) {
			/* Every v1 hierarchy, ours or not (a container sees
			 * them all, see every_hierarchy in cgroup.h); a
			 * controller of ours counts in the first one only. */
			unsigned m = parse_ctrls(super, ",") & ~v1_taken;
			if (add_hier(host, f[4], m, false, v1_mount_data(super)) >= 0)
				v1_taken |= m;
		}
	}
	if (host->v2 >= 0) {
		read_v2_controllers(host);
		/* v2 serves what no v1 hierarchy has; v2 has no freezer
		 * controller (cgroup.freeze is core), no cpuacct and no
		 * devices (a BPF program instead). */
		host->h[host->v2].ctrls =
			host->v2_avail & ~v1_taken & ~CG_BIT(CG_FREEZER) & ~CG_BIT(CG_CPUACCT) & ~CG_BIT(CG_DEVICES);
	}
	return 0;
}

/* The host's layout does not change under a running process, and reading
 * mountinfo (hundreds of lines on a busy host) plus the cgroup2 root's
 * cgroup.controllers is not free: the real host is read once per process
 * and handed out as copies.  Test layouts (opts) are read every time. */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cg_host host_cache;
static bool host_cached;

int cg_host_detect(const struct rt_cgroup_opts *opts, struct cg_host *host, st_error_t *err)
{
	if (opts && (opts->v2_root || opts->mountinfo))
		return host_parse(opts, host, err);
	int r = 0;
	pthread_mutex_lock(&host_lock);
	if (!host_cached) {
		r = host_parse(NULL, &host_cache, err);
		host_cached = r == 0;
	}
	if (r == 0) {
		*host = host_cache;
		for (size_t i = 0; i < host->n; i++) {
			host->h[i].mount = xstrdup(host_cache.h[i].mount);
			host->h[i].data = xstrdup(host_cache.h[i].data);
		}
	}
	pthread_mutex_unlock(&host_lock);
	return r;
}

void cg_host_free(struct cg_host *host)
{
	for (size_t i = 0; i < host->n; i++) {
		free(host->h[i].mount);
		free(host->h[i].data);
	}
	host->n = 0;
}

int rt_cgroup_detect_layout(const struct rt_cgroup_opts *opts, enum rt_cgroup_layout *out, st_error_t *err)
{
	struct cg_host host;
	if (cg_host_detect(opts, &host, err) < 0)
		return -1;
	bool v1 = false;
	for (size_t i = 0; i < host.n; i++)
		if (!host.h[i].v2)
			v1 = true;
	if (v1)
		*out = host.v2 >= 0 ? RT_CGROUP_HYBRID : RT_CGROUP_V1;
	else
		*out = host.v2 >= 0 ? RT_CGROUP_V2 : RT_CGROUP_NONE;
	cg_host_free(&host);
	return 0;
}

const char *rt_cgroup_layout_name(enum rt_cgroup_layout l)
{
	switch (l) {
	case RT_CGROUP_V1: return "v1";
	case RT_CGROUP_HYBRID: return "hybrid";
	case RT_CGROUP_V2: return "v2";
	default: return "none";
	}
}
