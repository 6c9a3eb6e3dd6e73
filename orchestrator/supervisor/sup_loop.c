/* The supervisor's process: pid file, loop, start order, the way out. */
#include "supervisor/files.h"
#include "supervisor/internal.h"
#include "supervisor/stale.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sup_image_free(struct sup_image *img)
{
	strv_free(&img->layers);
	strv_free(&img->defaults.env);
	strv_free(&img->defaults.entrypoint);
	strv_free(&img->defaults.cmd);
	free((char *)img->defaults.working_dir);
	free((char *)img->defaults.user);
	strv_free(&img->defaults.health.test);
	free(img->defaults.health.path);
	memset(img, 0, sizeof(*img));
}

const struct spec_stack *sup_stack(const struct sup *sup)
{
	return sup->stacks[sup->n_stacks - 1];
}

struct sup_service *sup_find(struct sup *sup, const char *name)
{
	for (size_t i = 0; i < sup->n_svcs; i++)
		if (strcmp(sup->svcs[i]->name, name) == 0)
			return sup->svcs[i];
	return NULL;
}

void sup_progress(struct sup *sup, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *line = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
	if (sup->ready_fd >= 0 && !sup->ready_sent)
		dprintf(sup->ready_fd, "%s\n", line);
}

int sup_service_prepare(struct sup *sup, const struct spec_stack *stack, const struct spec_service *spec,
			struct sup_image *img, struct sup_ctconf *conf, const char *id, st_error_t *err)
{
	memset(img, 0, sizeof(*img));
	if (sup->resolve(sup->paths, stack, spec->image, img, err) < 0) {
		sup_image_free(img);
		return st_error_prefix(err, "service `%s`", spec->name);
	}
	if (sup_ctconf_build(sup->paths, stack, spec, id, &img->layers, &img->defaults, NULL, conf, err) < 0) {
		sup_image_free(img);
		return st_error_prefix(err, "service `%s`", spec->name);
	}
	return 0;
}

/* ---- what to run: the named services and what they depend on ---- */

static void select_one(const struct spec_stack *stack, const struct spec_service *sv, bool *sel)
{
	size_t i = (size_t)(sv - stack->services);
	if (sel[i])
		return;
	sel[i] = true;
	if (sv->network_mode == SPEC_NET_SERVICE) {
		/* it needs that service's container to share its namespace */
		const struct spec_service *t = spec_find_service(stack, sv->network_service);
		if (t)
			select_one(stack, t, sel);
	}
	for (size_t d = 0; d < sv->n_depends_on; d++) {
		const struct spec_service *dep = spec_find_service(stack, sv->depends_on[d].service);
		if (dep)
			select_one(stack, dep, sel);
	}
}

/* sel[i] for stack->services[i]; -1 and err for an unknown name. */
static int select_services(const struct spec_stack *stack, const struct strv *names, bool *sel, st_error_t *err)
{
	for (size_t i = 0; i < stack->n_services; i++)
		sel[i] = false;
	if (!names || names->n == 0) {
		for (size_t i = 0; i < stack->n_services; i++)
			select_one(stack, &stack->services[i], sel);
		return 0;
	}
	for (size_t n = 0; n < names->n; n++) {
		const struct spec_service *sv = spec_find_service(stack, names->v[n]);
		if (!sv)
			return st_error(err, ENOENT, "no service `%s` in this stack", names->v[n]);
		select_one(stack, sv, sel);
	}
	return 0;
}

int sup_check_stack(const struct spec_stack *stack, const struct strv *services, st_error_t *err)
{
	if (stack->n_services == 0)
		return st_error(err, ENOENT, "the stack has no services to start");
	_cleanup_free_ bool *sel = xcalloc(stack->n_services, sizeof(bool));
	if (select_services(stack, services, sel, err) < 0)
		return -1;
	return 0;
}

/* ---- start order ---- */

