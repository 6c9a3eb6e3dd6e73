/* Published ports' listeners: bound before anything starts, so a port in
 * use is an error while nothing has been done yet; then attached to the
 * container that serves them. */
#include "supervisor/ports_internal.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 511

/* Descriptors held by the connections and sessions of this process. */
static size_t fds_held;

/* The limit is read each time (a cheap syscall next to the setns of a
 * new connection): it is the process's, and may change. */
bool sup_ports_fds_take(size_t n)
{
	struct rlimit rl;
	size_t cap = SIZE_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		cap = rl.rlim_cur > SUP_PORTS_FD_RESERVE ? (size_t)(rl.rlim_cur - SUP_PORTS_FD_RESERVE) : 0;
	if (fds_held + n > cap)
		return false;
	fds_held += n;
	return true;
}

void sup_ports_fds_give(size_t n)
{
	fds_held -= n;
}

/* host_ip as an address to bind: NULL is every address (IPv6's any,
 * taking IPv4 too); "[::1]" and "::1" are both IPv6. */
static int parse_host_ip(const char *ip, uint16_t port, struct sockaddr_storage *ss, st_error_t *err)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (!ip) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons(port);
		return 0;
	}
	char buf[64];
	size_t n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, ip + 1, n - 2);
		buf[n - 2] = '\0';
		ip = buf;
	}
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	return st_error(err, EINVAL, "`%s` is not an IP address; give an IPv4 or IPv6 address of this host", ip);
}

static const char *port_text(char *buf, size_t size, const struct spec_port *sp)
{
	const char *ip = sp->host_ip ? sp->host_ip : "0.0.0.0";
	snprintf(buf, size, "%s%s%s:%u->%u/%s", strchr(ip, ':') && ip[0] != '[' ? "[" : "", ip,
		 strchr(ip, ':') && ip[0] != '[' ? "]" : "", sp->published, sp->target,
		 sp->protocol == SPEC_PROTO_UDP ? "udp" : "tcp");
	return buf;
}

/* A listening socket for sp (a bound one for udp): our own socket(), so
 * bind's errno is the error (uv_tcp_bind would defer EADDRINUSE to
 * listen). */
static int listen_socket(const struct spec_port *sp, st_error_t *err)
{
	struct sockaddr_storage ss;
	if (parse_host_ip(sp->host_ip, sp->published, &ss, err) < 0)
		return -1;
	for (;;) {
		bool udp = sp->protocol == SPEC_PROTO_UDP;
		int fd = socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 && !sp->host_ip && errno == EAFNOSUPPORT) {
			/* No IPv6 here: every IPv4 address instead. */
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			memset(&ss, 0, sizeof(ss));
			in->sin_family = AF_INET;
			in->sin_port = htons(sp->published);
			continue;
		}
		if (fd < 0)
			return st_error(err, errno, "socket");
		int one = 1, zero = 0;
		/* A restart binds again past the last run's TIME_WAIT
		 * connections; it does not share a port someone listens on. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET6 && !sp->host_ip)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		socklen_t len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0 && (udp || listen(fd, LISTEN_BACKLOG) == 0))
			return fd;
		int e = errno;
		close(fd);
		if (e == EADDRINUSE)
			return st_error(err, e, "host port %u is already in use: stop what listens on it, or publish "
						"another port (or 0 for any free one)",
					sp->published);
		if (e == EADDRNOTAVAIL)
			return st_error(err, e, "`%s` is not an address of this host", sp->host_ip);
		if (e == EACCES)
			return st_error(err, e, "binding port %u needs privileges (ports below 1024 are root's)",
					sp->published);
		return st_error(err, e, "bind");
	}
}

static void on_connection(uv_stream_t *s, int status)
{
	struct sup_listener *l = s->data;
	if (status < 0)
		return; /* EMFILE and the like: the next accept may do */
	sup_conn_accept(l);
}

