/* Starting, waiting for, signalling and removing one container.
 *
 *     struct rt_config cfg;
 *     rt_config_init(&cfg);  ... fill it ...
 *     rt_container_start(&cfg, &ct, &err);
 *     rt_container_wait(ct, &st, &err);      (or poll rt_container_pidfd())
 *     rt_container_destroy(ct, &err);
 *
 * Another process (`stack exec`, a supervisor back after a crash) gets a
 * handle on it with rt_container_open(id, state_dir, &ct, &err) from what
 * the start recorded in its state directory.
 *
 * start either returns a running container or leaves nothing behind (no
 * process, cgroup, mount or state directory).  Every mount lives in the
 * container's own mount namespace, so the host's mount table never changes
 * and the kernel drops them all when the last process exits.
 *
 * Which calls block, and for how long at most (an event loop, e.g. the
 * libuv supervisor, uses only the bounded ones on its thread):
 *   rt_container_start, rt_container_exec: until the new process reached
 *     the payload's execve, bounded by cfg->start_timeout_ms (default
 *     30 s; the net hook's time counts, it is the caller's to bound).  A
 *     normal start takes a few ms.
 *   rt_container_start_begin, rt_container_start_step: never wait for the
 *     container process (see "An event loop starts a container" below);
 *     begin does the parent's own setup (seccomp compile or cache read,
 *     state dir, cgroup: a cgroup left by a crash is emptied first, up to
 *     ~1 s) and the fork; a step reads one message, or calls the net hook.
 *   rt_container_start_abort: until the SIGKILLed child is reaped, then
 *     as rt_container_destroy.
 *   rt_container_kill, rt_container_try_wait, rt_container_release,
 *     rt_exec_kill, rt_exec_try_wait, rt_container_open,
 *     rt_container_close, the accessors: never (a few syscalls).
 *   rt_container_wait, rt_exec_wait: until the process exits (no bound).
 *   rt_container_stop: up to timeout_ms, then until the SIGKILLed
 *     container is reaped.
 *   rt_container_destroy, rt_exec_free, rt_container_remove_stale: until
 *     the process is reaped, then up to ~1 s freezing and killing the
 *     cgroup and 2 s per cgroup directory waiting for it to empty.
 *   rt_container_sync_upper: until the filesystem is written (no bound).
 * A SIGKILLed process ends at once unless it is in an uninterruptible
 * sleep (a hard NFS mount): only then can the "until reaped" waits above
 * outlast the kill, and start's deadline its timeout.
 *
 * An event loop stops and removes a container without blocking:
 *   1. rt_container_kill(ct, stop_signal) and watch rt_container_pidfd()
 *      (readable once the process exited), with a timer of its own for
 *      the grace period; at the timer, rt_container_kill(ct, SIGKILL).
 *   2. pidfd readable: rt_container_try_wait() (returns 1, *st filled).
 *   3. rt_container_release() until it returns 0 or -1, from a timer of
 *      *retry_ms whenever it returns 1.
 * Without a pidfd (-1: no pidfd_open, e.g. under valgrind), poll
 * rt_container_try_wait() from a timer or on SIGCHLD instead.
 * rt_container_stop() and rt_container_destroy() are the blocking
 * conveniences of the same steps, for `stack run`.
 *
 * An event loop starts a container without blocking:
 *   1. rt_container_start_begin(cfg, &spawn, &err): the child is forked
 *      and sets up its root; watch rt_spawn_fd(spawn) for readability,
 *      with a timer of rt_spawn_timeout_ms(spawn) (-1: none).
 *   2. fd readable, or the timer: rt_container_start_step(spawn, &ct,
 *      &err).  1: not yet, watch again (the fd and the time left may have
 *      changed: ask again).  0: started, ct is the container, spawn is
 *      gone.  -1: failed (ETIMEDOUT past the deadline, naming the step the
 *      child hung at), nothing is left behind, spawn is gone.
 *   3. rt_container_start_abort(spawn) instead, at any point before 0 or
 *      -1 (a `stack down` during the start): kills the child and undoes
 *      everything, as a failed start.
 * cfg and what it points to must stay valid until step 2 returns 0 or -1
 * (or the abort).  rt_container_start() is the same steps in a poll loop. */
#ifndef STACK_RUNTIME_CONTAINER_H
#define STACK_RUNTIME_CONTAINER_H

#include "runtime/config.h"
#include "util/error.h"
#include "util/strv.h"

#include <stdbool.h>
#include <sys/types.h>

