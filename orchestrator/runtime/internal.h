/* Shared between the runtime's files; not part of the API.
 *
 * The parent (rt_container_start) forks one child that becomes PID 1 of the
 * new pid namespace.  The child sets up the root filesystem, tells the
 * parent it is ready, waits for "go" (the parent has made the cgroup
 * meanwhile; "go" carries the fds of its v1 `tasks` files), moves itself
 * into the cgroup (rt_cgroup_join_self: no global kernel lock, unlike the
 * parent writing cgroup.procs), does the payload's setup (user, caps,
 * no_new_privs, seccomp) and then execs either the payload (init = false)
 * or our init, stack-init, which forks the payload (init_abi.h).  Every
 * container process is in a session of its own from the fork on: sharing
 * the caller's would let it TIOCSTI into the caller's terminal.  They talk
 * over a SOCK_SEQPACKET socketpair: one message per write, so an error
 * report is never torn. */
#ifndef STACK_RUNTIME_INTERNAL_H
#define STACK_RUNTIME_INTERNAL_H

#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/config.h"
#include "runtime/container.h"
#include "runtime/init_abi.h"
#include "runtime/rlimit.h"
#include "runtime/seccomp.h"
#include "util/error.h"
#include "util/strv.h"

#include <signal.h>
#include <sys/mount.h>
#include <stdbool.h>
#include <sys/types.h>

/* proc.c: one process of ours in a container, the first (init, or the
 * payload itself) or an exec'd one.  start and exec make it the same way
 * (spawn_handshake.c) and it is waited for, signalled and torn down the
 * same way. */
struct rt_proc {
	pid_t pid;       /* our child; -1 until forked */
	int pidfd;       /* -1 without pidfd_open (see rt_proc_signal) */
	int stdio[3];    /* RT_STDIO_PIPES: the parent's ends */
	int pty_master;
	bool exited;     /* reaped: status is its wait status */
	int status;
};
void rt_proc_init(struct rt_proc *p);
/* waitpid(): 1 = reaped (now or before; p->status), 0 = still running
 * (only when !block), -1 = error ("waitpid PID: ..."). */
int rt_proc_reap(struct rt_proc *p, bool block, st_error_t *err);
/* Signal it unless reaped: 0, or -1 with errno (ESRCH is 0). */
int rt_proc_signal(struct rt_proc *p, int sig);
/* SIGKILL and reap, unless reaped.  Blocks only as long as the kernel
 * takes to end a killed process (a task in an uninterruptible sleep, such
 * as a hard NFS mount, only dies when that sleep ends). */
void rt_proc_kill(struct rt_proc *p);
/* Close stdio, the pty and the pidfd. */
void rt_proc_close(struct rt_proc *p);
int rt_proc_take_stdio(struct rt_proc *p, int which);

struct rt_container {
	char *id;
	char *state_dir;
	struct rt_proc p; /* init, or the payload itself */
	int sync_fd;     /* init mode: init sends the payload's wait status here */
	int stop_signal;
	int start_timeout_ms; /* cfg->start_timeout_ms, for rt_container_exec() too */
	struct rt_cgroup *cg;
	struct strv warnings;
	int upper_fd;    /* cfg->upper_dir (locked), -1 when the upper is in state_dir */
	/* For rt_container_exec(). */
	struct rt_caps caps;
	struct rt_seccomp_prog *seccomp;
	bool no_new_privileges;
	enum rt_net_mode net;
	struct strv env; /* cfg->process.env */
	struct rt_rlimit *rlimits;
	size_t n_rlimits;
	struct rt_exit exit; /* once p.exited */
	char *user;      /* cfg->process.user (NULL: root), exec's default */
	char *cwd;       /* cfg->process.cwd, exec's default */
	unsigned long long start_time; /* of p.pid, field 22 of /proc/PID/stat */
	/* rt_container_open(): started by another process, whose child it
	 * is: its exit status is not ours to read, nor its cleanup ours. */
	bool opened;
};

/* state.c: the state file rt_container_open() reads, written once the
 * start succeeded (ct->start_time set). */
int rt_state_write(const struct rt_container *ct, st_error_t *err);
/* proc.c-like: the start time of pid (field 22 of /proc/PID/stat). */
int rt_proc_start_time(pid_t pid, unsigned long long *out, st_error_t *err);

/* container.c: a wait status as exit code (128+N for signal N) and signal. */
void rt_exit_from_status(struct rt_exit *x, int status);