static void listener_closed(uv_handle_t *h)
{
	struct sup_listener *l = h->data;
	struct sup_ports *p = l->ports;
	if (--p->handles == 0 && p->conns == 0) {
		free(p->ls);
		free(p);
	}
}

void sup_ports_conn_freed(struct sup_ports *p)
{
	if (--p->conns == 0 && p->closing && p->handles == 0) {
		free(p->ls);
		free(p);
	}
}

void sup_ports_close(struct sup_ports *p)
{
	if (!p || p->closing)
		return;
	p->closing = true;
	p->ct = NULL;
	sup_conn_close_all(p);
	if (p->handles == 0) {
		if (p->conns == 0) {
			free(p->ls);
			free(p);
		}
		return;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (p->ls[i].udp)
			sup_udp_close_all(&p->ls[i]);
		uv_close(&p->ls[i].h.handle, listener_closed);
	}
}

static void shown_ip(struct sup_listener *l, const struct spec_port *sp)
{
	snprintf(l->host_ip, sizeof(l->host_ip), "%s", sp->host_ip ? sp->host_ip : "0.0.0.0");
}

int sup_ports_bind(uv_loop_t *loop, const struct spec_port *ports, size_t n, struct sup_ports **out,
		   st_error_t *err)
{
	*out = NULL;
	struct sup_ports *p = xzalloc(sizeof(*p));
	p->loop = loop;
	p->ls = xcalloc(n ? n : 1, sizeof(*p->ls));
	for (size_t i = 0; i < n; i++) {
		const struct spec_port *sp = &ports[i];
		struct sup_listener *l = &p->ls[i];
		char what[128];
		port_text(what, sizeof(what), sp);
		int fd = listen_socket(sp, err);
		if (fd < 0) {
			st_error_prefix(err, "publish %s", what);
			goto fail;
		}
		l->udp = sp->protocol == SPEC_PROTO_UDP;
		if (l->udp)
			uv_udp_init(loop, &l->h.udp);
		else
			uv_tcp_init(loop, &l->h.tcp);
		p->handles++;
		p->n = i + 1;
		l->h.handle.data = l;
		l->ports = p;
		l->target = sp->target;
		shown_ip(l, sp);
		int r = l->udp ? uv_udp_open(&l->h.udp, fd) : uv_tcp_open(&l->h.tcp, fd);
		if (r < 0)
			close(fd);
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (r == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			r = -errno;
		if (r == 0)
			l->host_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
								       : ((struct sockaddr_in *)&ss)->sin_port);
		if (r == 0)
			r = l->udp ? sup_udp_start(l) : uv_listen((uv_stream_t *)&l->h.tcp, LISTEN_BACKLOG, on_connection);
		if (r < 0) {
			st_error(err, -r, "publish %s: listen", what);
			goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	/* uv_close() closes the fds now: the ports are free on return. */
	sup_ports_close(p);
	return -1;
}

void sup_ports_attach(struct sup_ports *p, struct rt_container *ct)
{
	if (p->closing || p->ct == ct)
		return;
	/* A UDP session has no end a client would see: one to the old
	 * container would swallow its datagrams until it idled out. */
	for (size_t i = 0; i < p->n; i++)
		if (p->ls[i].udp)
			sup_udp_close_all(&p->ls[i]);
	p->ct = ct;
}

uint16_t sup_ports_host_port(const struct sup_ports *p, uint16_t target, enum spec_proto proto)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ls[i].target == target && p->ls[i].udp == (proto == SPEC_PROTO_UDP))
			return p->ls[i].host_port;
	return 0;
}

json_t *sup_ports_json(const struct sup_ports *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->n; i++) {
		const struct sup_listener *l = &p->ls[i];
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s, s:I, s:I, s:I}", "host_ip", l->host_ip,
						   "host_port", l->host_port, "target", l->target, "protocol", l->udp ? "udp" : "tcp",
						   "connections", (json_int_t)l->open, "accepted",
						   (json_int_t)l->accepted, "refused", (json_int_t)l->refused));
	}
	return a;
}
