/* Per-container cgroups on cgroup v1, v2 and hybrid hosts.
 *
 * The host layout is read from /proc/self/mountinfo: each wanted controller
 * (memory, pids, cpu, plus cpuacct, freezer and devices when they are v1) is taken
 * from the v1 hierarchy it is mounted on, else from the cgroup2 mount if that
 * lists it in cgroup.controllers.  On hybrid hosts (v1 controllers plus a
 * cgroup2 mount with few or none) the container gets a directory in the
 * cgroup2 tree only when it needs something from it: a controller of ours
 * served there, a device allow-list without a v1 devices controller, or
 * cgroup.kill because there is no v1 freezer (see rt_cgroup_create() in
 * cgroup.c for why); with every_hierarchy (a container start: it sees
 * them all at /sys/fs/cgroup) in every hierarchy.  A host where
 * a requested limit's controller exists nowhere is an error, not a no-op.
 *
 * A container's cgroup is PARENT/NAME in every hierarchy, PARENT relative to
 * the hierarchy's root (not to our own cgroup).  PARENT defaults to
 * $STACK_CGROUP_PARENT, else "stack". */
#ifndef STACK_RUNTIME_CGROUP_H
#define STACK_RUNTIME_CGROUP_H

#include "util/error.h"
#include "util/strv.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* 0 means "not set" for every field. */
struct rt_cgroup_limits {
	int64_t memory;      /* bytes (v1 memory.limit_in_bytes, v2 memory.max) */
	int64_t memory_swap; /* memory+swap bytes, Docker's --memory-swap; 0: same as
	                      * memory (no swap at all), -1: unlimited swap */
	int64_t pids;        /* pids.max; -1: unlimited */
	uint64_t cpu_shares; /* v1 cpu.shares; v2 cpu.weight = 1 + ((s-2)*9999)/262142 */
	int64_t cpu_quota_us;  /* cfs quota per period; e.g. cpus=1.5 -> 150000 */
	int64_t cpu_period_us; /* 0: 100000 */
};

/* One rule of a device allow-list, as a line of v1 `devices.allow`
 * ("c 1:3 rwm"): which devices it matches and what it allows on them.
 * The bits are those of the kernel's BPF_DEVCG_ACC_*. */
#define RT_DEV_MKNOD 1u
#define RT_DEV_READ 2u
#define RT_DEV_WRITE 4u
#define RT_DEV_RWM (RT_DEV_MKNOD | RT_DEV_READ | RT_DEV_WRITE)
struct rt_device_rule {
	char type;             /* 'c', 'b', or 'a' for both */
	int64_t major, minor;  /* -1: any */
	unsigned access;       /* RT_DEV_* */
};

/* Docker's default allow-list (cgroup_devices.c has the list and why). */
extern const struct rt_device_rule rt_device_rules_default[];
extern const size_t rt_n_device_rules_default;

struct rt_cgroup_opts {
	const char *parent;  /* NULL or "": "stack" (the runtime reads no environment) */
	/* When set, the processes of the cgroup may open and mknod only the
	 * devices these rules allow (n_devices may be 0: none at all), as
	 * Docker's device cgroup does: the v1 devices controller when the
	 * host mounts it (hybrid hosts included), else a
	 * BPF_PROG_TYPE_CGROUP_DEVICE program on the cgroup2 directory.
	 * A host with neither, or a kernel that refuses the program, fails
	 * rt_cgroup_create(): this is a security boundary, not a limit to
	 * apply as far as possible.  NULL: no device restriction of ours. */
	const struct rt_device_rule *devices;
	size_t n_devices;
	/* A directory in every hierarchy of the host, not only in those
	 * that serve a controller of ours (and, on hybrid hosts, in the
	 * cgroup2 tree too): a container with a cgroup namespace sees each
	 * hierarchy at /sys/fs/cgroup, rooted at its own cgroup there, and
	 * must see its own cgroup, not the caller's subtree. */
	bool every_hierarchy;
	/* Tests: use this cgroup2 mount as the only hierarchy (v1 ignored). */
	const char *v2_root;
	/* Tests: parse this file instead of /proc/self/mountinfo. */
	const char *mountinfo;
};

struct rt_cgroup;

/* Create PARENT/NAME in every relevant hierarchy and apply `lim` (may be
 * NULL).  On failure nothing is left behind and the error names the file
 * and the value ("write `1073741824` to `/sys/fs/cgroup/memory/stack/x/
 * memory.limit_in_bytes`: Invalid argument").  Limits the host cannot apply
 * only in part (e.g. no memory.memsw.* without swap accounting) are applied
 * as far as possible and described in rt_cgroup_warnings().  An existing
 * cgroup of that name (left by a crash) is reused after killing its
 * processes.  `opts` may be NULL. */