/* ---- sync.c: parent <-> child messages ---- */
enum rt_msg_type {
	RT_MSG_ERROR = 1, /* child -> parent: status = errno, text = message */
	RT_MSG_READY,     /* child -> parent: rootfs done (carries the pty master) */
	RT_MSG_GO,        /* parent -> child: network plugged; carries the cgroup
	                   * `tasks` fds to join, status = how many */
	RT_MSG_STARTED,   /* init -> parent: the payload exec'd */
	RT_MSG_EXIT,      /* init -> parent: status = the payload's wait status */
	RT_MSG_EXEC_FAILED, /* child -> parent: like ERROR, from the final execve */
	RT_MSG_JOIN_FAILED, /* child -> parent: status = errno, text = index of
	                     * the GO fd whose write was refused (the parent
	                     * knows the file's name) */
};

struct rt_msg {
	int type;
	int status;
	char text[1024];
};

/* fd: passed along with SCM_RIGHTS (-1 = none). */
int rt_sync_send(int sock, int type, int status, const char *text, int fd);
/* 1 = got a message, 0 = EOF, -1 = error (errno). */
int rt_sync_recv(int sock, struct rt_msg *m, int *fd_out);
/* The same with up to RT_SYNC_MAX_FDS fds in one message.  recv stores at
 * most max_fds of them in fds[] (*n_fds = how many), closes any others,
 * and fails with EPROTO when the kernel truncated the list. */
#define RT_SYNC_MAX_FDS RT_CGROUP_JOIN_MAX
int rt_sync_send_fds(int sock, int type, int status, const char *text, const int *fds, size_t n_fds);
int rt_sync_recv_fds(int sock, struct rt_msg *m, int *fds, size_t max_fds, size_t *n_fds);
/* Child: report *err (or errno + what) to the parent and _exit(code). */
__attribute__((noreturn)) void rt_child_fail(int sock, st_error_t *err, int code);

/* user.c (child, after pivot_root): resolve the user spec against the
 * container's /etc/passwd and /etc/group. */
struct rt_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	size_t n_groups;
	char home[256];
};

/* dev.c (parent, before the fork): cfg->devices checked against the host
 * (each source must be a device node), as the nodes to make in the
 * container's /dev and the device allow-list for its cgroup: Docker's
 * default rules plus one per device. */
struct rt_dev_node {
	const char *target; /* "/dev/...", borrowed from the config */
	const char *source;
	mode_t mode;        /* S_IFCHR or S_IFBLK, and the host node's permission bits */
	dev_t rdev;
	uid_t uid;
	gid_t gid;
};
struct rt_dev_plan {
	struct rt_dev_node *nodes;
	size_t n_nodes;
	struct rt_device_rule *rules;
	size_t n_rules;
};
int rt_dev_prepare(const struct rt_config *cfg, struct rt_dev_plan *plan, st_error_t *err);
void rt_dev_plan_free(struct rt_dev_plan *plan);

/* ---- the child's view ---- */
struct rt_child {
	const struct rt_config *cfg;
	int sync_fd;
	const struct rt_caps *caps;
	const struct rt_seccomp_prog *seccomp;
	const struct rt_rlimit *rlimits;
	size_t n_rlimits;
	int stdio[3];          /* fds to become 0, 1, 2; -1 = keep */
	int init_fd;           /* cfg->init: O_PATH fd of stack-init (rt_init_open) */
	char pty_slave[64];    /* tty: /dev/pts/N inside the container */
	const char *merged;    /* state_dir/merged */
	const char *hostname;
	const char *etc_dir;   /* state_dir: hosts, hostname, resolv.conf */
	const struct rt_dev_plan *dev; /* passed-through devices; may be NULL */
	const struct rt_cgroup_fs *cgroup_fs; /* its /sys/fs/cgroup (cgroup_fs.c) */
	size_t n_cgroup_fs;
	struct rt_user user;   /* rt_payload_prepare() */
	struct strv env;
	struct rt_progress *progress; /* shared with the parent until the execve */
};

/* Where the child is, in a page it shares with the parent until its
 * execve: on start_timeout_ms the parent kills it and names the step it
 * hung at (a bind source on a hung FUSE/NFS mount, a FIFO in the image
 * where /etc/passwd should be).  Shared memory, not a message per step:
 * no syscall and no wakeup of the parent on the start path. */
