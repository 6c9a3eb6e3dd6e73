/* kaserver PORT: the tiny static HTTP server of bench/all.sh's throughput
 * section.  busybox httpd closes the connection after every response, so
 * wrk would time TCP handshakes; this one keeps connections alive (HTTP/1.1)
 * and answers every request with the same 6-byte page, from one epoll
 * loop.  Built with `cc -O2 -static` and copied into the benchmark's
 * busybox rootfs, so every tool runs the same binary. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\nhello\n";

/* Answer each complete request head in the bytes read; keep the rest. */
static int serve(int fd)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
	buf[n] = '\0';
	for (char *p = buf; (p = strstr(p, "\r\n\r\n")) != NULL; p += 4)
		if (write(fd, reply, sizeof(reply) - 1) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: kaserver PORT\n");
		return 2;
	}
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1024) < 0) {
		perror("kaserver: socket/bind/listen");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[64];
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
			} else if (serve(fd) < 0) {
				close(fd);
			}
		}
	}
}
