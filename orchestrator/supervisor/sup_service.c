/* One service's container through its states (internal.h):
 *
 *   CREATED ─start─▶ RUNNING ─exit─▶ (release) ─┬─ policy: restart ─▶ RESTARTING ─delay─▶ start
 *                       │                        ├─ stop, kill, policy says no ─▶ EXITED
 *                       └─stop─▶ STOPPING ─exit─▶┼─ restart, recreate ─▶ start
 *                                                └─ down ─▶ REMOVED
 *
 * Only the runtime's non-blocking calls are made here: start (bounded),
 * kill, try_wait when the pidfd is readable, release from a retry timer. */
#include "supervisor/files.h"
#include "supervisor/internal.h"
#include "supervisor/restart.h"
#include "supervisor/stale.h"
#include "util/mem.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *sup_state_name(enum sup_state s)
{
	static const char *const names[] = {"created", "starting", "running", "stopping",
					    "exited",  "restarting", "removed"};
	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_timer(uv_timer_t *t);
static void on_poll_timer(uv_timer_t *t);
static void spawn_step(struct sup_service *s);
static void spawn_abort(struct sup_service *s);

struct sup_service *sup_service_new(struct sup *sup, const struct spec_service *spec)
{
	struct sup_service *s = xzalloc(sizeof(*s));
	s->sup = sup;
	s->stack = sup_stack(sup);
	s->spec = spec;
	s->name = xstrdup(spec->name);
	s->id = sup_container_name(s->stack->name, spec->name);
	s->lock_fd = -1;
	s->join_fd = -1;
	s->spawn_fd = -1;
	s->state = SUP_CREATED;
	s->log.fd = -1;
	s->oom_keep = -1;
	uv_timer_init(&sup->loop, &s->timer);
	uv_timer_init(&sup->loop, &s->poll_timer);
	uv_timer_init(&sup->loop, &s->oom_timer);
	s->timer.data = s;
	s->poll_timer.data = s;
	s->oom_timer.data = s;
	return s;
}

void sup_service_close_handles(struct sup_service *s)
{
	if (s->spawn)
		spawn_abort(s);
	sup_health_stop(s->health);
	s->health = NULL;
	sup_ports_close(s->ports);
	s->ports = NULL;
	while (s->pipes)
		sup_logpipe_close(s->pipes);
	if (!uv_is_closing((uv_handle_t *)&s->timer))
		uv_close((uv_handle_t *)&s->timer, NULL);
	if (!uv_is_closing((uv_handle_t *)&s->poll_timer))
		uv_close((uv_handle_t *)&s->poll_timer, NULL);
	sup_oom_stop(s);
	if (!uv_is_closing((uv_handle_t *)&s->oom_timer))
		uv_close((uv_handle_t *)&s->oom_timer, NULL);
}

void sup_service_free(struct sup_service *s)
{
	if (!s)
		return;
	sup_logfile_close(&s->log);
	if (s->have_conf)
		sup_ctconf_free(&s->conf);
	sup_image_free(&s->img);
	sup_net_attach_free(&s->net);
	strv_free(&s->extra_hosts);
	if (s->lock_fd >= 0)
		sup_lock_release(s->sup->paths, s->stack, s->id, s->lock_fd);
	free(s->cgroup);
	free(s->last_error);
	free(s->health_failure);
	free(s->name);
	free(s->id);
	free(s);
}

bool sup_service_settled(const struct sup_service *s)
{
	return !s->ct && (s->state == SUP_CREATED || s->state == SUP_EXITED || s->state == SUP_REMOVED);
}

json_t *sup_service_json(const struct sup_service *s, bool live)
{
	json_t *o = json_object();
	json_object_set_new(o, "service", json_string(s->name));
	json_object_set_new(o, "container", json_string(s->id));
	json_object_set_new(o, "image", json_string(s->spec->image ? s->spec->image : ""));
	json_object_set_new(o, "state", json_string(sup_state_name(s->state)));
	json_object_set_new(o, "pid", json_integer(s->ct ? s->pid : 0));
	json_object_set_new(o, "pid_start_time", json_integer(s->ct ? (json_int_t)s->pid_start : 0));
	json_object_set_new(o, "supervisor_pid", json_integer(getpid()));
	json_object_set_new(o, "cgroup", s->cgroup ? json_string(s->cgroup) : json_null());
	json_object_set_new(o, "state_dir", s->have_conf ? json_string(s->conf.state_dir) : json_null());
	json_object_set_new(o, "log", s->log.path ? json_string(s->log.path) : json_null());
	json_object_set_new(o, "log_dropped", json_integer((json_int_t)s->log.dropped));
	json_object_set_new(o, "events_dropped", json_integer((json_int_t)s->sup->events.dropped));
	json_object_set_new(o, "exit_code", s->has_exit ? json_integer(s->last_exit.exit_code) : json_null());
	json_object_set_new(o, "signal", json_integer(s->has_exit ? s->last_exit.signal : 0));
	json_object_set_new(o, "oom_killed", json_boolean(s->has_exit && s->last_exit.oom_killed));
	json_object_set_new(o, "error", s->last_error ? json_string(s->last_error) : json_null());
	json_object_set_new(o, "restarts", json_integer(s->restarts));
	json_object_set_new(o, "restart_policy", json_string(sup_restart_policy_name(s->spec->restart)));
	json_object_set_new(o, "started_at", json_integer(s->started_at_ms));
	json_object_set_new(o, "finished_at", json_integer(s->finished_at_ms));
	json_object_set_new(o, "config_hash", json_string(s->hash));
	/* the image's layers (topmost first), for `down --rmi` of another
	 * project: an image a running container still uses is kept */
	json_t *layers = json_array();
	for (size_t i = 0; i < s->img.layers.n; i++)
		json_array_append_new(layers, json_string(s->img.layers.v[i]));
	json_object_set_new(o, "layers", layers);
	json_t *h = json_array();
	for (size_t i = 0; i < s->n_history; i++)
		json_array_append_new(h, json_pack("{s:I, s:I, s:I, s:i, s:b, s:b}", "exited_at",
						   (json_int_t)s->history[i].exited_at_ms, "started_at",
						   (json_int_t)s->history[i].started_at_ms, "delay_ms",
						   (json_int_t)s->history[i].delay_ms, "exit_code", s->history[i].exit_code,
						   "oom_killed", s->history[i].oom_killed, "unhealthy",
						   s->history[i].unhealthy));
	json_object_set_new(o, "restart_history", h);
	json_t *ports = json_array();
	for (size_t i = 0; i < s->spec->n_ports; i++) {
		const struct spec_port *p = &s->spec->ports[i];
		char buf[96];
		snprintf(buf, sizeof(buf), "%s%s%u->%u/%s", p->host_ip ? p->host_ip : "", p->host_ip ? ":" : "",
			 p->published, p->target, p->protocol == SPEC_PROTO_UDP ? "udp" : "tcp");
		json_array_append_new(ports, json_string(buf));
	}
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "health", s->health ? sup_health_json(s->health) : json_null());
	json_object_set_new(o, "health_failure", s->health_failure ? json_string(s->health_failure) : json_null());
	json_object_set_new(o, "published", s->ports ? sup_ports_json(s->ports) : json_array());
	if (live && s->ct && !s->reaping)
		sup_proc_security(s->pid, o);
	return o;
}

