/* Parent <-> child messages over a SOCK_SEQPACKET socketpair. */
#include "runtime/internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rt_sync_send(int sock, int type, int status, const char *text, int fd)
{
	struct rt_msg m = {.type = type, .status = status};
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	/* Send only the used part of text: most messages are a few bytes. */
	size_t len = offsetof(struct rt_msg, text) + strlen(m.text) + 1;
	struct iovec iov = {.iov_base = &m, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

int rt_sync_recv(int sock, struct rt_msg *m, int *fd_out)
{
	memset(m, 0, sizeof(*m));
	if (fd_out)
		*fd_out = -1;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
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
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			if (fd_out && *fd_out < 0)
				*fd_out = fd;
			else
				close(fd);
		}
	}
	m->text[sizeof(m->text) - 1] = '\0';
	if ((size_t)r < offsetof(struct rt_msg, text)) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

void rt_child_fail(int sock, st_error_t *err, int code)
{
	if (err && *err)
		rt_sync_send(sock, RT_MSG_ERROR, (*err)->status, (*err)->msg, -1);
	else
		rt_sync_send(sock, RT_MSG_ERROR, 0, "container setup failed", -1);
	_exit(code);
}