struct rt_exit {
	int exit_code;   /* 0..255; 128+N when killed by signal N; 137 when OOM-killed;
	                  * -1: unknown (a container from rt_container_open) */
	int signal;      /* the signal that killed the payload, 0 if it exited */
	bool oom_killed; /* the kernel OOM killer killed a process of the container */
};

/* Returns 0, or -1 with nothing left behind.  A process that does not
 * reach its execve within cfg->start_timeout_ms is killed and the error
 * (status ETIMEDOUT) names the step it hung at ("the container process
 * hung at: bind `/mnt/nfs` on `/data` ...").  When all was set up but
 * execve() of the command failed, the error's kind is ST_ERR_NOT_FOUND or
 * ST_ERR_NOT_EXECUTABLE (a shell's 127 and 126, which docker run reports
 * too). */
int rt_container_start(const struct rt_config *cfg, struct rt_container **out, st_error_t *err);

/* rt_container_start() in steps for an event loop (see the top). */
struct rt_start;
int rt_container_start_begin(const struct rt_config *cfg, struct rt_start **out, st_error_t *err);
int rt_spawn_fd(const struct rt_start *spawn);
int rt_spawn_timeout_ms(const struct rt_start *spawn);
int rt_container_start_step(struct rt_start *spawn, struct rt_container **out, st_error_t *err);
void rt_container_start_abort(struct rt_start *spawn);

/* Block until the container's first process exits; idempotent. */
int rt_container_wait(struct rt_container *ct, struct rt_exit *st, st_error_t *err);
/* Non-blocking variant: 1 = exited (*st filled), 0 = still running. */
int rt_container_try_wait(struct rt_container *ct, struct rt_exit *st, st_error_t *err);

/* Signal the container's first process (with init: forwarded to the payload
 * for TERM INT HUP QUIT USR1 USR2 WINCH; KILL ends the whole pid namespace).
 * Signalling an exited container is not an error. */
int rt_container_kill(struct rt_container *ct, int sig, st_error_t *err);

/* stop_signal, then SIGKILL after timeout_ms; waits for the exit.
 * Blocking: an event loop does the same with its own timer (see above). */
int rt_container_stop(struct rt_container *ct, int timeout_ms, struct rt_exit *st, st_error_t *err);

/* Kill what is left, remove the cgroup and the state directory, free ct
 * (also on error).  ct may be NULL.  A caller-owned upper_dir/work_dir
 * pair stays, unlocked: start a container over it again to restart one
 * with its files. */
int rt_container_destroy(struct rt_container *ct, st_error_t *err);

/* rt_container_destroy() in steps that never sleep, for an event loop:
 * each call SIGKILLs what is left and removes what it can.  0: done, ct
 * freed.  1: call again in *retry_ms (the first process is not reaped
 * yet, or the cgroup still has tasks: EBUSY); ct is kept.  -1: error,
 * ct freed (as destroy, the parts that could be removed are). */
int rt_container_release(struct rt_container *ct, int *retry_ms, st_error_t *err);

/* With cfg->report_mount_points: in *out, for each of cfg->mounts in its
 * order, the path (absolute, in the container, no symlink on it) of the
 * mount point the target resolved to through the image's symlinks (""
 * when it is not known).  Call it before rt_container_destroy(). */
int rt_container_mount_points(const struct rt_container *ct, struct strv *out, st_error_t *err);

/* syncfs() of the filesystem that holds the container's upper dir: what
 * it wrote is on disk, not only in the page cache, before the caller
 * commits the layer (or trusts it after a crash).  Call it after
 * rt_container_wait() (the overlay is gone with the container's last
 * process; while it runs, the upper still changes).  It blocks until the
 * whole filesystem is written, so an event loop runs it on a worker thread. */
int rt_container_sync_upper(struct rt_container *ct, st_error_t *err);

/* A socket in the container's network namespace (a health probe, a
 * published port's connection to the service): made on the calling
 * thread, which enters the namespace (setns through the pidfd, or
 * /proc/PID/ns/net) and returns to its own before this returns; other
 * threads are not affected.  SOCK_CLOEXEC | SOCK_NONBLOCK are added to
 * type.  Returns the fd, or -1 (ESRCH once the container has exited).
 * Not concurrently with rt_container_wait()/destroy() of ct. */
int rt_container_socket(struct rt_container *ct, int domain, int type, int protocol, st_error_t *err);