/* 1: the dependencies of s allow it to start; 0: not yet; -1: never (*why). */
static int deps_ready(struct sup *sup, struct sup_service *s, char **why)
{
	if (s->spec->network_mode == SPEC_NET_SERVICE) {
		/* As compose: `network_mode: service:NAME` is a dependency on NAME's running container. */
		struct sup_service *t = sup_find(sup, s->spec->network_service);
		if (!t || t->state == SUP_REMOVED || t->state == SUP_EXITED) {
			*why = xasprintf("`network_mode: service:%s`: service `%s` is not running", s->spec->network_service,
					 s->spec->network_service);
			return -1;
		}
		if (!t->ct || t->reaping || t->state != SUP_RUNNING)
			return 0;
	}
	for (size_t d = 0; d < s->spec->n_depends_on; d++) {
		const struct spec_depends *dep = &s->spec->depends_on[d];
		struct sup_service *t = sup_find(sup, dep->service);
		if (!t || t->state == SUP_REMOVED) {
			if (!dep->required)
				continue;
			*why = xasprintf("dependency `%s` is not part of the stack", dep->service);
			return -1;
		}
		switch (dep->condition) {
		case SPEC_DEP_STARTED:
			if (t->started_at_ms)
				continue;
			if (t->state == SUP_EXITED) {
				if (!dep->required)
					continue;
				*why = xasprintf("dependency `%s` failed to start", dep->service);
				return -1;
			}
			return 0;
		case SPEC_DEP_COMPLETED:
			if (t->state == SUP_EXITED && t->has_exit && t->last_exit.exit_code == 0)
				continue;
			if (t->state == SUP_EXITED) {
				if (!dep->required)
					continue;
				*why = t->has_exit ? xasprintf("dependency `%s` did not complete successfully (exit %d)",
							       dep->service, t->last_exit.exit_code)
						   : xasprintf("dependency `%s` failed to start", dep->service);
				return -1;
			}
			return 0;
		case SPEC_DEP_HEALTHY:
			if (t->health && sup_health_status(t->health) == SUP_HEALTH_HEALTHY)
				continue;
			if (t->state == SUP_EXITED) {
				if (!dep->required)
					continue;
				*why = xasprintf("dependency `%s` exited before it was healthy", dep->service);
				return -1;
			}
			if (t->ct && !t->reaping && !t->health) {
				/* its image is known once it started: no check in it either */
				*why = xasprintf("dependency `%s` has no health check (condition service_healthy); give it "
						 "a `healthcheck:` or use service_started",
						 dep->service);
				return -1;
			}
			return 0;
		}
	}
	return 1;
}

static void send_ready(struct sup *sup, const char *error)
{
	if (sup->ready_fd < 0 || sup->ready_sent)
		return;
	if (error)
		dprintf(sup->ready_fd, "error: %s\n", error);
	else
		dprintf(sup->ready_fd, "ok\n");
	sup->ready_sent = true;
	close(sup->ready_fd);
	sup->ready_fd = -1;
}

/* up --wait: 1 when s is where --wait wants it, 0 not yet, -1 never (*why). */
static int wait_state(struct sup_service *s, char **why)
{
	if (s->state == SUP_RUNNING && s->ct && !s->reaping) {
		if (!s->health)
			return 1;
		switch (sup_health_status(s->health)) {
		case SUP_HEALTH_HEALTHY:
			return 1;
		case SUP_HEALTH_STARTING:
			return 0;
		case SUP_HEALTH_UNHEALTHY:
			break;
		}
	}
	if (s->health_failure) {
		*why = xasprintf("service `%s` is unhealthy; last probe: %s", s->name, s->health_failure);
		return -1;
	}
	if (s->state == SUP_EXITED || s->state == SUP_REMOVED || s->state == SUP_RESTARTING ||
	    (s->has_exit && !s->ct)) {
		*why = s->has_exit ? xasprintf("service `%s` exited (code %d)", s->name, s->last_exit.exit_code)
				   : xasprintf("service `%s`: %s", s->name, s->last_error ? s->last_error : "did not start");
		return -1;
	}
	return 0;
}

static void check_ready(struct sup *sup)
{
	if (sup->ready_fd < 0 || sup->ready_sent)
		return;
	if (sup->wait_healthy) {
		bool all = true;
		for (size_t i = 0; i < sup->n_svcs; i++) {
			struct sup_service *s = sup->svcs[i];
			if (!s->selected)
				continue;
			char *why = NULL;
			int r = wait_state(s, &why);
			if (r < 0) {
				send_ready(sup, why);
				free(why);
				return;
			}
			all &= r > 0;
		}
		if (all)
			send_ready(sup, NULL);
		else if (sup->ending != SUP_RUN)
			send_ready(sup, "stopped before every service was healthy");
		return;
	}
	bool all = true;
	for (size_t i = 0; i < sup->n_svcs; i++) {
		struct sup_service *s = sup->svcs[i];
		if (!s->selected || s->started_at_ms)
			continue;
		if (s->state == SUP_EXITED || s->state == SUP_REMOVED) {
			_cleanup_free_ char *msg = xasprintf("service `%s`: %s", s->name,
							     s->last_error ? s->last_error : "did not start");
			send_ready(sup, msg);
			return;
		}
		all = false;
	}
	if (all)
		send_ready(sup, NULL);
	else if (sup->ending != SUP_RUN)
		send_ready(sup, "stopped before every service was started");
}

