/* The supervisor's own types, shared by its files (sup_*.c, control.c). */
#ifndef STACK_SUPERVISOR_INTERNAL_H
#define STACK_SUPERVISOR_INTERNAL_H

#include "runtime/container.h"
#include "supervisor/ctconf.h"
#include "supervisor/health.h"
#include "supervisor/logfile.h"
#include "supervisor/network.h"
#include "supervisor/ports.h"
#include "supervisor/sup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

enum sup_state {
	SUP_CREATED,    /* not started yet: waiting for its dependencies */
	SUP_STARTING,   /* its start runs in steps from the loop (spawn) */
	SUP_RUNNING,
	SUP_STOPPING,   /* stop signal sent, grace timer running */
	SUP_EXITED,     /* ended and released; stays so unless started again */
	SUP_RESTARTING, /* ended, released, waiting for its backoff delay */
	SUP_REMOVED,    /* down, or recreated away: nothing of it is left */
};
const char *sup_state_name(enum sup_state s);

/* What is to happen once the current container is gone. */
enum sup_after {
	SUP_AFTER_POLICY,   /* it ended on its own: the restart policy decides */
	SUP_AFTER_STAY,     /* stop, kill: stay exited */
	SUP_AFTER_START,    /* restart, or recreate with a new config: start at once */
	SUP_AFTER_REMOVE,   /* down: removed */
};

struct sup;
struct sup_service;

/* One of a container's output pipes, read into the service's log. The
 * buffers are fixed: a flood costs no more memory than a trickle. */
struct sup_logpipe {
	uv_pipe_t pipe;
	uv_idle_t idle; /* restarts the reads at the next turn of the loop */
	int open_handles;
	char ts[40];    /* when the current read was read */
	struct sup_logpipe *next; /* the service's open pipes */
	struct sup_service *svc;
	const char *stream; /* "stdout", "stderr" */
	size_t plen;
	/* Last, and left out of the zeroing (sup_logpipe_open): a page of it
	 * is resident only once a line was cut across reads. */
	char partial[SUP_LOG_LINE_MAX];
};

#define SUP_HISTORY 16
struct sup_restart_rec {
	int64_t exited_at_ms, started_at_ms; /* wall clock */
	int64_t delay_ms;                    /* the backoff applied */
	int exit_code;
	/* why it ended: the kernel's OOM killer in its cgroup, or its health
	 * check (ps keeps saying so once the next one runs) */
	bool oom_killed, unhealthy;
};

struct sup_service {
	struct sup *sup;
	char *name, *id;
	const struct spec_stack *stack;  /* one of sup->stacks */
	const struct spec_service *spec; /* in stack */
	enum sup_state state;
	enum sup_after after;
	struct sup_image img;
	bool have_img;
	char hash[65]; /* sup_confhash of the running config */

	struct rt_container *ct;
	struct sup_ctconf conf;
	bool have_conf;
	int lock_fd;
	struct rt_start *spawn; /* the start under way (STARTING), stepped from spawn_watch and timer */
	uv_poll_t *spawn_watch; /* on rt_spawn_fd(spawn) */
	int spawn_fd;           /* the fd spawn_watch watches */
	int join_fd;            /* network_mode service:NAME: NAME's netns, open until the start ends */
	uv_poll_t *watch;       /* on the pidfd; closed on exit */
	uv_timer_t timer;       /* start deadline, grace, release retry, backoff: one at a time */
	uv_timer_t poll_timer;  /* try_wait without a pidfd (valgrind) */
	enum { SUP_TIMER_NONE, SUP_TIMER_START, SUP_TIMER_GRACE, SUP_TIMER_RELEASE, SUP_TIMER_BACKOFF } timer_use;
	int grace_ms;           /* of the stop in progress */
	pid_t pid;
	uint64_t pid_start;
	char *cgroup;

	struct sup_logfile log;
	struct sup_logpipe *pipes; /* open ones: this container's, and an old one's still draining */

	bool selected;   /* part of what `up` asked for */
	bool reaping;    /* exited, being released */
	bool has_exit;
	struct rt_exit last_exit;
	char *last_error; /* why the last start failed */
	int restarts;
	unsigned starts; /* successful starts, for replies that wait for the next one */
	int64_t backoff_ms;
	int64_t started_at_ms, finished_at_ms; /* wall clock */
	uint64_t started_mono_ms;
	struct sup_restart_rec history[SUP_HISTORY];
	size_t n_history;

