/* Between the health state machine (health.c) and its probes
 * (health_net.c: tcp and http; health_exec.c: CMD and CMD-SHELL).
 *
 * A probe is its own allocation with its own handles.  It reports once,
 * through sup_health_probe_done(), and frees itself when its handles have
 * closed, which may be after the check that started it was stopped and
 * freed: the check lets go of a probe by cancelling it (p->h = NULL), and
 * a cancelled probe reports nothing. */
#ifndef STACK_SUPERVISOR_HEALTH_INTERNAL_H
#define STACK_SUPERVISOR_HEALTH_INTERNAL_H

#include "supervisor/health.h"

#include <stdint.h>

struct sup_probe;

struct sup_probe_ops {
	/* Stop at once and report nothing; free when the handles closed. */
	void (*cancel)(struct sup_probe *p);
};

struct sup_probe {
	const struct sup_probe_ops *ops;
	struct sup_health *h;  /* NULL once reported or cancelled */
	uv_loop_t *loop;
	uint64_t start_ns;     /* uv_hrtime() at the start, for start_period */
	struct sup_health_result res;
};

/* Fill the common part: start times now, exit code -1, no output. */
void sup_probe_init(struct sup_probe *p, const struct sup_probe_ops *ops, struct sup_health *h, uv_loop_t *loop);
/* Set p->res's end time, exit code and output (printf-like, cut at
 * SUP_HEALTH_OUTPUT_MAX) and hand it to the check; once per probe. */
void sup_probe_report(struct sup_probe *p, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with output that may hold any bytes (n of them). */
void sup_probe_report_raw(struct sup_probe *p, int exit_code, const char *out, size_t n);

/* "Health check exceeded timeout (1.5s)", Docker's words. */
char *sup_probe_timeout_text(int64_t timeout_ns);

/* Start a probe of spec's kind in ct (spec outlives the probe's start
 * only; what is kept is copied).  NULL and *err when it could not start
 * (the container exited, no socket, exec failed): the check records
 * that as a failed probe. */
struct sup_probe *sup_probe_net_start(uv_loop_t *loop, struct sup_health *h, struct rt_container *ct,
				      const struct spec_health *spec, st_error_t *err);
struct sup_probe *sup_probe_exec_start(uv_loop_t *loop, struct sup_health *h, struct rt_container *ct,
				       const struct spec_health *spec, const struct sup_health_exec *exec,
				       st_error_t *err);

/* health.c: the result of p, which is done with it. */
void sup_health_probe_done(struct sup_health *h, struct sup_probe *p);

#endif