struct rt_progress {
	char step[512];
};
/* spawn.c (child): record the step about to be taken. */
__attribute__((format(printf, 2, 3))) void rt_child_step(struct rt_child *c, const char *fmt, ...);
/* Tests: the child stops (pause()s until killed) at the first step whose
 * text contains this, as a bind source on a hung file system would. */
extern const char *rt_test_child_hang_step;

/* spawn.c: close every fd but 0-2, sync_fd, stdio[] and init_fd. */
void rt_child_close_fds(struct rt_child *c);
/* fork() into a new pid namespace (ns_fd < 0) or into ns_fd's. */
pid_t rt_fork_in_pidns(int ns_fd, st_error_t *err);

/* spawn_handshake.c: one start or exec in flight, from the channels
 * made before the fork to the child's execve.  Every wait in it is
 * bounded by the deadline that rt_spawn_open() sets: on expiry the child
 * is killed and reaped, and the error names the step it hung at. */
struct rt_spawn {
	struct rt_proc *proc;
	const char *what;       /* "container process" or "exec'd process" */
	int sock[2];            /* [0] ours, [1] the child's (closed after the fork) */
	int child_stdio[3];     /* RT_STDIO_PIPES: the child's ends, until the fork */
	struct rt_cgroup_join join;
	struct rt_progress *progress;
	int timeout_ms;         /* <= 0: no deadline */
	struct timespec deadline; /* CLOCK_MONOTONIC */
};
/* Before the fork: the sync socket, RT_STDIO_PIPES's pipes (the
 * parent's ends in p->stdio), the progress page, and the deadline. */
int rt_spawn_open(struct rt_spawn *s, struct rt_proc *p, const struct rt_process *proc, const char *what,
		  int timeout_ms, st_error_t *err);
/* The child's sync socket, stdio and progress page in c. */
void rt_spawn_child_fds(const struct rt_spawn *s, const struct rt_process *proc, struct rt_child *c);
/* Right after the fork: close the child's ends, open the pidfd. */
int rt_spawn_forked(struct rt_spawn *s, pid_t pid, st_error_t *err);
/* The handshake in steps that never block, for rt_container_start_step():
 * rt_spawn_check() says whether the child's next message is there (1),
 * not yet (0), or the deadline passed (-1: the child is killed and
 * reaped, the error names its step); rt_spawn_ms_left() is the time left
 * (-1: no deadline).  Then, in this order: */
int rt_spawn_check(struct rt_spawn *s, const char *step, st_error_t *err);
int rt_spawn_ms_left(const struct rt_spawn *s);
/* Open cg's join files (cg may be NULL) and add the child to cg's
 * cgroup2 directory, while it sets up its root. */
int rt_spawn_ready_begin(struct rt_spawn *s, struct rt_cgroup *cg, st_error_t *err);
/* Readable: READY (its pty master into p->pty_master). */
int rt_spawn_recv_ready(struct rt_spawn *s, st_error_t *err);
/* GO with the join files. */
int rt_spawn_send_go(struct rt_spawn *s, st_error_t *err);
/* Readable: the next message, as rt_parent_recv() (m->type tells which);
 * 0 = EOF (the payload exec'd). */
int rt_spawn_recv_exec(struct rt_spawn *s, struct rt_msg *m, st_error_t *err);
/* The same steps blocking, each wait bounded by the deadline
 * (rt_spawn_wait: poll until readable, 1, or -1 as rt_spawn_check). */
int rt_spawn_wait(struct rt_spawn *s, const char *step, st_error_t *err);
int rt_spawn_ready(struct rt_spawn *s, struct rt_cgroup *cg, st_error_t *err);
int rt_spawn_go(struct rt_spawn *s, struct rt_msg *m, st_error_t *err);
/* Our end of the sync socket, now the caller's (init keeps talking on it). */
int rt_spawn_take_sock(struct rt_spawn *s);
/* Close what is left (not the process: see rt_proc_kill()). */
void rt_spawn_close(struct rt_spawn *s);

/* Parent: read the child's next message.  ERROR, EXEC_FAILED and
 * JOIN_FAILED become -1 with the child's message (join names the file a
 * JOIN_FAILED refers to; m->type tells which); else 1, or 0 on EOF. */
int rt_parent_recv(int sock, struct rt_msg *m, int *fd, const struct rt_cgroup_join *join, const char *step,
		   st_error_t *err);
/* Child, tty mode: open a pty on the container's /dev/ptmx (its name in
 * c->pty_slave) and return the master; -1 without a tty. */
