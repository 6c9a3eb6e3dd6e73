/* Internals shared by cgroup*.c: the host's hierarchies and the per-
 * container directories.  Not for use outside runtime/cgroup*.c. */
#ifndef STACK_RUNTIME_CGROUP_INTERNAL_H
#define STACK_RUNTIME_CGROUP_INTERNAL_H

#include "runtime/cgroup.h"
#include "util/strv.h"

#include <stdbool.h>

/* The controllers we place containers in.  CG_DEVICES is v1 only (cgroup2
 * has no devices controller: a BPF program does that job there). */
enum cg_ctrl { CG_MEMORY, CG_PIDS, CG_CPU, CG_CPUACCT, CG_FREEZER, CG_DEVICES, CG_NCTRL };
#define CG_BIT(c) (1u << (c))

struct cg_hier {
	char *mount;       /* mount point (hierarchy root) */
	unsigned ctrls;    /* CG_BIT()s of ours served by this hierarchy */
	bool v2;
	/* v1: what mounts this hierarchy again ("cpu,cpuacct",
	 * "none,name=systemd"): the controllers and the name from its super
	 * options, nothing else (a cgroup namespace may only mount an
	 * existing hierarchy, by exactly these).  v2: "". */
	char *data;
};

/* The host: at most one v2 hierarchy, one v1 hierarchy per controller
 * set (ours and the others: cpuset, blkio, net_cls, name=systemd ...). */
#define CG_MAX_HIER 16
struct cg_host {
	struct cg_hier h[CG_MAX_HIER];
	size_t n;
	int v2;            /* index in h of the cgroup2 hierarchy, or -1 */
	unsigned v2_avail; /* controllers listed in the v2 root's cgroup.controllers */
};

/* A copy (cg_host_free() it); the real host is read once per process. */
int cg_host_detect(const struct rt_cgroup_opts *opts, struct cg_host *host, st_error_t *err);
void cg_host_free(struct cg_host *host);
const char *cg_ctrl_name(enum cg_ctrl c);

struct cg_dir {
	char *path;     /* absolute directory */
	unsigned ctrls; /* controllers of ours in it */
	bool v2;
	bool created;   /* by this rt_cgroup (for cleanup on a failed create) */
};

struct rt_cgroup {
	char *rel;            /* PARENT/NAME */
	char *parent;         /* PARENT */
	struct cg_dir d[CG_MAX_HIER];
	size_t n;
	int v2_fd;            /* O_DIRECTORY fd of the v2 dir, or -1 */
	struct strv warnings;
};

/* Write `value` to DIR/FILE; the error names both. */
int cg_write(const char *dir, const char *file, const char *value, st_error_t *err);
/* Read DIR/FILE (NUL-terminated, caller frees); NULL + errno on failure. */
char *cg_read(const char *dir, const char *file);
bool cg_file_exists(const char *dir, const char *file);
/* "key N" lookup in a flat-keyed file's text; -1 if absent. */
long long cg_keyed_value(const char *text, const char *key);

/* The directory holding controller c, or NULL. */
struct cg_dir *cg_dir_for(struct rt_cgroup *cg, enum cg_ctrl c);
struct cg_dir *cg_dir_v2(struct rt_cgroup *cg);

/* Apply limits to the created directories (cgroup_limits.c). */
int cg_apply_limits(struct rt_cgroup *cg, const struct rt_cgroup_limits *lim, st_error_t *err);

/* Install the device allow-list (cgroup_devices.c): the v1 devices
 * directory when the cgroup has one, else a BPF program on the cgroup2
 * directory (cg->v2_fd). */
int cg_apply_devices(struct rt_cgroup *cg, const struct rt_device_rule *rules, size_t n, st_error_t *err);

#endif
