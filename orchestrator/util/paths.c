#include "util/paths.h"

#include <stdlib.h>

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

const char *st_root_dir(void) { return env_or("STACK_ROOT", "/var/lib/stack"); }
const char *st_run_dir(void) { return env_or("STACK_RUN", "/run/stack"); }
