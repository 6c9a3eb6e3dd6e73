/* Health checks (health.h) and published ports (ports.h) of the
 * services' containers:
 *
 *   start ─▶ ports attached, checker started ─▶ healthy/unhealthy ...
 *   exit  ─▶ checker stopped, ports detached (refused) ─▶ release
 *
 * A container that becomes unhealthy is restarted when its restart policy
 * is not `no` (Docker never does: moby#28400), after the policy's backoff;
 * the restart counts as one.
 * Every change of health ticks the loop: `depends_on: service_healthy`
 * and `up --wait` are decided there (sup_loop.c). */
#include "supervisor/internal.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

const struct spec_health *sup_service_health_spec(const struct sup_service *s)
{
	const struct spec_health *h = &s->spec->health;
	if (h->kind == SPEC_HEALTH_INHERIT)
		h = &s->img.defaults.health;
	return h->kind == SPEC_HEALTH_INHERIT || h->kind == SPEC_HEALTH_NONE ? NULL : h;
}

static void on_health(struct sup_health *h, enum sup_health_status st, void *data)
{
	struct sup_service *s = data;
	struct sup *sup = s->sup;
	sup_progress(sup, "Container %s  Health: %s", s->id, sup_health_status_name(st));
	sup_event(s, "health_status", json_pack("{s:s}", "health_status", sup_health_status_name(st)));
	if (st == SUP_HEALTH_UNHEALTHY) {
		size_t n = 0;
		const struct sup_health_result *log = sup_health_log(h, &n);
		free(s->health_failure);
		s->health_failure = n ? xasprintf("exit %d: %s", log[n - 1].exit_code, log[n - 1].output)
				      : xstrdup("no probe result");
		if (s->spec->restart != SPEC_RESTART_NO && sup->ending == SUP_RUN && s->state == SUP_RUNNING &&
		    s->after == SUP_AFTER_POLICY) {
			sup_progress(sup, "Container %s  Restarting (unhealthy)", s->id);
			s->health_restart = true;
			sup_service_stop(s, -1, SUP_AFTER_START);
		}
	}
	sup_service_save(s);
	sup_tick(sup);
}

void sup_service_health_start(struct sup_service *s)
{
	if (s->ports)
		sup_ports_attach(s->ports, s->ct);
	const struct spec_health *spec = sup_service_health_spec(s);
	if (!spec)
		return;
	struct sup_health_exec exec = {.user = s->conf.cfg.process.user};
	st_error_t err = NULL;
	if (sup_health_start(&s->sup->loop, spec, &exec, s->ct, on_health, s, &s->health, &err) < 0) {
		st_error_prefix(&err, "health check of `%s`", s->id);
		st_error_print(&err, stderr);
		s->health = NULL;
	}
}

void sup_service_health_stop(struct sup_service *s)
{
	sup_health_stop(s->health);
	s->health = NULL;
	if (s->ports)
		sup_ports_attach(s->ports, NULL); /* refused while it restarts */
}

int sup_ports_bind_all(struct sup *sup, st_error_t *err)
{
	for (size_t i = 0; i < sup->n_svcs; i++) {
		struct sup_service *s = sup->svcs[i];
		if (!s->selected || s->ports || !s->spec->n_ports)
			continue;
		if (sup_ports_bind(&sup->loop, s->spec->ports, s->spec->n_ports, &s->ports, err) < 0) {
			s->ports = NULL;
			for (size_t j = 0; j < i; j++) {
				sup_ports_close(sup->svcs[j]->ports);
				sup->svcs[j]->ports = NULL;
			}
			return st_error_prefix(err, "service `%s`: published port", s->name);
		}
	}
	return 0;
}
