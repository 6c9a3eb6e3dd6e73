/* Reading and writing cgroup control files.  A refused write is reported
 * with the file and the value, because that is what a user needs to see
 * ("write `1073741824` to `.../memory.limit_in_bytes`: Invalid argument"). */
#include "runtime/cgroup_internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cg_write(const char *dir, const char *file, const char *value, st_error_t *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "write `%s` to `%s`", value, path);
	size_t len = strlen(value);
	ssize_t w;
	do
		w = write(fd, value, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return st_error(err, errno, "write `%s` to `%s`", value, path);
	if ((size_t)w != len)
		return st_error(err, EIO, "write `%s` to `%s`: short write", value, path);
	return 0;
}

char *cg_read(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text = NULL;
	if (fd < 0 || fs_read_fd(fd, path, 0, &text, NULL, NULL) < 0)
		return NULL;
	return text;
}

bool cg_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

long long cg_keyed_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}
