#include "util/rlimit_names.h"
#include "util/mem.h"

#include <string.h>
#include <sys/resource.h>

/* Two columns of one table; RLIMIT_* numbers differ between
 * architectures, so the names cannot be indexed by them. */
const char *const st_rlimit_names[] = {
	"as",     "core",  "cpu",    "data",   "fsize",  "locks",  "memlock",    "msgqueue",
	"nice",   "nofile", "nproc", "rss",    "rtprio", "rttime", "sigpending", "stack",
};
static const int resources[] = {
	RLIMIT_AS,     RLIMIT_CORE,   RLIMIT_CPU,   RLIMIT_DATA,   RLIMIT_FSIZE,  RLIMIT_LOCKS,
	RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS,
	RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK,
};
_Static_assert(ARRAY_SIZE(st_rlimit_names) == ARRAY_SIZE(resources), "one name per resource");
const size_t st_n_rlimit_names = ARRAY_SIZE(st_rlimit_names);

int st_rlimit_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(resources); i++)
		if (strcmp(st_rlimit_names[i], name) == 0)
			return resources[i];
	return -1;
}

const char *st_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(resources); i++)
		if (resources[i] == resource)
			return st_rlimit_names[i];
	return NULL;
}