int rt_cgroup_create(const char *name, const struct rt_cgroup_limits *lim,
		     const struct rt_cgroup_opts *opts, struct rt_cgroup **out, st_error_t *err);

/* Human-readable warnings from create (never NULL; may be empty). */
const struct strv *rt_cgroup_warnings(const struct rt_cgroup *cg);

/* "PARENT/NAME", for the state file and `stack ps`. */
const char *rt_cgroup_path(const struct rt_cgroup *cg);

/* Move `pid` (all its threads) into the cgroup in every hierarchy, by
 * writing cgroup.procs.  Call it before the child execs (e.g. while it
 * waits on a sync pipe).  Each write takes the kernel's global
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period (5-12 ms on a busy host): rt_container_start() and
 * rt_container_exec() use the self-join below instead. */
int rt_cgroup_add_pid(struct rt_cgroup *cg, pid_t pid, st_error_t *err);

/* Joining without that lock.  The kernel skips cgroup_threadgroup_rwsem
 * when a single thread moves itself: "0" written to a v1 hierarchy's
 * `tasks` file by the thread itself (0.05 ms for five hierarchies, against
 * ~11 ms for cgroup.procs writes from the parent).  So the parent opens
 * those files (rt_cgroup_join_open) and passes the fds to the new process
 * (the container's first, or an exec'd one), still single-threaded and
 * before it runs anything else, which calls rt_cgroup_join_self().  A cgroup2 directory has no such
 * path (cgroup.procs always takes the lock, cgroup.threads needs threaded
 * mode): the parent adds the child there with rt_cgroup_add_pid_v2(). */
#define RT_CGROUP_JOIN_MAX 16
struct rt_cgroup_join {
	int fd[RT_CGROUP_JOIN_MAX]; /* O_WRONLY|O_CLOEXEC `tasks` of each v1 dir */
	char *path[RT_CGROUP_JOIN_MAX];
	size_t n;
};
/* Open the `tasks` file of every v1 directory (j->n may be 0).  On
 * failure nothing stays open. */
int rt_cgroup_join_open(struct rt_cgroup *cg, struct rt_cgroup_join *j, st_error_t *err);
/* Close what is still open and free the paths; j may be all zeros. */
void rt_cgroup_join_close(struct rt_cgroup_join *j);
/* In the single-threaded process to move: write "0" to each fd and close
 * it.  Allocates nothing.  -1 with errno and *failed = the index of the
 * fd that was refused (every fd is closed either way). */
int rt_cgroup_join_self(const int *fds, size_t n, size_t *failed);
/* Move `pid` into the cgroup2 directory, if the cgroup has one
 * (cgroup.procs from the parent: what a self-join cannot do). */
int rt_cgroup_add_pid_v2(struct rt_cgroup *cg, pid_t pid, st_error_t *err);

/* The cgroup2 directory's O_DIRECTORY fd (owned by cg) for clone3()'s
 * CLONE_INTO_CGROUP, or -1 when there is no cgroup2 directory.  When
 * rt_cgroup_has_v1() is true the child must still be added to the v1
 * hierarchies (rt_cgroup_add_pid(), or the self-join). */
int rt_cgroup_v2_fd(const struct rt_cgroup *cg);
bool rt_cgroup_has_v1(const struct rt_cgroup *cg);

/* True when the kernel OOM-killed a process of this cgroup:
 * rt_cgroup_oom_kills() > 0. */
bool rt_cgroup_oom_killed(struct rt_cgroup *cg);
/* The count behind it: "oom_kill" of v2 memory.events or v1
 * memory.oom_control (4.13+); -1 when there is none (no memory
 * controller, an older v1 kernel).  One small file read. */
long long rt_cgroup_oom_kills(struct rt_cgroup *cg);
/* An fd (non-blocking, close-on-exec) that becomes readable when the
 * cgroup's OOM kill count may have risen (cgroup_oom_watch.c): v1's
 * memory.oom_control eventfd, v2's inotify on memory.events.  *keep is
 * an fd to close with it (v1: the oom_control file), or -1.  -1 and *err
 * when there is no memory controller or the kernel refuses: poll the
 * count instead.  rt_oom_watch_drain() after each wakeup. */
int rt_cgroup_oom_watch(struct rt_cgroup *cg, int *keep, st_error_t *err);
void rt_oom_watch_drain(int fd);

/* Current number of processes (cgroup.procs, sub-cgroups included). */
int rt_cgroup_count_procs(struct rt_cgroup *cg, st_error_t *err);

