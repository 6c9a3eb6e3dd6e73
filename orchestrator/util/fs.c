#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_DEFAULT_MAX (64u << 20)

int fs_read_fd(int fd, const char *what, size_t max_size, char **out, size_t *len, st_error_t *err)
{
	size_t max = max_size ? max_size : FS_DEFAULT_MAX;
	size_t cap = 4096, n = 0;
	_cleanup_free_ char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max)
				return st_error(err, EFBIG, "read %s: larger than %zu bytes", what, max);
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return st_error(err, errno, "read %s", what);
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			return st_error(err, EFBIG, "read %s: larger than %zu bytes", what, max);
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_pointer(&buf);
	return 0;
}

int fs_read_file(const char *path, size_t max_size, char **out, size_t *len, st_error_t *err)
{
	/* O_NONBLOCK: opening a FIFO with no writer would block for good (an
	 * env_file or secret that names one, by mistake or by a hostile
	 * checkout's symlink); only regular files are read (/proc's too). */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return st_error(err, errno, "stat `%s`", path);
	if (S_ISDIR(st.st_mode))
		return st_error(err, EISDIR, "read `%s`", path);
	if (!S_ISREG(st.st_mode))
		return st_error(err, EINVAL, "read `%s`: not a regular file (a %s); give a file", path,
				fs_kind_name(st.st_mode));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return st_error(err, errno, "fcntl `%s`", path);
	_cleanup_free_ char *what = xasprintf("`%s`", path);
	return fs_read_fd(fd, what, max_size, out, len, err);
}

int fs_mkdir_p(const char *path, mode_t mode, st_error_t *err)
{
	/* Mostly the directory or its parent is there already (every `stack
	 * run` makes sure of the store and run dirs): one syscall then. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return st_error(err, errno, "mkdir `%s`", path);
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return st_error(err, errno, "mkdir `%s`", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return st_error(err, errno, "mkdir `%s`", p);
	return 0;
}

char *fs_path_join_clean(const char *base, const char *path)
{
	_cleanup_free_ char *joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", base, path);
	size_t n = strlen(joined);
	char *out = xmalloc(n + 2);
	size_t o = 0;
	const char *s = joined;
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 1 && s[0] == '.') {
			/* skip */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

char *fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

DIR *fs_opendir_fd(int dfd)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	/* A dup shares the offset: start from the top whatever read it before. */
	rewinddir(d);
	return d;
}

void fs_path_split_clean(const char *path, struct strv *parts)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (parts->n) {
				free(parts->v[--parts->n]);
				parts->v[parts->n] = NULL;
			}
			continue;
		}
		strv_push(parts, c);
	}
}