static void finish(struct sup *sup)
{
	if (sup->finished)
		return;
	sup->finished = true;
	send_ready(sup, "the supervisor stopped");
	sup_ctl_close(sup);
	uv_close((uv_handle_t *)&sup->sig_term, NULL);
	uv_close((uv_handle_t *)&sup->sig_int, NULL);
	uv_close((uv_handle_t *)&sup->sig_hup, NULL);
	for (size_t i = 0; i < sup->n_svcs; i++)
		sup_service_close_handles(sup->svcs[i]);
}

static void tick_once(struct sup *sup)
{
	for (size_t i = 0; i < sup->n_svcs && sup->ending == SUP_RUN; i++) {
		struct sup_service *s = sup->svcs[i];
		if (s->state != SUP_CREATED || !s->selected)
			continue;
		char *why = NULL;
		int r = deps_ready(sup, s, &why);
		if (r > 0) {
			sup_service_start(s);
		} else if (r < 0) {
			free(s->last_error);
			s->last_error = why;
			s->state = SUP_EXITED;
			sup_service_save(s);
			sup_progress(sup, "Container %s  Error: %s", s->id, why);
		}
	}
	check_ready(sup);
	sup_ops_check(sup);
	if (sup->ending != SUP_RUN) {
		for (size_t i = 0; i < sup->n_svcs; i++)
			if (!sup_service_settled(sup->svcs[i]))
				return;
		finish(sup);
	}
}

void sup_tick(struct sup *sup)
{
	if (sup->ticking) {
		sup->tick_again = true;
		return;
	}
	sup->ticking = true;
	do {
		sup->tick_again = false;
		tick_once(sup);
	} while (sup->tick_again && !sup->finished);
	sup->ticking = false;
}

void sup_begin_end(struct sup *sup, int mode, int timeout_s)
{
	if (mode == SUP_DOWN || sup->ending == SUP_RUN)
		sup->ending = mode;
	int grace = timeout_s >= 0 ? timeout_s * 1000 : -1;
	for (size_t i = 0; i < sup->n_svcs; i++)
		sup_service_stop(sup->svcs[i], grace, sup->ending == SUP_DOWN ? SUP_AFTER_REMOVE : SUP_AFTER_STAY);
	sup_tick(sup);
}

static void on_signal(uv_signal_t *h, int sig)
{
	struct sup *sup = h->data;
	if (sig == SIGHUP)
		return; /* the terminal we came from went away: not ours to act on */
	if (++sup->signals > 1) {
		/* A second request to stop: no more grace. */
		for (size_t i = 0; i < sup->n_svcs; i++)
			if (sup->svcs[i]->ct)
				rt_container_kill(sup->svcs[i]->ct, SIGKILL, NULL);
		return;
	}
	sup_begin_end(sup, SUP_SHUTDOWN, -1);
}

static struct sup_service *add_service(struct sup *sup, const struct spec_service *sv)
{
	struct sup_service *s = sup_service_new(sup, sv);
	_cleanup_free_ char *path = sup_log_path(sup->log_dir, s->name);
	st_error_t err = NULL;
	if (sup_logfile_open(&s->log, path, (uint64_t)sv->logging.max_size, sv->logging.max_file, &err) < 0) {
		/* runs without a log rather than not at all */
		st_error_prefix(&err, "service `%s` runs without a log", s->name);
		st_error_print(&err, stderr);
	}
	sup->svcs = xrealloc(sup->svcs, (sup->n_svcs + 1) * sizeof(*sup->svcs));
	sup->svcs[sup->n_svcs++] = s;
	return s;
}

struct sup_service *sup_add_service(struct sup *sup, const struct spec_service *sv)
{
	return add_service(sup, sv);
}

int sup_select_mask(const struct spec_stack *stack, const struct strv *names, bool *sel, st_error_t *err)
{
	return select_services(stack, names, sel, err);
}

int sup_select(struct sup *sup, const struct spec_stack *stack, const struct strv *names, st_error_t *err)
{
	_cleanup_free_ bool *sel = xcalloc(stack->n_services ? stack->n_services : 1, sizeof(bool));
	if (select_services(stack, names, sel, err) < 0)
		return -1;
	for (size_t i = 0; i < stack->n_services; i++) {
		if (!sel[i])
			continue;
		struct sup_service *s = sup_find(sup, stack->services[i].name);
		if (!s)
			s = add_service(sup, &stack->services[i]);
		s->selected = true;
	}
	return 0;
}

