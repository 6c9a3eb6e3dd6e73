/* Parent <-> child messages over a SOCK_SEQPACKET socketpair. */
#include "runtime/internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rt_sync_send_fds(int sock, int type, int status, const char *text, const int *fds, size_t n_fds)
{
	if (n_fds > RT_SYNC_MAX_FDS) {
		errno = E2BIG;
		return -1;
	}
	struct rt_msg m = {.type = type, .status = status};
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	/* Send only the used part of text: most messages are a few bytes. */
	size_t len = offsetof(struct rt_msg, text) + strlen(m.text) + 1;
	struct iovec iov = {.iov_base = &m, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * RT_SYNC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

int rt_sync_send(int sock, int type, int status, const char *text, int fd)
{
	return rt_sync_send_fds(sock, type, status, text, &fd, fd >= 0 ? 1 : 0);
}

int rt_sync_recv_fds(int sock, struct rt_msg *m, int *fds, size_t max_fds, size_t *n_fds)
{
	memset(m, 0, sizeof(*m));
	size_t got = 0;
	if (n_fds)
		*n_fds = 0;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	union {
		char buf[CMSG_SPACE(sizeof(int) * RT_SYNC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t r;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds && got < max_fds)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (n_fds)
		*n_fds = got;
	m->text[sizeof(m->text) - 1] = '\0';
	if ((size_t)r < offsetof(struct rt_msg, text) || (mh.msg_flags & MSG_CTRUNC)) {
		/* A truncated fd list would be acted on as if complete. */
		for (size_t i = 0; i < got; i++)
			close(fds[i]);
		if (n_fds)
			*n_fds = 0;
		errno = EPROTO;
		return -1;
	}
	return 1;
}

int rt_sync_recv(int sock, struct rt_msg *m, int *fd_out)
{
	int fd = -1;
	size_t n = 0;
	int r = rt_sync_recv_fds(sock, m, &fd, fd_out ? 1 : 0, &n);
	if (fd_out)
		*fd_out = n ? fd : -1;
	return r;
}

void rt_child_fail(int sock, st_error_t *err, int code)
{
	if (err && *err)
		rt_sync_send(sock, RT_MSG_ERROR, (*err)->status, (*err)->msg, -1);
	else
		rt_sync_send(sock, RT_MSG_ERROR, 0, "container setup failed", -1);
	_exit(code);
}
