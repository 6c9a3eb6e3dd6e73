/* The supervisor: one process per running stack, one libuv loop.
 *
 * sup_run() takes the project's pid file, opens the control socket
 * (control.h, docs/control-protocol.md), starts the selected services in
 * depends_on order and looks after them (restart policies with Docker's
 * backoff, logs to files) until it is told to stop (`stack down`, a
 * shutdown request, SIGTERM/SIGINT).  Every call into the runtime on the
 * loop thread is one of its non-blocking ones (runtime/container.h): a
 * start (bounded, a few ms), kill, try_wait from a pidfd watch, release
 * from a retry timer.
 *
 * Images are resolved by the caller's function (the CLI's, which imports
 * `rootfs:` bases and will build stack images): the supervisor knows
 * nothing of the image store. */
#ifndef STACK_SUPERVISOR_SUP_H
#define STACK_SUPERVISOR_SUP_H

#include "spec/model.h"
#include "spec/spec.h"
#include "supervisor/ctconf.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/strv.h"

#include <stdbool.h>

struct sup_image {
	struct strv layers; /* topmost first */
	struct sup_image_defaults defaults; /* owned: env, entrypoint, cmd, working_dir, user */
};
void sup_image_free(struct sup_image *img);

typedef int (*sup_resolve_fn)(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
			      struct sup_image *out, st_error_t *err);

struct sup_opts {
	const struct st_paths *paths;
	sup_resolve_fn resolve;
	/* The services to run (with what they depend on); empty: all. */
	const struct strv *services;
	/* -1, or where progress lines go ("Container NAME  Started") and
	 * then one last line, "ok" once every selected service was started
	 * or "error: MESSAGE"; closed after it.  `stack up -d` waits on it. */
	int ready_fd;
	/* `up --wait`: "ok" only once every selected service runs and those
	 * with a health check are healthy; "error: ..." naming the service
	 * (and its last probe output) when one becomes unhealthy or exits. */
	bool wait;
	/* What the stack was loaded from: a reconcile request loads it the
	 * same way (control.h). */
	const struct spec_load_opts *load;
};

/* Check what can be checked before anything starts: the selected services
 * exist. */
int sup_check_stack(const struct spec_stack *stack, const struct strv *services, st_error_t *err);

/* Run the supervisor in this process until it is told to stop; takes
 * ownership of stack.  0 after a clean stop; -1 when it could not start
 * (another supervisor runs, the socket cannot be made...). */
int sup_run(struct spec_stack *stack, const struct sup_opts *opts, st_error_t *err);

/* After a crash of a supervisor (its pid file unlocked): remove what its
 * containers left (sup_sweep_stale) and their state files.  Returns how
 * many containers were cleaned, or -1. */
int sup_recover(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err);

#endif
