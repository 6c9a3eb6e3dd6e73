/* Where stack keeps its state, resolved once at start (main) from the
 * environment and passed down: no module below the CLI reads the
 * environment for these, so a test or the supervisor can hand any module
 * its own paths, and threads never race a setenv(). */
#ifndef STACK_UTIL_PATHS_H
#define STACK_UTIL_PATHS_H

#define ST_ROOT_DEFAULT "/var/lib/stack"
#define ST_RUN_DEFAULT "/run/stack"
#define ST_CGROUP_PARENT_DEFAULT "stack"

struct st_paths {
	const char *root;          /* STACK_ROOT: images, layers, caches, volumes */
	const char *run;           /* STACK_RUN: per project, containers' state and locks */
	const char *cgroup_parent; /* STACK_CGROUP_PARENT: where containers' cgroups go */
};

/* From a NULL-terminated "K=V" environment (NULL: empty); an unset or
 * empty variable means the default above.  The strings point into env or
 * at the defaults: env must outlive *out. */
void st_paths_from_env(struct st_paths *out, char *const *env);

#endif
