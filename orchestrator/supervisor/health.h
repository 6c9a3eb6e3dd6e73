/* Health checks of one running container, on the supervisor's libuv loop.
 *
 *     sup_health_start(loop, &svc->health, &exec, ct, on_change, data, &h, &err);
 *     ... the loop runs; on_change(h, SUP_HEALTH_HEALTHY, data) ...
 *     sup_health_stop(h);             (before the container is released)
 *
 * Docker's semantics (moby daemon/health.go), with its defaults filled in
 * by the spec loader: the first probe runs `interval` after the start, the
 * next `interval` after the previous one ended (`start_interval` instead
 * while the check is still starting and within `start_period`).  A probe
 * that succeeds makes the container healthy and resets the failing
 * streak; one that fails adds to the streak, and `retries` failures in a
 * row make it unhealthy.  Failures of a container that is still starting
 * and whose probe began within `start_period` do not count.  A probe
 * still running after `timeout` is cancelled (an exec probe is killed,
 * with everything in its process group) and fails with exit code -1.
 *
 * Kinds (struct spec_health):
 *   SPEC_HEALTH_TCP   connect to 127.0.0.1:port from a socket made in the
 *                     container's network namespace (rt_container_socket):
 *                     no program in the image is needed.  An app bound to
 *                     0.0.0.0 or to 127.0.0.1 answers; one bound only to
 *                     another address of the container does not.
 *   SPEC_HEALTH_HTTP  the same connection, then `GET path HTTP/1.1` with a
 *                     Host header and Connection: close; healthy when the
 *                     response's status line has `status` (0: any 2xx or
 *                     3xx).  The status line and headers must arrive
 *                     complete within SUP_HEALTH_HTTP_HEAD_MAX bytes: a
 *                     server sending garbage or endless headers fails the
 *                     probe, and what is read stays bounded.  The body is
 *                     never read.
 *   SPEC_HEALTH_CMD   argv run in the container by rt_container_exec (its
 *   SPEC_HEALTH_SHELL namespaces, cgroup, capabilities, no_new_privs and
 *                     seccomp filter; the user given in sup_health_exec),
 *                     SHELL as `/bin/sh -c TEST`; exit 0 is healthy,
 *                     anything else a failure.  stdout and stderr are read
 *                     on the loop into one output, the first
 *                     SUP_HEALTH_OUTPUT_MAX bytes kept (Docker keeps 4096);
 *                     stdin is at EOF.
 * INHERIT and NONE are not checks: resolve INHERIT from the image first;
 * sup_health_start refuses both.
 *
 * Blocking: an exec probe's rt_container_exec() runs on the loop's thread
 * (a fork and a handshake, a few ms; bounded by the container's
 * start_timeout_ms).  Everything else is non-blocking. */
#ifndef STACK_SUPERVISOR_HEALTH_H
#define STACK_SUPERVISOR_HEALTH_H

#include "runtime/container.h"
#include "spec/model.h"
#include "util/error.h"

#include <jansson.h>
#include <uv.h>

#define SUP_HEALTH_LOG_MAX 5          /* results kept, as Docker's State.Health.Log */
#define SUP_HEALTH_OUTPUT_MAX 4096    /* bytes of a probe's output kept */
#define SUP_HEALTH_HTTP_HEAD_MAX 16384 /* status line and headers of an http probe */

struct sup_health;

enum sup_health_status {
	SUP_HEALTH_STARTING,
	SUP_HEALTH_HEALTHY,
	SUP_HEALTH_UNHEALTHY,
};

/* Called on the loop each time the status changes (not for every probe). */
typedef void (*sup_health_cb)(struct sup_health *h, enum sup_health_status st, void *data);

/* For exec probes: the user to run as (rt_process.user; Docker runs its
 * probes as the container's user, so pass the service's effective user;
 * NULL leaves it to rt_container_exec's default) and environment on top
 * of the container's (NULL-terminated; may be NULL). */
struct sup_health_exec {
	const char *user;
	const char *const *env;
};

/* One probe's outcome, as ps --format json shows it. */
struct sup_health_result {
	struct timespec start, end; /* CLOCK_REALTIME */
	int exit_code;              /* 0 healthy; -1: cancelled at the timeout or not run */
	char *output;               /* NUL-terminated, at most SUP_HEALTH_OUTPUT_MAX bytes */
};

/* Start checking ct by spec (copied; exec may be NULL and is copied).
 * ct must stay valid until sup_health_stop(), and is not used after it.
 * The check starts in SUP_HEALTH_STARTING; start_period counts from now.
 * Returns 0, or -1 (a spec that is not a check) with nothing started. */
int sup_health_start(uv_loop_t *loop, const struct spec_health *spec, const struct sup_health_exec *exec,
		     struct rt_container *ct, sup_health_cb on_change, void *data, struct sup_health **out,
		     st_error_t *err);

/* Stop probing: no callback after this returns, ct is no longer used (a
 * running exec probe is SIGKILLed and reaped from the loop).  The handles
 * close asynchronously and h is freed once they have, so the loop must
 * run on; do not use h again.  h may be NULL.  Safe from on_change. */
void sup_health_stop(struct sup_health *h);

enum sup_health_status sup_health_status(const struct sup_health *h);
int sup_health_failing_streak(const struct sup_health *h);
/* The last results, oldest first (n <= SUP_HEALTH_LOG_MAX); valid until
 * the next probe ends. */
const struct sup_health_result *sup_health_log(const struct sup_health *h, size_t *n);
/* "starting", "healthy", "unhealthy". */
const char *sup_health_status_name(enum sup_health_status st);

/* {"status": "healthy", "failing_streak": 0, "probes": N,
 *  "log": [{"start": "2026-12-02T00:38:41.123456789Z", "end": ...,
 *           "exit_code": 0, "output": "..."}, ...]}
 * with the log oldest first and output made valid UTF-8 (a byte that is
 * not becomes U+FFFD).  A new reference. */
json_t *sup_health_json(const struct sup_health *h);

#endif
