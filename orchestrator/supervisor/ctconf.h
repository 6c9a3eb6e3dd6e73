/* From a service of the stack file to a runtime container config.
 *
 * This is where the model (spec/) meets the runtime (runtime/): the runtime
 * borrows every string of struct rt_config, so struct sup_ctconf owns them
 * and lives as long as the start call needs it. */
#ifndef STACK_SUPERVISOR_CTCONF_H
#define STACK_SUPERVISOR_CTCONF_H

#include "runtime/config.h"
#include "spec/model.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/strv.h"

/* What the image says (Dockerfile ENV, ENTRYPOINT, CMD, WORKDIR, USER). */
struct sup_image_defaults {
	struct strv env;        /* "K=V" */
	struct strv entrypoint;
	struct strv cmd;
	const char *working_dir;
	const char *user;
	struct spec_health health; /* HEALTHCHECK; SPEC_HEALTH_INHERIT: the image has none */
};

/* One-off overrides, as `stack run` takes them. */
struct sup_overrides {
	const struct strv *env;     /* "K=V" or "K" (take it from our environment) */
	const char *user;
	const struct strv *entrypoint; /* non-NULL: replaces entrypoint (and drops the image's CMD) */
	const struct strv *command;    /* non-NULL and non-empty: replaces command */
	const char *working_dir;
};

struct sup_ctconf {
	struct rt_config cfg;
	/* storage cfg points into */
	char *id, *state_dir, *seccomp_cache_dir, *hostname;
	char *secrets_dir; /* environment secrets written for this container, or NULL */
	struct strv argv, env, cap_add, cap_drop, lowers, scratch;
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_device *devices;
	struct rt_rlimit *rlimits;
};

/* Fill out->cfg for `svc`.  lower_dirs are the image's layers (topmost
 * first); img may be NULL.  Host-side preparation that docker does at create
 * time happens here too: missing bind sources of short-syntax volumes are
 * created, named volumes get their directory under paths->root, environment
 * secrets are written to a 0400 file under the project's run dir.  paths
 * must outlive out (cfg.cgroup_parent points into it). */
int sup_ctconf_build(const struct st_paths *paths, const struct spec_stack *stack, const struct spec_service *svc,
		     const char *id, const struct strv *lower_dirs, const struct sup_image_defaults *img,
		     const struct sup_overrides *ov, struct sup_ctconf *out, st_error_t *err);
void sup_ctconf_free(struct sup_ctconf *c);
/* Remove what sup_ctconf_build wrote on the host for this container
 * (environment secrets), once the container is gone. */
void sup_ctconf_remove_host_files(struct sup_ctconf *c);

/* STACK_RUN/PROJECT */
char *sup_project_run_dir(const struct st_paths *paths, const struct spec_stack *stack);
/* STACK_RUN/PROJECT/ID.secrets: environment secrets of container ID. */
char *sup_secrets_dir(const char *project_run_dir, const char *id);

#endif