int rt_child_open_pty(struct rt_child *c);
/* Child, after READY: wait for GO and join the cgroup through the `tasks`
 * fds it carries (see cgroup.h).  Exits when the parent gave up; reports
 * a refused join as JOIN_FAILED. */
void rt_child_await_go(struct rt_child *c);
/* rootfs.c: everything up to and including pivot_root. */
int rt_rootfs_setup(struct rt_child *c, st_error_t *err);
/* After pivot_root: remount / read-only when configured. */
int rt_rootfs_finish(struct rt_child *c, st_error_t *err);

/* resolve.c: open `path` (absolute, in the container) below rootfd without
 * ever leaving it (symlinks resolved as if rootfd were /).  With create,
 * missing components are made as directories and the last one as a
 * directory (S_IFDIR) or an empty file (S_IFREG), also where a dangling
 * symlink points (its target is made inside the root).  Returns an O_PATH
 * fd; an error says what in the image to fix (a loop, a non-directory). */
int rt_open_in_root(int rootfd, const char *path, mode_t create, st_error_t *err);
/* Tests: use the openat2-less walk even where openat2 exists. */
extern bool rt_resolve_force_walk;
/* "/proc/self/fd/N" in buf (size >= 32). */
const char *rt_fd_path(char *buf, size_t size, int fd);

/* overlay.c: the root overlay. */
#define RT_OVERLAY_MAX_LAYERS 500 /* overlayfs's OVL_MAX_STACK */
struct rt_overlay {
	const char *const *lower; /* topmost first, NULL-terminated */
	const char *upper, *work;
	bool is_volatile;         /* no syncs: the upper is thrown away */
	bool keep;                /* the upper will be committed or reused */
};
/* Parent, in validate(): the layer count and the upper/work pair's form. */
int rt_overlay_check(const struct rt_config *cfg, st_error_t *err);
/* Parent, before any side effect: a caller-owned upper (cfg->upper_dir)
 * checked and locked; *fd = the locked fd (-1 without upper_dir). */
int rt_overlay_take_upper(const struct rt_config *cfg, int *fd, st_error_t *err);
/* Child, in its mount namespace: mount it on target (an absolute path). */
int rt_overlay_mount(const struct rt_overlay *ov, const char *target, st_error_t *err);
/* Tests: mount(2) with fd names, as on kernels without "lowerdir+". */
extern bool rt_overlay_force_legacy;

/* mounts.c */
int rt_mounts_setup(struct rt_child *c, int rootfd, st_error_t *err);
/* Bind src (dirfd + path; path "" = dirfd itself) onto target_fd,
 * recursively, with the MOUNT_ATTR_* flags in attr set on every mount of
 * the copy (RT_BIND_RO: read-only, nosuid, nodev). */
#define RT_BIND_RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
int rt_bind(int src_dirfd, const char *src_path, int target_fd, unsigned attr, const char *what, st_error_t *err);

/* dev.c (child): a tmpfs on the root's /dev (resolved in the root) with
 * the usual nodes, links and file systems, and c->dev's devices. */
int rt_dev_setup(struct rt_child *c, int rootfd, st_error_t *err);

/* cgroup_fs.c (child, in its cgroup namespace, after pivot_root): mount
 * c->cgroup_fs read-only at /sys/fs/cgroup. */
int rt_cgroup_fs_mount(struct rt_child *c, st_error_t *err);

/* net.c: bring lo up in the current network namespace. */
int rt_net_lo_up(st_error_t *err);

/* hosts.c (parent): write hosts, hostname, resolv.conf into dir. */
int rt_etc_files_write(const struct rt_config *cfg, const char *hostname, const char *dir, st_error_t *err);

int rt_user_resolve(const char *spec, struct rt_user *u, st_error_t *err);
/* setgroups, setgid, setuid around caps.c's calls. */
int rt_user_switch(const struct rt_user *u, const struct rt_caps *caps, st_error_t *err);

/* exec.c (child, after pivot_root): resolve the user and build the
 * environment while the parent is still busy with the cgroup. */
int rt_payload_prepare(struct rt_child *c, st_error_t *err);
/* exec.c (child): stdio, user switch, caps, seccomp, execve; never returns. */
__attribute__((noreturn)) void rt_payload_exec(struct rt_child *c);

/* init.c (parent): an O_PATH fd of the stack-init binary. */
int rt_init_open(st_error_t *err);
/* init.c (child, the last step of rt_payload_exec): exec stack-init with
 * the payload's argv and environment; never returns. */
__attribute__((noreturn)) void rt_init_exec(struct rt_child *c);

#endif