int sup_run(struct spec_stack *stack, const struct sup_opts *o, st_error_t *err)
{
	struct sup sup = {0};
	int rc = -1;
	sup.paths = o->paths;
	sup.resolve = o->resolve;
	sup.ready_fd = o->ready_fd;
	sup.wait_healthy = o->wait;
	sup.pid_fd = -1;
	sup.stop_timeout_s = -1;
	if (o->load) {
		strv_copy(&sup.load.files, &o->load->files);
		strv_copy(&sup.load.profiles, &o->load->profiles);
		sup.load.project_name = o->load->project_name ? xstrdup(o->load->project_name) : NULL;
		sup.load.workdir = o->load->workdir ? xstrdup(o->load->workdir) : NULL;
	}
	sup.stacks = xmalloc(sizeof(*sup.stacks));
	sup.stacks[sup.n_stacks++] = stack;
	sup.project = stack->name;
	sup.run_dir = sup_run_dir(o->paths, stack->name);
	sup.log_dir = sup_log_dir(o->paths, stack->name);
	signal(SIGPIPE, SIG_IGN);
	bool loop_ok = false;
	if (sup_pid_file_take(sup.run_dir, &sup.pid_fd, err) < 0 || fs_mkdir_p(sup.log_dir, 0700, err) < 0)
		goto out;
	int r = uv_loop_init(&sup.loop);
	if (r < 0) {
		st_error(err, -r, "uv_loop_init");
		goto out;
	}
	loop_ok = true;
	sup_events_open(&sup);
	if (sup_ctl_listen(&sup, err) < 0)
		goto out;
	uv_signal_init(&sup.loop, &sup.sig_term);
	uv_signal_init(&sup.loop, &sup.sig_int);
	uv_signal_init(&sup.loop, &sup.sig_hup);
	sup.sig_term.data = sup.sig_int.data = sup.sig_hup.data = &sup;
	uv_signal_start(&sup.sig_term, on_signal, SIGTERM);
	uv_signal_start(&sup.sig_int, on_signal, SIGINT);
	uv_signal_start(&sup.sig_hup, on_signal, SIGHUP);
	/* A port in use is an error before anything starts. */
	if (sup_select(&sup, stack, o->services, err) < 0 || sup_ports_bind_all(&sup, err) < 0 ||
	    sup_nets_setup_current(&sup, err) < 0) {
		_cleanup_free_ char *msg = st_error_text(*err);
		send_ready(&sup, msg); /* the reason, not finish's "stopped" */
		finish(&sup);
		uv_run(&sup.loop, UV_RUN_DEFAULT);
		goto out;
	}
	sup_tick(&sup);
	uv_run(&sup.loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	send_ready(&sup, err && *err ? (*err)->msg : "the supervisor stopped");
	if (loop_ok) {
		if (!sup.finished) {
			finish(&sup);
			uv_run(&sup.loop, UV_RUN_DEFAULT);
		}
		uv_loop_close(&sup.loop);
	}
	for (size_t i = 0; i < sup.n_svcs; i++)
		sup_service_free(sup.svcs[i]);
	free(sup.svcs);
	sup_events_close(&sup);
	for (size_t i = 0; sup.nets && i < sup.n_stacks; i++)
		sup_nets_free(&sup.nets[i]);
	free(sup.nets);
	if (sup.ending == SUP_DOWN) {
		fs_remove_tree(sup.log_dir, NULL);
		/* every container is gone: their networks go too */
		st_error_t nerr = NULL;
		if (sup_net_teardown(sup.paths, stack, &nerr) < 0)
			st_error_print(&nerr, stderr);
	}
	if (sup.pid_fd >= 0) {
		_cleanup_free_ char *sock = sup_socket_path(sup.run_dir);
		_cleanup_free_ char *pid = sup_pid_path(sup.run_dir);
		unlink(sock);
		unlink(pid);
		close(sup.pid_fd);
		rmdir(sup.run_dir); /* if nothing of the project is left */
	}
	for (size_t i = 0; i < sup.n_stacks; i++)
		spec_stack_free(sup.stacks[i]);
	free(sup.stacks);
	strv_free(&sup.load.files);
	strv_free(&sup.load.profiles);
	free((char *)sup.load.project_name);
	free((char *)sup.load.workdir);
	free(sup.run_dir);
	free(sup.log_dir);
	return rc;
}

/* ---- after a crash ---- */

int sup_recover(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err)
{
	_cleanup_free_ char *run = sup_run_dir(paths, stack->name);
	pid_t pid;
	if (sup_alive(run, &pid))
		return st_error(err, EBUSY, "the supervisor of project `%s` is running (pid %d)", stack->name, (int)pid);
	int n = sup_sweep_stale(paths, stack, err);
	DIR *d = opendir(run);
	if (!d)
		return n;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 6 && strcmp(e->d_name + len - 6, ".state") == 0) {
			/* Its lock is gone with its container (the sweep took it). */
			_cleanup_free_ char *lock = xasprintf("%.*s.lock", (int)(len - 6), e->d_name);
			if (faccessat(dirfd(d), lock, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
	fs_sweep_tmp(run);
	_cleanup_free_ char *sock = sup_socket_path(run);
	unlink(sock);
	return n;
}