	/* The running container's health checker (health.h): started once
	 * it runs, stopped before it is released; `service_healthy` and
	 * `up --wait` wait on it.  An unhealthy container is restarted
	 * unless its restart policy is `no` (health_restart: that restart
	 * counts as one). */
	struct sup_health *health;
	bool health_restart;
	char *health_failure; /* the last probe output when it became unhealthy */
	/* Its published ports (ports.h): bound before anything starts,
	 * attached to the container while it runs, closed at the end. */
	struct sup_ports *ports;
	/* The running container's place on the stack's networks (network.h):
	 * prepared at each start, released once it is gone. */
	struct sup_net_attach net;
	struct strv extra_hosts;
	/* For its events (sup_events.c): a `create` was recorded and no
	 * `destroy` yet; a stop is under way (a `stop` follows its exit); the
	 * next start is a restart. */
	bool ev_created, ev_stopping, ev_restart;
	/* OOM kills of its processes while it runs (a child killed, the
	 * container alive), sup_oom.c: its cgroup's count, read when the
	 * kernel says it may have changed (oom_poll, on the fd of
	 * rt_container_oom_watch; oom_keep closed with it) or else each
	 * second (SUP_OOM_POLL_MS, one small file); each rise an `oom`
	 * event.  oom_timer: that second, or the rechecks after a wakeup. */
	uv_timer_t oom_timer;
	uv_poll_t *oom_poll;
	int oom_keep;
	int oom_rechecks;
	long long oom_seen;
	bool ev_oom; /* an `oom` was recorded for the running container */
};

#define SUP_OOM_POLL_MS 1000

/* Watch the running container's OOM kills (sup_oom.c), stop watching; an
 * `oom` event for a rise of the count since the last look: 1, 0 (none),
 * -1 (the host does not count them). */
void sup_oom_start(struct sup_service *s);
void sup_oom_stop(struct sup_service *s);
int sup_oom_check(struct sup_service *s);

struct sup_conn;

enum sup_op_kind { SUP_OP_WAIT_STOPPED, SUP_OP_WAIT_STARTED, SUP_OP_DOWN };

/* A request whose reply waits for services to get somewhere. */
struct sup_op {
	struct sup_op *next;
	enum sup_op_kind kind;
	struct sup_conn *conn; /* NULL once the client went away */
	json_t *id;            /* the request's "id", echoed */
	json_t *extra;         /* merged into the reply */
	bool *want;            /* per service index, at the time of the request */
	unsigned *starts;      /* WAIT_STARTED: each one's start count then */
	size_t n_want;
};

struct sup {
	uv_loop_t loop;
	const struct st_paths *paths;
	sup_resolve_fn resolve;
	struct spec_load_opts load; /* owned copy */
	struct spec_stack **stacks; /* [n_stacks-1] is the current one */
	struct sup_nets *nets;      /* nets[i]: stacks[i]'s networks (attaches point into them) */
	size_t n_stacks;
	const char *project;
	char *run_dir, *log_dir;
	struct sup_service **svcs;
	size_t n_svcs;
	int pid_fd;
	int ready_fd;
	bool ready_sent;
	enum { SUP_RUN, SUP_SHUTDOWN, SUP_DOWN } ending;
	bool finished; /* every handle is being closed */
	int stop_timeout_s; /* -1: each service's stop_grace_period */
	bool wait_healthy;  /* `up --wait`: ready once the health checks pass */
	uv_pipe_t ctl;
	bool ctl_open;
	struct sup_conn *conns;
	size_t n_conns;
	struct sup_op *ops;
	uv_signal_t sig_term, sig_int, sig_hup;
	bool ticking, tick_again;
	int signals; /* stop signals received */
	struct sup_logfile events; /* STACK_ROOT/events/PROJECT.jsonl (sup_events.c) */
};

/* sup_service.c: the state machine */
struct sup_service *sup_service_new(struct sup *sup, const struct spec_service *spec);
void sup_service_free(struct sup_service *s);
/* Start now (deps are the caller's business). */
void sup_service_start(struct sup_service *s);
/* Stop (stop signal, SIGKILL after grace_ms; -1: the service's own
 * stop_grace_period), then do `after`. */
void sup_service_stop(struct sup_service *s, int grace_ms, enum sup_after after);
int sup_service_kill(struct sup_service *s, int sig, st_error_t *err);
/* Nothing of it runs or waits (EXITED, CREATED, REMOVED). */
bool sup_service_settled(const struct sup_service *s);
json_t *sup_service_json(const struct sup_service *s, bool live);
void sup_service_save(struct sup_service *s);
void sup_service_close_handles(struct sup_service *s);

