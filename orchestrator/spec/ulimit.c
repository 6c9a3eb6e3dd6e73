/* ulimit names as docker spells them → RLIMIT_* */
#include "spec/load_internal.h"
#include "util/mem.h"

#include <string.h>
#include <sys/resource.h>

static const struct {
	const char *name;
	int resource;
} ulimits[] = {
	{"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
	{"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
	{"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
	{"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
	{"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
	{"stack", RLIMIT_STACK},
};

const char *const spec_ulimit_names[] = {
	"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
	"nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
};
const size_t spec_n_ulimit_names = ARRAY_SIZE(spec_ulimit_names);

int spec_ulimit_resource(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ulimits); i++)
		if (strcmp(ulimits[i].name, name) == 0)
			return ulimits[i].resource;
	return -1;
}
