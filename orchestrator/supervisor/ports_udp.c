/* Published UDP ports: a session per client address, each a UDP socket
 * made in the container's network namespace and connected to
 * 127.0.0.1:TARGET there.  Datagrams go on as they came, sent at once
 * with uv_udp_try_send (no queue of ours: one that does not fit the
 * socket's buffer is dropped, as the network would).  The loop is one
 * thread and each datagram is sent before the next is read, so one
 * buffer serves every read. */
#include "supervisor/ports_internal.h"
#include "util/mem.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct sup_udp_session {
	struct sup_listener *l;
	struct sockaddr_storage peer; /* the client */
	uv_udp_t up;                  /* in the container */
	uv_timer_t idle;
	int open;
	bool closing;
	struct sup_udp_session *prev, *next;
};

static char dgram[65536];

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(dgram, sizeof(dgram));
}

static void session_closed(uv_handle_t *h)
{
	struct sup_udp_session *s = h->data;
	if (--s->open > 0)
		return;
	struct sup_ports *p = s->l->ports;
	free(s);
	sup_ports_fds_give(1);
	sup_ports_conn_freed(p);
}

static void session_close(struct sup_udp_session *s)
{
	if (s->closing)
		return;
	s->closing = true;
	struct sup_listener *l = s->l;
	if (s->prev)
		s->prev->next = s->next;
	else
		l->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	l->n_sessions--;
	l->open--;
	uv_close((uv_handle_t *)&s->up, session_closed);
	uv_close((uv_handle_t *)&s->idle, session_closed);
}

static void idle_cb(uv_timer_t *t)
{
	session_close(t->data);
}

static void touch(struct sup_udp_session *s)
{
	uv_timer_start(&s->idle, idle_cb, SUP_PORTS_UDP_IDLE_MS, 0);
}

/* A reply from the app: back to its client, from the published port. */
static void up_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
	(void)addr;
	struct sup_udp_session *s = h->data;
	if (nread < 0 && nread != UV_ECONNREFUSED)
		return session_close(s);
	if (nread <= 0 || (flags & UV_UDP_PARTIAL))
		return; /* nothing, the app's port closed for now (ICMP), or cut */
	uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
	uv_udp_try_send(&s->l->h.udp, &b, 1, (const struct sockaddr *)&s->peer);
	touch(s);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	/* libuv hands b out of a sockaddr_storage too: aligned for either
	 * (the void * step is for clang's -Wcast-align). */
	const void *av = a, *bv = b;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = av, *y = bv;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = av, *y = bv;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static struct sup_udp_session *session_new(struct sup_listener *l, const struct sockaddr *addr)
{
	struct sup_ports *p = l->ports;
	/* Sources are easy to forge: a flood of them must not take the
	 * descriptors the rest of the supervisor needs. */
	if (!p->ct || l->n_sessions >= SUP_PORTS_UDP_SESSIONS || !sup_ports_fds_take(1))
		return NULL;
	st_error_t err = NULL;
	int fd = rt_container_socket(p->ct, AF_INET, SOCK_DGRAM, 0, &err);
	if (fd < 0) {
		st_error_free(&err); /* the container has exited */
		sup_ports_fds_give(1);
		return NULL;
	}
	struct sup_udp_session *s = xzalloc(sizeof(*s));
	s->l = l;
	memcpy(&s->peer, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	uv_udp_init(p->loop, &s->up);
	uv_timer_init(p->loop, &s->idle);
	s->up.data = s->idle.data = s;
	s->open = 2;
	p->conns++;
	l->open++;
	l->n_sessions++;
	s->next = l->sessions;
	if (l->sessions)
		l->sessions->prev = s;
	l->sessions = s;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(l->target),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int r = uv_udp_open(&s->up, fd);
	if (r < 0)
		close(fd);
	if (r == 0)
		r = uv_udp_connect(&s->up, (const struct sockaddr *)&sa);
	if (r == 0)
		r = uv_udp_recv_start(&s->up, alloc_cb, up_recv_cb);
	if (r < 0) {
		session_close(s);
		return NULL;
	}
	l->accepted++;
	return s;
}

/* A datagram from a client: to its session's socket in the container. */
static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
	struct sup_listener *l = h->data;
	if (nread <= 0 || !addr || (flags & UV_UDP_PARTIAL))
		return;
	struct sup_udp_session *s = l->sessions;
	while (s && !same_addr(&s->peer, addr))
		s = s->next;
	if (!s && !(s = session_new(l, addr))) {
		l->refused++;
		return;
	}
	uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
	uv_udp_try_send(&s->up, &b, 1, NULL);
	touch(s);
}

int sup_udp_start(struct sup_listener *l)
{
	return uv_udp_recv_start(&l->h.udp, alloc_cb, recv_cb);
}

void sup_udp_close_all(struct sup_listener *l)
{
	while (l->sessions)
		session_close(l->sessions);
}
