/* The control socket, client side: one request, one reply, bounded. */
#include "supervisor/control.h"
#include "supervisor/files.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int sup_unix_socket_at(const char *path, int fd, bool bind_it, st_error_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int dfd = -1;
	if (strlen(path) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, path, strlen(path) + 1);
	} else {
		/* STACK_RUN can be deep (a test's temp dir): name the socket
		 * through its directory's fd instead. */
		_cleanup_free_ char *dir = fs_dirname(path);
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return st_error(err, errno, "open `%s`", dir);
		int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, base);
		if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
			return st_error(err, ENAMETOOLONG, "socket `%s`", path);
	}
	int r = bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0)
		return st_error(err, errno, "%s `%s`", bind_it ? "bind" : "connect to", path);
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for `events` until the deadline (-1: none). */
static int wait_fd(int fd, short events, int64_t deadline, const char *path, st_error_t *err)
{
	for (;;) {
		int t = deadline < 0 ? -1 : (int)(deadline - mono_ms());
		if (deadline >= 0 && t <= 0)
			return st_error(err, ETIMEDOUT, "the supervisor at `%s` did not answer in time", path);
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, t);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return st_error(err, errno, "poll `%s`", path);
	}
}

int sup_ctl_request(const char *run_dir, json_t *req, int timeout_ms, json_t **reply, st_error_t *err)
{
	_cleanup_free_ char *path = sup_socket_path(run_dir);
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
	*reply = NULL;
	if (!text)
		return st_error(err, EINVAL, "request");
	int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return st_error(err, errno, "socket");
	if (sup_unix_socket_at(path, fd, false, err) < 0)
		return -1;
	size_t n = strlen(text);
	text = xrealloc(text, n + 2);
	text[n++] = '\n';
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, text + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return st_error(err, errno, "send to `%s`", path);
		off += (size_t)w;
	}
	/* One line back; a ps reply of many services can be large. */
	size_t len = 0, cap = 0;
	_cleanup_free_ char *buf = NULL;
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline, path, err) < 0)
			return -1;
		buf = xgrow(buf, &cap, len + 65536 + 1, 1);
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return st_error(err, errno, "read from `%s`", path);
		if (r == 0)
			return st_error(err, EPIPE, "the supervisor at `%s` closed the connection without a reply", path);
		char *nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
		if (nl) {
			json_error_t jerr;
			json_t *o = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
			if (!o || !json_is_object(o)) {
				json_decref(o);
				return st_error(err, EPROTO, "malformed reply from `%s`: %s", path, jerr.text);
			}
			if (!json_is_true(json_object_get(o, "ok"))) {
				const char *m = json_string_value(json_object_get(o, "error"));
				st_error(err, 0, "%s", m ? m : "the supervisor refused the request");
				*reply = o; /* what it says about each service may help */
				return -1;
			}
			*reply = o;
			return 0;
		}
	}
}