/* The pids of its processes, sub-cgroups included (*pids: free() it). */
int rt_cgroup_list_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n, st_error_t *err);

/* What `stack stats` shows, read from the cgroup's own files
 * (cgroup_stats.c); a has_* is false when no hierarchy of the cgroup
 * serves that controller. */
struct rt_cgroup_stats {
	bool has_cpu, has_memory, has_pids;
	uint64_t cpu_ns;            /* v1 cpuacct.usage; v2 cpu.stat usage_usec * 1000 */
	uint64_t mem_usage;         /* v1 memory.usage_in_bytes; v2 memory.current */
	uint64_t mem_inactive_file; /* v1 memory.stat total_inactive_file; v2 inactive_file */
	int64_t mem_limit;          /* bytes; -1: none (v1 "unlimited", v2 "max") */
	uint64_t pids;              /* pids.current */
	int64_t pids_limit;         /* pids.max; -1: "max" */
};
/* Small files only: one read each, nothing that waits. */
void rt_cgroup_read_stats(struct rt_cgroup *cg, struct rt_cgroup_stats *out);

/* Send `sig` to every process: v2 cgroup.kill when sig is SIGKILL and the
 * file exists, else a freeze (v1 freezer when available) + cgroup.procs
 * loop until no new process appears. */
int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig, st_error_t *err);

/* SIGKILL leftovers, rmdir the directory in every hierarchy (retrying EBUSY
 * briefly), remove PARENT too when it became empty, and free cg (also on
 * error).  cg may be NULL. */
int rt_cgroup_destroy(struct rt_cgroup *cg, st_error_t *err);

/* rt_cgroup_destroy() for an event loop, which must not sleep: one
 * SIGKILL to every process (no freeze, no waiting), then an rmdir of each
 * directory.  0: removed (PARENT too when it became empty), cg freed.
 * 1: a directory is still busy (EBUSY: a killed task has not finished
 * exiting, or cannot yet, e.g. frozen or in an uninterruptible sleep):
 * call again later, from a timer; cg is kept.  -1: error, cg freed. */
int rt_cgroup_try_remove(struct rt_cgroup *cg, st_error_t *err);

/* The existing PARENT/NAME in every hierarchy that has it, to join
 * (rt_container_open: a container another process started); ENOENT when
 * none has it.  rt_cgroup_free() it: it is not ours to remove. */
int rt_cgroup_open(const char *name, const struct rt_cgroup_opts *opts, struct rt_cgroup **out, st_error_t *err);

/* Free without removing anything (the cgroup outlives this process). */
void rt_cgroup_free(struct rt_cgroup *cg);

/* After a crash: find PARENT/NAME in every hierarchy, kill what runs there
 * and remove it.  Missing everywhere is not an error. */
int rt_cgroup_remove_by_name(const char *name, const struct rt_cgroup_opts *opts, st_error_t *err);

/* A container's /sys/fs/cgroup: one file system per host hierarchy,
 * mounted read-only in the container's cgroup namespace (so rooted at its
 * own cgroup), as Docker mounts it.  From the host's layout, before the
 * container's cgroup exists (rt_cgroup_create with every_hierarchy makes
 * a directory in each of them). */
struct rt_cgroup_fs {
	const char *fstype; /* "cgroup" or "cgroup2" */
	char *data;         /* mount data: "cpu,cpuacct", "none,name=systemd"; "" for cgroup2 */
	char *dir;          /* below /sys/fs/cgroup ("cpu,cpuacct", "systemd", "unified");
	                     * "" when a cgroup2-only host mounts it there itself */
	struct strv links;  /* symlinks next to dir that name it ("cpu", "cpuacct") */
};
int rt_cgroup_fs_plan(const struct rt_cgroup_opts *opts, struct rt_cgroup_fs **out, size_t *n, st_error_t *err);
void rt_cgroup_fs_free(struct rt_cgroup_fs *fs, size_t n);

/* Host layout, for diagnostics and `stack info`. */
enum rt_cgroup_layout { RT_CGROUP_NONE, RT_CGROUP_V1, RT_CGROUP_HYBRID, RT_CGROUP_V2 };
int rt_cgroup_detect_layout(const struct rt_cgroup_opts *opts, enum rt_cgroup_layout *out, st_error_t *err);
const char *rt_cgroup_layout_name(enum rt_cgroup_layout l);

/* Docker's cpu_shares -> cgroup v2 cpu.weight (runc/crun conversion). */
uint64_t rt_cgroup_shares_to_weight(uint64_t shares);

#endif