/* sup_loop.c */
/* Something changed: start what may start, answer what waited, end when done. */
void sup_tick(struct sup *sup);
struct sup_service *sup_find(struct sup *sup, const char *name);
const struct spec_stack *sup_stack(const struct sup *sup);
void sup_progress(struct sup *sup, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sup_begin_end(struct sup *sup, int mode, int timeout_s);

/* Add (or mark) the services `names` selects (empty: all) as selected. */
int sup_select(struct sup *sup, const struct spec_stack *stack, const struct strv *names, st_error_t *err);
/* What sup_select would select, as sel[i] for stack->services[i]; nothing is changed. */
int sup_select_mask(const struct spec_stack *stack, const struct strv *names, bool *sel, st_error_t *err);
struct sup_service *sup_add_service(struct sup *sup, const struct spec_service *sv);

/* sup_health.c: health checks and published ports of the services */
/* The check s's container gets: the service's, else its image's, else NULL. */
const struct spec_health *sup_service_health_spec(const struct sup_service *s);
void sup_service_health_start(struct sup_service *s);
void sup_service_health_stop(struct sup_service *s);
/* Bind the published ports of every selected service (before anything starts). */
int sup_ports_bind_all(struct sup *sup, st_error_t *err);

/* reconcile_ports.c: published ports of `up` on a running stack */
/* The two services' `ports:` are not the same. */
bool sup_ports_differ(const struct spec_service *a, const struct spec_service *b);
/* Before the reconcile to `stack` changes anything: close the listeners
 * of the selected (sel) services whose ports changed (none with
 * no_recreate) and of orphans removed (*closed, n_closed: those services;
 * caller frees the array), and bind the new ones of the changed and new
 * services into bound[i] (i: in stack->services; the caller gives each its
 * service).  -1 with an error naming the port, every closed listener bound
 * again and nothing left in bound. */
int sup_reconcile_ports(struct sup *sup, const struct spec_stack *stack, const bool *sel, bool no_recreate,
			bool remove_orphans, struct sup_ports **bound, struct sup_service ***closed, size_t *n_closed,
			st_error_t *err);
/* A later step of the reconcile failed: close bound[], bind the closed
 * services' old ports again. */
void sup_reconcile_ports_undo(struct sup *sup, const struct spec_stack *stack, struct sup_ports **bound,
			      struct sup_service **closed, size_t n_closed);

/* sup_net.c: the stack's networks for the services' containers */
/* The networks of sup->stacks[n_stacks-1] (made or adopted), as nets[n_stacks-1]. */
int sup_nets_setup_current(struct sup *sup, st_error_t *err);
/* Place s's next container on its networks: the hook and /etc/hosts
 * lines, or the namespace of the service it shares (`network_mode:
 * service:NAME`, *join_fd: the caller closes it after the start). */
int sup_service_net_prepare(struct sup_service *s, struct rt_config *cfg, int *join_fd, st_error_t *err);
/* s's container is gone: its addresses are free for its next one. */
void sup_service_net_release(struct sup_service *s);

/* sup_logpipe.c */
struct sup_logpipe *sup_logpipe_open(struct sup_service *s, int fd, const char *stream, st_error_t *err);
void sup_logpipe_close(struct sup_logpipe *lp);

/* confhash.c: digest of everything that makes a service's container. */
int sup_confhash(const struct spec_service *spec, const struct sup_ctconf *conf, char out[65], st_error_t *err);

/* sup_events.c: the events file (event_rec.h) */
void sup_events_open(struct sup *sup);
void sup_events_close(struct sup *sup);
/* Record ACTION of s's container; attrs (taken) may be NULL. */
void sup_event(struct sup_service *s, const char *action, json_t *attrs);
/* An event whose attributes are a signal ("signal": "SIGTERM", "signo": 15). */
void sup_event_signal(struct sup_service *s, const char *action, int sig);

/* control.c */
int sup_ctl_listen(struct sup *sup, st_error_t *err);
void sup_ctl_close(struct sup *sup);
void sup_ops_check(struct sup *sup);
/* reconcile.c: an `up` request on a running supervisor. */
json_t *sup_reconcile(struct sup *sup, json_t *req, st_error_t *err);
/* Resolve the service's image and build its config (for start and hash). */
int sup_service_prepare(struct sup *sup, const struct spec_stack *stack, const struct spec_service *spec,
			struct sup_image *img, struct sup_ctconf *conf, const char *id, st_error_t *err);

#endif
