#include "util/paths.h"
#include "util/env.h"

static const char *env_or(char *const *env, const char *name, const char *fallback)
{
	const char *v = st_env_get((const char *const *)env, name);
	return v && *v ? v : fallback;
}

void st_paths_from_env(struct st_paths *out, char *const *env)
{
	out->root = env_or(env, "STACK_ROOT", ST_ROOT_DEFAULT);
	out->run = env_or(env, "STACK_RUN", ST_RUN_DEFAULT);
	out->cgroup_parent = env_or(env, "STACK_CGROUP_PARENT", ST_CGROUP_PARENT_DEFAULT);
}
