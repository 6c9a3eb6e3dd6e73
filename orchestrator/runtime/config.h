/* The container config: everything the runtime needs to start one
 * container, in the spirit of a small OCI runtime spec.  runtime/ knows
 * nothing of YAML or stacks: the supervisor, `stack run` and the builder
 * fill this struct from their own models.
 *
 * Strings and arrays are borrowed: they must stay valid for the duration of
 * rt_container_start() only, or from rt_container_start_begin() to the
 * step that ends the start (the started container copies what it keeps).
 * Start from rt_config_init(), which sets the defaults a zeroed struct
 * cannot express (init on, SIGTERM as the stop signal). */
#ifndef STACK_RUNTIME_CONFIG_H
#define STACK_RUNTIME_CONFIG_H

#include "runtime/cgroup.h"
#include "runtime/rlimit.h"
#include "runtime/seccomp.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum rt_net_mode {
	RT_NET_NONE,    /* new network namespace with only lo (up) */
	RT_NET_HOST,    /* the host's network namespace */
	RT_NET_PRIVATE, /* like NONE, then cfg->net_hook plugs it in (veth) */
	RT_NET_JOIN,    /* the network namespace cfg->net_join_fd names (network_mode: service:NAME) */
};

enum rt_mount_type {
	RT_MOUNT_BIND,  /* a host file or directory; a "secret" is a read-only bind */
	RT_MOUNT_TMPFS,
};

struct rt_mount {
	enum rt_mount_type type;
	const char *source;  /* bind: host path (must exist) */
	const char *target;  /* absolute path in the container; created if missing */
	bool read_only;      /* read-only and nosuid; every bind is nodev */
	uint64_t tmpfs_size; /* bytes; 0 = the kernel's default (half of RAM) */
	mode_t tmpfs_mode;   /* 0 = 01777 */
};

/* A host device made available in the container (compose's `devices:`):
 * its node is made in the container's /dev with the host node's type,
 * numbers, mode and owner, and the device allow-list gets a rule for it.
 * Every container's allow-list is Docker's default (see cgroup.h) plus
 * these. */
struct rt_device {
	const char *source; /* host path of a character or block device (symlinks followed) */
	const char *target; /* absolute path below /dev in the container (not in /dev/pts, shm, mqueue) */
	unsigned access;    /* RT_DEV_READ | RT_DEV_WRITE | RT_DEV_MKNOD; 0 = all three */
};

enum rt_stdio {
	RT_STDIO_INHERIT, /* the caller's fds 0, 1, 2 (`stack run` in a terminal) */
	RT_STDIO_PIPES,   /* three pipes; rt_container_stdio() gives the parent ends */
	RT_STDIO_FDS,     /* the fds in rt_process.fds (dup'ed, the caller keeps its own;
	                   * -1 = the caller's own fd 0, 1 or 2) */
};

struct rt_process {
	const char *const *argv; /* NULL-terminated; argv[0] searched in the container's PATH */
	const char *const *env;  /* NULL-terminated "K=V"; HOME, PATH (and TERM with a tty) added if absent */
	const char *cwd;         /* NULL = "/"; created if missing */
	const char *user;        /* "name", "uid", "uid:gid", "name:group"; NULL = root */
	bool tty;                /* a pty: the payload gets the slave, rt_container_pty() the master */
	enum rt_stdio stdio;     /* ignored when tty is set */
	int fds[3];              /* RT_STDIO_FDS */
};

struct rt_container;

/* Called in the parent once the container's network namespace exists and
 * before its process runs (RT_NET_PRIVATE only): the place where a
 * supervisor moves a veth end into /proc/PID/ns/net.  Return -1 + err to
 * abort the start. */
typedef int (*rt_net_hook_fn)(pid_t pid, void *data, st_error_t *err);

struct rt_config {
	const char *id;        /* container name: cgroup name, default hostname */
	const char *state_dir; /* created by start (must not exist); upper/, work/, merged/, etc files */
	const char *const *lower_dirs; /* image layers, topmost first, NULL-terminated; at most 500 */
	bool read_only;        /* read-only root filesystem */
	/* The writable layer.  NULL (default): upper/ and work/ in state_dir,
	 * a volatile overlay, removed by destroy.  Set: a pair of existing
	 * directories on one filesystem that the caller owns, e.g. a RUN
	 * step's layer or a service's layer kept across restarts (start again
	 * with the same pair; one container at a time holds it).  The overlay
	 * is then not volatile, destroy leaves both, and what the container
	 * wrote is in upper_dir as overlayfs writes it: files, whiteouts (char
	 * 0:0 nodes) for deletions, opaque directories (xattr
	 * trusted.overlay.opaque=y).  rt_container_sync_upper() before a commit. */
	const char *upper_dir;
	const char *work_dir;   /* overlayfs's scratch dir, with upper_dir */

	const struct rt_mount *mounts;
	size_t n_mounts;
	/* Record where each of `mounts` landed in the root, for
	 * rt_container_mount_points(): the image's symlinks on a target's
	 * path are followed inside the root, so that path may differ. */
	bool report_mount_points;

	const struct rt_device *devices;
	size_t n_devices;

	const char *hostname;           /* NULL = id (first 63 bytes) */
	enum rt_net_mode net;
	rt_net_hook_fn net_hook;        /* RT_NET_PRIVATE; may be NULL */
	void *net_hook_data;
	int net_join_fd;                /* RT_NET_JOIN: an fd of a netns (/proc/PID/ns/net); the caller's */
	const char *const *extra_hosts; /* "NAME:ADDR" lines added to /etc/hosts; may be NULL */
	const char *const *dns;         /* nameservers replacing the host's; may be NULL */

	struct rt_process process;

	const char *const *cap_add;  /* capability names, NULL-terminated; may be NULL */
	const char *const *cap_drop;
	bool no_new_privileges;
	enum rt_seccomp_mode seccomp;
	const char *seccomp_profile;   /* RT_SECCOMP_PROFILE */
	const char *seccomp_cache_dir; /* compiled filters; NULL = compile every time */

	struct rt_cgroup_limits limits;
	const char *cgroup_parent;     /* NULL or "": "stack"; the caller resolves STACK_CGROUP_PARENT */

	const struct rt_rlimit *rlimits;
	size_t n_rlimits;

	bool init;       /* our tiny init is PID 1 and the payload its child (default true) */
	/* SIGKILL the container when the thread that started it dies (as
	 * bubblewrap's --die-with-parent): a one-off `stack run` killed with
	 * SIGKILL takes its container along instead of orphaning it. */
	bool die_with_parent;
	int stop_signal; /* for rt_container_stop() (default SIGTERM) */
	/* How long rt_container_start() (and rt_container_exec() into this
	 * container) may wait for the new process to get through its setup
	 * to the payload's execve.  A bind source on a hung FUSE or NFS
	 * mount, or a FIFO in the image where /etc/passwd should be, would
	 * otherwise hang the start, and the caller, for good.  On expiry the
	 * process is killed, everything is undone, and the error (ETIMEDOUT)
	 * names the step it hung at.  rt_config_init(): 30 s; 0: no deadline. */
	int start_timeout_ms;
};

#define RT_START_TIMEOUT_MS_DEFAULT 30000

void rt_config_init(struct rt_config *cfg);

#endif
