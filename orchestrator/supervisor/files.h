/* What a supervisor keeps on disk, for itself after a crash and for the
 * CLI when it is gone:
 *   STACK_RUN/PROJECT/supervisor.pid   "PID STARTTIME\n", flock'ed (LOCK_EX)
 *                                      for as long as the supervisor lives
 *   STACK_RUN/PROJECT/supervisor.sock  the control socket (0600, the run dir 0700)
 *   STACK_RUN/PROJECT/ID.state         per container: the JSON object `stack ps
 *                                      --format json` shows (pid and its start
 *                                      time, cgroup, state dir, log file, exit...)
 *   STACK_RUN/PROJECT/ID.lock, ID/     the runtime's lock and state dir (stale.h)
 *   STACK_ROOT/logs/PROJECT/SERVICE.log[.N]  the logs (logfile.h), kept after
 *                                      stop, removed by down
 *   STACK_ROOT/events/PROJECT.jsonl[.1]  the events (event_rec.h), at most
 *                                      SUP_EVENTS_MAX_SIZE each, kept after down
 * A supervisor is alive exactly when the pid file's lock is held: a crashed
 * one's lock went with it, whatever the file says. */
#ifndef STACK_SUPERVISOR_FILES_H
#define STACK_SUPERVISOR_FILES_H

#include "util/error.h"
#include "util/paths.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

char *sup_run_dir(const struct st_paths *paths, const char *project);
char *sup_pid_path(const char *run_dir);
char *sup_socket_path(const char *run_dir);
char *sup_state_path(const char *run_dir, const char *id);
char *sup_log_dir(const struct st_paths *paths, const char *project);
char *sup_log_path(const char *log_dir, const char *service);
/* STACK_ROOT/volumes: every project's named volumes. */
char *sup_volumes_dir(const struct st_paths *paths);
/* STACK_ROOT/volumes/PROJECT_NAME: the directory of named volume NAME
 * (a valid spec name: no slash, no leading dot). */
char *sup_volume_dir(const struct st_paths *paths, const char *project, const char *name);
/* The events file: 1 MiB, then it becomes PROJECT.jsonl.1 (the one before
 * is dropped): with records of ~150 bytes, the latest 7000 or more are kept. */
#define SUP_EVENTS_MAX_SIZE (1024 * 1024)
#define SUP_EVENTS_MAX_FILE 2
char *sup_events_dir(const struct st_paths *paths);
char *sup_events_path(const struct st_paths *paths, const char *project);
/* PROJECT-SERVICE-1, compose's name for a service's first container. */
char *sup_container_name(const char *project, const char *service);

/* 1 and *pid: a supervisor holds the pid file; 0: none (or a dead one's file). */
int sup_alive(const char *run_dir, pid_t *pid);

/* Take the pid file for this process: 0 and *fd (keep it open), or -1
 * (EWOULDBLOCK: another supervisor of the project is alive). */
int sup_pid_file_take(const char *run_dir, int *fd, st_error_t *err);

/* Every ID.state of the project, as a JSON array sorted by service name
 * (unreadable or half-written files are skipped). */
json_t *sup_state_list(const char *run_dir);
int sup_state_write(const char *run_dir, const char *id, json_t *rec, st_error_t *err);
void sup_state_remove(const char *run_dir, const char *id);

/* Field 22 of /proc/PID/stat (clock ticks since boot): with the pid, it
 * names one process for good; 0 if it is gone. */
uint64_t sup_proc_start_time(pid_t pid);
/* The same, and field 3 (the state: R, S, Z...) in *state (if non-NULL;
 * '\0' when gone), of one read: both of the same process. */
uint64_t sup_proc_stat(pid_t pid, char *state);
/* The effective security settings of a running container (its payload:
 * init's child when init is PID 1) added to o: user (uid:gid), cap_eff,
 * seccomp (0 off, 1 strict, 2 filter), no_new_privs. */
void sup_proc_security(pid_t pid, json_t *o);

#endif