void sup_service_save(struct sup_service *s)
{
	if (s->state == SUP_REMOVED) {
		sup_state_remove(s->sup->run_dir, s->id);
		return;
	}
	json_t *rec = sup_service_json(s, false);
	st_error_t err = NULL;
	if (sup_state_write(s->sup->run_dir, s->id, rec, &err) < 0)
		st_error_print(&err, stderr);
	json_decref(rec);
}

static void set_state(struct sup_service *s, enum sup_state st)
{
	s->state = st;
	sup_service_save(s);
}

static void free_conf(struct sup_service *s)
{
	if (!s->have_conf)
		return;
	sup_ctconf_remove_host_files(&s->conf);
	sup_ctconf_free(&s->conf);
	s->have_conf = false;
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Start again after Docker's backoff (RESTARTING until the timer fires). */
static void schedule_restart(struct sup_service *s, int code, bool unhealthy)
{
	struct sup *sup = s->sup;
	int64_t up_ms = s->started_mono_ms ? (int64_t)(uv_now(&sup->loop) - s->started_mono_ms) : 0;
	s->backoff_ms = sup_restart_delay(s->backoff_ms, up_ms);
	if (s->n_history == SUP_HISTORY) {
		memmove(s->history, s->history + 1, sizeof(s->history[0]) * (SUP_HISTORY - 1));
		s->n_history--;
	}
	s->history[s->n_history++] = (struct sup_restart_rec){
		.exited_at_ms = s->finished_at_ms ? s->finished_at_ms : wall_ms(),
		.delay_ms = s->backoff_ms,
		.exit_code = code,
		.oom_killed = s->has_exit && s->last_exit.oom_killed,
		.unhealthy = unhealthy,
	};
	s->timer_use = SUP_TIMER_BACKOFF;
	uv_timer_start(&s->timer, on_timer, (uint64_t)s->backoff_ms, 0);
	set_state(s, SUP_RESTARTING);
}

/* The container is gone (released) or never started: what now. */
static void on_gone(struct sup_service *s)
{
	struct sup *sup = s->sup;
	enum sup_after after = s->after;
	s->after = SUP_AFTER_POLICY;
	if (s->ev_stopping) {
		s->ev_stopping = false;
		sup_event(s, "stop", NULL);
	}
	switch (after) {
	case SUP_AFTER_REMOVE:
		/* an orphan removed by `up --remove-orphans` frees its host ports */
		sup_ports_close(s->ports);
		s->ports = NULL;
		if (s->ev_created)
			sup_event(s, "destroy", NULL);
		s->ev_created = false;
		if (s->lock_fd >= 0)
			sup_lock_release(sup->paths, s->stack, s->id, s->lock_fd);
		s->lock_fd = -1;
		set_state(s, SUP_REMOVED);
		break;
	case SUP_AFTER_STAY:
		set_state(s, SUP_EXITED);
		break;
	case SUP_AFTER_START:
		if (s->health_restart) {
			/* unhealthy: restarted as the policy restarts, with its backoff */
			s->health_restart = false;
			if (sup->ending == SUP_RUN)
				schedule_restart(s, s->has_exit ? s->last_exit.exit_code : -1, true);
			else
				set_state(s, SUP_EXITED);
			break;
		}
		s->backoff_ms = 0;
		s->ev_restart = true;
		sup_service_start(s);
		return; /* start ticks */
	case SUP_AFTER_POLICY: {
		int code = s->has_exit ? s->last_exit.exit_code : 1;
		if (sup->ending == SUP_RUN &&
		    sup_restart_wanted(s->spec->restart, s->spec->restart_max, code, s->restarts)) {
			schedule_restart(s, code, false);
		} else {
			set_state(s, SUP_EXITED);
		}
		break;
	}
	}
	sup_tick(sup);
}

static void release_step(struct sup_service *s)
{
	st_error_t err = NULL;
	int retry_ms = 0;
	int r = rt_container_release(s->ct, &retry_ms, &err);
	if (r == 1) {
		s->timer_use = SUP_TIMER_RELEASE;
		uv_timer_start(&s->timer, on_timer, (uint64_t)(retry_ms > 0 ? retry_ms : 20), 0);
		return;
	}
	if (r < 0) {
		st_error_prefix(&err, "container `%s`", s->id);
		st_error_print(&err, stderr);
	}
	s->ct = NULL;
	s->reaping = false;
	s->timer_use = SUP_TIMER_NONE;
	sup_service_net_release(s);
	free_conf(s);
	on_gone(s);
}

static void stop_watch(struct sup_service *s)
{
	if (s->watch) {
		uv_poll_stop(s->watch);
		uv_close((uv_handle_t *)s->watch, free_handle);
		s->watch = NULL;
	}
	uv_timer_stop(&s->poll_timer);
}

/* The pidfd is readable, or the poll timer fired: has it exited? */
static void check_exit(struct sup_service *s)
{
	if (!s->ct || s->reaping)
		return;
	struct rt_exit st = {0};
	st_error_t err = NULL;
	int r = rt_container_try_wait(s->ct, &st, &err);
	if (r == 0)
		return;
	if (r < 0) {
		st_error_prefix(&err, "wait for `%s`", s->id);
		st_error_print(&err, stderr);
		st = (struct rt_exit){.exit_code = 255};
	}
	stop_watch(s);
	sup_oom_stop(s);
	sup_service_health_stop(s);
	if (s->timer_use == SUP_TIMER_GRACE)
		uv_timer_stop(&s->timer);
	s->reaping = true;
	s->last_exit = st;
	s->has_exit = true;
	s->finished_at_ms = wall_ms();
	/* The OOM kill is known from the cgroup at the exit (rt_cgroup_oom_killed:
	 * v1 memory.oom_control, v2 memory.events): `oom` comes before `die`,
	 * as Docker orders them. */
	if (st.oom_killed) {
		sup_progress(s->sup, "Container %s  OOMKilled (exit %d)", s->id, st.exit_code);
		/* the kills not reported while it ran; at least one `oom` */
		sup_oom_check(s);
		if (!s->ev_oom)
			sup_event(s, "oom", NULL);
	} else {
		sup_progress(s->sup, "Container %s  Exited (%d)", s->id, st.exit_code);
	}
	sup_event(s, "die", json_pack("{s:i, s:i, s:b}", "exit_code", st.exit_code, "signal", st.signal, "oom_killed",
				       st.oom_killed));
	release_step(s);
}

static void on_pidfd(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	check_exit(h->data);
}

static void on_poll_timer(uv_timer_t *t)
{
	check_exit(t->data);
}

static void on_timer(uv_timer_t *t)
{
	struct sup_service *s = t->data;
	int use = s->timer_use;
	s->timer_use = SUP_TIMER_NONE;
	switch (use) {
	case SUP_TIMER_START:
		spawn_step(s); /* past the deadline: the step fails and names where it hung */
		break;
	case SUP_TIMER_GRACE:
		if (s->ct && !s->reaping) {
			st_error_t err = NULL;
			sup_event_signal(s, "kill", SIGKILL);
			if (rt_container_kill(s->ct, SIGKILL, &err) < 0)
				st_error_print(&err, stderr);
		}
		break;
	case SUP_TIMER_RELEASE:
		release_step(s);
		break;
	case SUP_TIMER_BACKOFF:
		s->restarts++;
		s->ev_restart = true;
		sup_service_start(s);
		break;
	}
}

static void start_failed(struct sup_service *s, st_error_t *err)
{
	free(s->last_error);
	s->last_error = st_error_text(*err);
	st_error_free(err);
	sup_progress(s->sup, "Container %s  Error: %s", s->id, s->last_error);
	sup_service_net_release(s);
	free_conf(s);
	s->has_exit = false;
	s->started_mono_ms = 0;
	s->finished_at_ms = wall_ms();
	on_gone(s);
}

/* The start ended (started or failed): what it held while it ran. */
static void spawn_done(struct sup_service *s)
{
	if (s->spawn_watch) {
		uv_poll_stop(s->spawn_watch);
		uv_close((uv_handle_t *)s->spawn_watch, free_handle);
		s->spawn_watch = NULL;
	}
	if (s->timer_use == SUP_TIMER_START) {
		uv_timer_stop(&s->timer);
		s->timer_use = SUP_TIMER_NONE;
	}
	if (s->join_fd >= 0)
		close(s->join_fd);
	s->join_fd = -1;
	s->spawn = NULL;
	s->spawn_fd = -1;
}

/* A start under way is given up (stop, down, recreate, shutdown): the
 * child is killed and everything it made is undone; the lock stays. */
static void spawn_abort(struct sup_service *s)
{
	struct rt_start *spawn = s->spawn;
	spawn_done(s);
	rt_container_start_abort(spawn);
	sup_service_net_release(s);
	free_conf(s);
	s->finished_at_ms = wall_ms();
}

/* `network_mode: service:NAME`: a service that shares s's network
 * namespace and runs (or starts) in the namespace of s's previous
 * container is restarted into the new one, or it would stay cut off in
 * a namespace no one else is in (its published ports and name gone). */
static void rejoin_sharers(struct sup_service *s)
{
	for (size_t i = 0; i < s->sup->n_svcs; i++) {
		struct sup_service *t = s->sup->svcs[i];
		if (t == s || t->spec->network_mode != SPEC_NET_SERVICE || strcmp(t->spec->network_service, s->name) != 0)
			continue;
		if ((t->ct && !t->reaping) || t->spawn) {
			sup_progress(s->sup, "Container %s  Restarting (`%s` it shares a network namespace with was restarted)",
				     t->id, s->name);
			sup_service_stop(t, -1, SUP_AFTER_START);
		}
	}
}

/* The container reached its payload's execve: watch it, log it, probe it. */
static void started(struct sup_service *s)
{
	struct sup *sup = s->sup;
	st_error_t err = NULL;
	const struct strv *warnings = rt_container_warnings(s->ct);
	for (size_t i = 0; warnings && i < warnings->n; i++)
		fprintf(stderr, "stack: %s: warning: %s\n", s->id, warnings->v[i]);
	/* No stdin, as compose without stdin_open: EOF at once. */
	int in = rt_container_take_stdio(s->ct, 0);
	if (in >= 0)
		close(in);
	if (!sup_logpipe_open(s, rt_container_take_stdio(s->ct, 1), "stdout", &err))
		st_error_print(&err, stderr);
	if (!sup_logpipe_open(s, rt_container_take_stdio(s->ct, 2), "stderr", &err))
		st_error_print(&err, stderr);
	s->pid = rt_container_pid(s->ct);
	s->pid_start = sup_proc_start_time(s->pid);
	free(s->cgroup);
	s->cgroup = xstrdup(rt_container_cgroup_path(s->ct));
	int pidfd = rt_container_pidfd(s->ct);
	if (pidfd >= 0) {
		s->watch = xzalloc(sizeof(*s->watch));
		uv_poll_init(&sup->loop, s->watch, pidfd);
		s->watch->data = s;
		uv_poll_start(s->watch, UV_READABLE, on_pidfd);
	} else {
		uv_timer_start(&s->poll_timer, on_poll_timer, 50, 50);
	}
	free(s->last_error);
	s->last_error = NULL;
	s->has_exit = false;
	s->starts++;
	s->started_at_ms = wall_ms();
	s->started_mono_ms = uv_now(&sup->loop);
	if (s->n_history && !s->history[s->n_history - 1].started_at_ms)
		s->history[s->n_history - 1].started_at_ms = s->started_at_ms;
	free(s->health_failure);
	s->health_failure = NULL;
	s->health_restart = false;
	sup_oom_start(s);
	sup_service_health_start(s);
	set_state(s, SUP_RUNNING);
	sup_event(s, "start", json_pack("{s:i}", "pid", (int)s->pid));
	if (s->ev_restart)
		sup_event(s, "restart", json_pack("{s:i}", "restarts", s->restarts));
	s->ev_restart = false;
	sup_progress(sup, "Container %s  Started", s->id);
	rejoin_sharers(s);
	sup_tick(sup);
}

static void on_spawn_fd(uv_poll_t *h, int status, int events);

/* Watch the start's fd (it changes between steps) and its deadline. */
static void spawn_watch(struct sup_service *s)
{
	int fd = rt_spawn_fd(s->spawn);
	if (s->spawn_watch && s->spawn_fd != fd) {
		uv_poll_stop(s->spawn_watch);
		uv_close((uv_handle_t *)s->spawn_watch, free_handle);
		s->spawn_watch = NULL;
	}
	if (!s->spawn_watch && fd >= 0) {
		s->spawn_watch = xzalloc(sizeof(*s->spawn_watch));
		uv_poll_init(&s->sup->loop, s->spawn_watch, fd);
		s->spawn_watch->data = s;
		uv_poll_start(s->spawn_watch, UV_READABLE, on_spawn_fd);
	}
	s->spawn_fd = fd;
	int left = rt_spawn_timeout_ms(s->spawn);
	uv_timer_stop(&s->timer);
	s->timer_use = SUP_TIMER_NONE;
	if (left >= 0) {
		s->timer_use = SUP_TIMER_START;
		uv_timer_start(&s->timer, on_timer, (uint64_t)left, 0);
	}
}

/* The start's fd is readable, or its deadline came: one step further. */
static void spawn_step(struct sup_service *s)
{
	if (!s->spawn)
		return;
	st_error_t err = NULL;
	int r = rt_container_start_step(s->spawn, &s->ct, &err);
	if (r == 1) {
		spawn_watch(s);
		return;
	}
	spawn_done(s); /* the runtime freed the spawn on 0 and -1 */
	if (r < 0)
		return start_failed(s, &err);
	started(s);
}

static void on_spawn_fd(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	spawn_step(h->data);
}

void sup_service_start(struct sup_service *s)
{
	struct sup *sup = s->sup;
	st_error_t err = NULL;
	if (s->ct || s->spawn)
		return;
	s->state = SUP_STARTING;
	s->after = SUP_AFTER_POLICY;
	if (s->lock_fd < 0 && sup_lock_take(sup->paths, s->stack, s->id, &s->lock_fd, &err) < 0)
		return start_failed(s, &err);
	sup_service_save(s);
	struct sup_image img = {0};
	if (sup_service_prepare(sup, s->stack, s->spec, &img, &s->conf, s->id, &err) < 0)
		return start_failed(s, &err);
	s->have_conf = true;
	sup_image_free(&s->img);
	s->img = img;
	if (sup_confhash(s->spec, &s->conf, s->hash, &err) < 0) {
		st_error_print(&err, stderr);
		s->hash[0] = '\0';
	}
	struct rt_config *cfg = &s->conf.cfg;
	cfg->die_with_parent = true; /* a killed supervisor takes its containers along */
	cfg->process.tty = false;
	cfg->process.stdio = RT_STDIO_PIPES;
	/* cfg (in s->conf) and join_fd stay until the start ends, as the
	 * step-wise start wants (runtime/container.h). */
	if (sup_service_net_prepare(s, cfg, &s->join_fd, &err) < 0)
		return start_failed(s, &err);
	if (!s->ev_created) {
		s->ev_created = true;
		sup_event(s, "create", json_pack("{s:s}", "image", s->spec->image ? s->spec->image : ""));
	}
	if (rt_container_start_begin(cfg, &s->spawn, &err) < 0) {
		s->spawn = NULL;
		spawn_done(s);
		return start_failed(s, &err);
	}
	spawn_watch(s);
}

void sup_service_stop(struct sup_service *s, int grace_ms, enum sup_after after)
{
	if (s->after != SUP_AFTER_REMOVE || after == SUP_AFTER_REMOVE)
		s->after = after;
	if (s->ct) {
		if (s->reaping)
			return; /* on its way out: `after` is seen when it is gone */
		if (s->state == SUP_STOPPING) {
			/* a shorter grace than the stop under way (down -t 1
			 * after a stop of 10 min) is the one that counts */
			if (grace_ms >= 0 && s->timer_use == SUP_TIMER_GRACE &&
			    (uint64_t)grace_ms < uv_timer_get_due_in(&s->timer))
				uv_timer_start(&s->timer, on_timer, (uint64_t)grace_ms, 0);
			return;
		}
		int64_t g = s->spec->stop_grace_period / 1000000;
		s->grace_ms = grace_ms >= 0 ? grace_ms : g > INT32_MAX ? INT32_MAX : (int)g;
		st_error_t err = NULL;
		int sig = s->conf.cfg.stop_signal ? s->conf.cfg.stop_signal : SIGTERM;
		s->ev_stopping = true;
		sup_event_signal(s, "kill", sig);
		if (rt_container_kill(s->ct, sig, &err) < 0)
			st_error_print(&err, stderr);
		s->timer_use = SUP_TIMER_GRACE;
		uv_timer_start(&s->timer, on_timer, (uint64_t)s->grace_ms, 0);
		set_state(s, SUP_STOPPING);
		return;
	}
	if (s->spawn) {
		/* Not started yet: nothing to signal, the start is undone. */
		spawn_abort(s);
		on_gone(s);
		return;
	}
	if (s->state == SUP_REMOVED && after != SUP_AFTER_START)
		return;
	/* Nothing runs: waiting for its backoff, for its dependencies, or exited. */
	uv_timer_stop(&s->timer);
	s->timer_use = SUP_TIMER_NONE;
	if (after == SUP_AFTER_STAY && s->state == SUP_CREATED)
		s->after = SUP_AFTER_STAY;
	on_gone(s);
}

int sup_service_kill(struct sup_service *s, int sig, st_error_t *err)
{
	if (!s->ct || s->reaping)
		return st_error(err, ESRCH, "service `%s` is not running", s->name);
	/* As docker kill: the user ended it, the restart policy does not
	 * bring it back (until it is started again). */
	if (s->after == SUP_AFTER_POLICY)
		s->after = SUP_AFTER_STAY; /* a down or a recreate under way stays what it is */
	sup_event_signal(s, "kill", sig);
	return rt_container_kill(s->ct, sig, err);
}