/* Another process in a running container (`stack exec`, exec health
 * probes): it joins the container's namespaces and cgroup and gets the
 * payload's capabilities, no_new_privs and seccomp filter; argv, stdio
 * and tty come from `proc`, user and cwd too unless NULL (then the
 * payload's, as docker exec), its env is the container's with proc->env
 * on top.  It is our child, not init's: wait for it with
 * rt_exec_wait(); it dies with the container.  Its setup is bounded by
 * the container's start_timeout_ms, as start's. */
struct rt_exec;
int rt_container_exec(struct rt_container *ct, const struct rt_process *proc, struct rt_exec **out,
		      st_error_t *err);
int rt_exec_wait(struct rt_exec *x, struct rt_exit *st, st_error_t *err);
/* Non-blocking: 1 = exited (*st filled), 0 = still running. */
int rt_exec_try_wait(struct rt_exec *x, struct rt_exit *st, st_error_t *err);
/* When the command could not be exec'd (it exits 127 or 126): why
 * ("exec `nosuch`: No such file or directory"); NULL otherwise. */
const char *rt_exec_failure(const struct rt_exec *x);
int rt_exec_kill(struct rt_exec *x, int sig, st_error_t *err);
pid_t rt_exec_pid(const struct rt_exec *x);
int rt_exec_pidfd(const struct rt_exec *x);
int rt_exec_stdio(const struct rt_exec *x, int which); /* RT_STDIO_PIPES, owned by x */
int rt_exec_take_stdio(struct rt_exec *x, int which);
int rt_exec_pty(const struct rt_exec *x);
/* SIGKILL it if still running, reap, free.  x may be NULL. */
void rt_exec_free(struct rt_exec *x);
/* Free the handle and leave the process running (`stack exec -d`): once
 * we exit, the host's init (or our subreaper) reaps it. */
void rt_exec_detach(struct rt_exec *x);

/* A handle on a running container that another process started (the
 * supervisor; `stack exec` opens it), from what the start wrote in its
 * state dir: rt_container_exec(), rt_container_kill(), the accessors and
 * rt_container_socket() work on it.  The state is trusted only when the
 * directory and its files are ours and writable by nobody else, and the
 * recorded pid only when it is alive with its recorded start time, the
 * first process of its own pid and mount namespaces, in the container's
 * cgroup PARENT/ID: a reused pid, or a state dir pointed at a host
 * process, fails with ESRCH ("container `x` is not running: process N
 * is not its process (...)") before anything joins it.  Needs
 * pidfd_open (Linux 5.3).  The first process is not our child:
 * rt_container_wait() and try_wait() say when it exited (the pidfd), not
 * how (exit_code -1).  rt_container_destroy() and release() of such a
 * handle only close it: the starter owns the cleanup. */
int rt_container_open(const char *id, const char *state_dir, struct rt_container **out, st_error_t *err);
/* Free the handle and leave the container as it is (running, its cgroup
 * and state dir in place).  ct may be NULL. */
void rt_container_close(struct rt_container *ct);

/* After a crash of the process that started a container (its
 * rt_container is lost): kill whatever still runs in its cgroup (the
 * container's mounts go with its last process), remove the cgroup and the
 * state directory.  Parts already gone are not an error. */
int rt_container_remove_stale(const char *id, const char *state_dir, const char *cgroup_parent, st_error_t *err);

/* For a libuv supervisor: the host pid and a pidfd (owned by ct) of the
 * container's first process, readable when it exits; then call
 * rt_container_try_wait(). */
pid_t rt_container_pid(const struct rt_container *ct);
int rt_container_pidfd(const struct rt_container *ct);
const char *rt_container_id(const struct rt_container *ct);
/* "PARENT/NAME" of the container's cgroup. */
const char *rt_container_cgroup_path(const struct rt_container *ct);
/* How many of its processes the kernel's OOM killer killed so far
 * (rt_cgroup_oom_kills); -1 when the host does not count them. */
long long rt_container_oom_kills(const struct rt_container *ct);
/* rt_cgroup_oom_watch of its cgroup; -1 and *err without one. */
int rt_container_oom_watch(const struct rt_container *ct, int *keep, st_error_t *err);
/* RT_STDIO_PIPES: the parent's ends (owned by ct; -1 otherwise).  Take one
 * with rt_container_take_stdio() to close it yourself (e.g. stdin for EOF). */
int rt_container_stdio(const struct rt_container *ct, int which);
int rt_container_take_stdio(struct rt_container *ct, int which);
/* tty: the pty master (owned by ct), -1 otherwise. */
int rt_container_pty(const struct rt_container *ct);
/* Limits that could only be applied in part (cgroup, rlimits). */
const struct strv *rt_container_warnings(const struct rt_container *ct);

#endif
