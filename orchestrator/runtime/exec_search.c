/* PATH search for the payload's execve, shared by the runtime (init: false,
 * exec'd processes) and stack-init. */
#include "runtime/init_abi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rt_exec_search(char *const *argv, char *const *envp, const char *path)
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	int saved = ENOENT;
	char buf[4096];
	for (const char *p = path; p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
		size_t dlen = strcspn(p, ":");
		if (dlen == 0)
			snprintf(buf, sizeof(buf), "%s", file);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)dlen, p, file);
		execve(buf, argv, envp);
		if (errno == EACCES)
			saved = EACCES;
		else if (errno != ENOENT && errno != ENOTDIR)
			return errno;
	}
	return saved;
}
