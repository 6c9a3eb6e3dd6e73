/* One RUN step: a build container of our runtime over the image's layers,
 * with a writable upper dir that the caller then has as the new layer.
 *
 * The container is an ordinary one of the runtime (namespaces, Docker's
 * default capabilities and seccomp profile, our init as PID 1), with the
 * network of the host by default: RUN steps fetch packages (apt-get,
 * pip), and a build container has no published ports or DNS of a stack
 * network to be given instead (BuildKit's default is the host's network
 * too).  `RUN --network=none` gives it only a loopback. */
#ifndef STACK_BUILDER_RUN_H
#define STACK_BUILDER_RUN_H

#include "image/store.h"
#include "spec/model.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/strv.h"

#include <stdbool.h>

/* A line of the step's output (stdout and stderr, merged as a terminal
 * shows them), without its newline. */
typedef void (*build_output_fn)(void *data, const char *line, size_t len);

struct build_run {
	const struct st_paths *paths;
	const struct spec_stack *stack; /* the project the build container belongs to (locks, sweep) */
	const struct img_store *store;
	const struct strv *layers;      /* the image's layer ids, bottom first */
	const char *const *argv;
	const char *const *env;
	const char *cwd;
	const char *user;
	bool network_none;
	const struct rt_mount *mounts; /* RUN --mount= (run_mount.h) */
	size_t n_mounts;
	/* Both found where the runtime put the mount points: through the
	 * image's symlinks, inside the root.  Secret targets: the empty file
	 * made as a mount point goes from the upper dir before it becomes a
	 * layer. */
	const struct strv *remove;
	/* Bind targets whose mount points, where the image had no such path,
	 * are taken out of the upper dir (mount_points.h). */
	const struct strv *made;
	build_output_fn output;
	void *output_data;
};

/* Run it.  0: the command exited 0, and *layer_id is the layer of what it
 * wrote (NULL: it wrote nothing).  -1: it failed; *exit_code is the
 * command's status (128+N for signal N) when it ran and did not exit 0,
 * else -1 (the error says why it did not run).  A stop signal
 * (util/interrupt.h) kills the container; nothing of it is left. */
int build_run_step(const struct build_run *r, char **layer_id, int *exit_code, st_error_t *err);

#endif
