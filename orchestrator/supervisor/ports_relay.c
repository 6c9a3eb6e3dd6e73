/* One published connection: the client's socket on the host and one made
 * in the container's network namespace, relayed both ways by the loop.
 *
 * Every read lands in one buffer of the loop's (read_buf) and is written
 * to the peer at once with uv_try_write: a request or reply that the
 * peer's socket takes whole (the common case) costs no allocation.  Only
 * what the peer's socket does not take is copied into a buffer of its
 * exact size and queued (struct pending), behind which every later read
 * queues too, so bytes stay in order.  A side with more than HELD_HIGH
 * of those buffers queued toward its peer stops being read until they are
 * back under HELD_LOW.  Counted in buffers, each at most SUP_PORTS_CHUNK:
 * that bounds the bytes, and a peer trickling small segments cannot make
 * us hold a buffer and a write request per byte without bound.  EOF from
 * one side becomes a shutdown of the other once what it queued is
 * written; the connection ends when both directions have, or at the first
 * error, which resets the other side (so a client sees the app's reset,
 * not an EOF). */
#include "supervisor/ports_internal.h"
#include "util/mem.h"

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct side {
	struct sup_conn *c;
	uv_tcp_t tcp;
	uv_shutdown_t sreq;
	bool init;     /* tcp initialised (it is closed with the connection) */
	bool eof;      /* read EOF: nothing more from this side */
	bool shut;     /* shutdown of this side asked */
	bool shut_done;
	bool paused;   /* not read: the peer's queue, or every one, is full */
	bool starved;  /* paused for the budget of all connections (on starved) */
	size_t held;   /* buffers read from this side, queued, not yet written */
	struct side *sprev, *snext; /* on starved */
};

#define HELD_HIGH (SUP_PORTS_QUEUE_HIGH / SUP_PORTS_CHUNK)
#define HELD_LOW (SUP_PORTS_QUEUE_LOW / SUP_PORTS_CHUNK)

struct sup_conn {
	struct sup_listener *l;
	struct side client, app;
	uv_connect_t creq;
	int open;      /* handles not yet closed */
	bool closing;
	bool fds;      /* its two descriptors are counted (sup_ports_fds_take) */
	struct sup_conn *prev, *next;
};

/* What the peer's socket did not take at once, queued for it. */
struct pending {
	uv_write_t req;
	struct side *from;
	size_t size; /* counted in queued */
	char data[];
};

/* Bytes of every connection's queues (struct pending and its data),
 * against SUP_PORTS_QUEUE_TOTAL: each connection's own bound times the
 * connections a client may open (as many as the descriptors allow) would
 * be gigabytes.  Over it, a side that queues is paused and put on
 * starved until the queues are back under half of it; while over, reads
 * are small (STARVED_READ), so the sides still reading (their peers took
 * everything so far) overshoot by little. */
static size_t queued;
static struct side *starved;
#define QUEUED_LOW (SUP_PORTS_QUEUE_TOTAL / 2)
#define STARVED_READ 4096

/* Every read of every connection: the loop is one thread, and read_cb
 * is done with the bytes (written or copied) before the next read. */
static char read_buf[SUP_PORTS_CHUNK];

static struct side *peer(struct side *s)
{
	return s == &s->c->client ? &s->c->app : &s->c->client;
}

static void conn_closed(uv_handle_t *h)
{
	struct side *s = h->data;
	struct sup_conn *c = s->c;
	if (--c->open > 0)
		return;
	struct sup_ports *p = c->l->ports;
	if (c->fds)
		sup_ports_fds_give(2);
	free(c);
	sup_ports_conn_freed(p);
}

static void unlink_conn(struct sup_conn *c)
{
	struct sup_ports *p = c->l->ports;
	if (c->prev)
		c->prev->next = c->next;
	else
		p->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->l->open--;
}

static void close_side(struct side *s, bool reset)
{
	if (!s->init)
		return;
	/* A reset (RST) tells the client the app went away; a side we
	 * already shut down can only be closed. */
	if (!reset || s->shut || uv_tcp_close_reset(&s->tcp, conn_closed) < 0)
		uv_close((uv_handle_t *)&s->tcp, conn_closed);
}

static void starve(struct side *s)
{
	s->starved = true;
	s->sprev = NULL;
	s->snext = starved;
	if (starved)
		starved->sprev = s;
	starved = s;
}

static void unstarve(struct side *s)
{
	if (!s->starved)
		return;
	s->starved = false;
	if (s->sprev)
		s->sprev->snext = s->snext;
	else
		starved = s->snext;
	if (s->snext)
		s->snext->sprev = s->sprev;
	s->sprev = s->snext = NULL;
}

/* End the connection: at an error with a reset, else closed. */
static void conn_close(struct sup_conn *c, bool reset)
{
	if (c->closing)
		return;
	c->closing = true;
	unlink_conn(c);
	unstarve(&c->client);
	unstarve(&c->app);
	close_side(&c->client, reset);
	close_side(&c->app, reset);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(read_buf, queued > SUP_PORTS_QUEUE_TOTAL ? STARVED_READ : sizeof(read_buf));
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void resume(struct side *s)
{
	if (s->paused && !s->eof && !s->c->closing) {
		s->paused = false;
		uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
	}
}

static void write_cb(uv_write_t *w, int status)
{
	struct pending *k = w->data;
	struct side *from = k->from;
	queued -= k->size;
	free(k);
	from->held--;
	/* The budget's sides first: one of them may be this connection's,
	 * whatever becomes of it below. */
	while (starved && queued <= QUEUED_LOW) {
		struct side *s = starved;
		unstarve(s);
		if (s->held <= HELD_LOW)
			resume(s);
	}
	if (status == UV_ECANCELED)
		return;
	if (status < 0)
		return conn_close(from->c, true);
	if (from->held <= HELD_LOW && !from->starved)
		resume(from);
}

static void shutdown_cb(uv_shutdown_t *r, int status)
{
	struct side *s = r->data;
	struct sup_conn *c = s->c;
	if (status == UV_ECANCELED)
		return;
	s->shut_done = true;
	if (status < 0)
		return conn_close(c, true);
	if (c->client.shut_done && c->app.shut_done)
		conn_close(c, false);
}

/* Write n bytes read from s to its peer: at once what its socket takes,
 * the rest queued.  0, or a libuv error. */
static int relay(struct side *s, const char *data, size_t n)
{
	struct side *o = peer(s);
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
	/* UV_EAGAIN also when writes are queued already: then this one
	 * must queue behind them. */
	int w = uv_try_write((uv_stream_t *)&o->tcp, &b, 1);
	if (w < 0 && w != UV_EAGAIN)
		return w;
	size_t done = w > 0 ? (size_t)w : 0;
	if (done == n)
		return 0;
	struct pending *k = xmalloc(sizeof(*k) + (n - done));
	memcpy(k->data, data + done, n - done);
	k->from = s;
	k->size = sizeof(*k) + (n - done);
	k->req.data = k;
	b = uv_buf_init(k->data, (unsigned)(n - done));
	int r = uv_write(&k->req, (uv_stream_t *)&o->tcp, &b, 1, write_cb);
	if (r < 0) {
		free(k);
		return r;
	}
	queued += k->size;
	bool over = queued > SUP_PORTS_QUEUE_TOTAL;
	if (++s->held > HELD_HIGH || over) {
		s->paused = true;
		uv_read_stop((uv_stream_t *)&s->tcp);
		if (over && !s->starved)
			starve(s);
	}
	return 0;
}

/* A reset that libuv passed on as UV_EOF: it does when the reset comes
 * with data still unread and its last read of them was short (POLLHUP
 * then ends the stream without a read that would fail), as for a client
 * that resets while we do not read it (paused).  The reset is still the
 * socket's pending error. */
static bool was_reset(uv_stream_t *st)
{
	uv_os_fd_t fd;
	int err = 0;
	socklen_t len = sizeof(err);
	return uv_fileno((uv_handle_t *)st, &fd) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	       err != 0;
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct side *s = st->data;
	struct sup_conn *c = s->c;
	if (nread <= 0 || c->closing) {
		if (nread == 0 || c->closing)
			return;
		if (nread != UV_EOF || was_reset(st))
			return conn_close(c, true);
		/* Half-close: the peer gets our EOF after what is queued. */
		s->eof = true;
		uv_read_stop(st);
		struct side *o = peer(s);
		o->shut = true;
		o->sreq.data = o;
		if (uv_shutdown(&o->sreq, (uv_stream_t *)&o->tcp, shutdown_cb) < 0)
			conn_close(c, true);
		return;
	}
	if (relay(s, buf->base, (size_t)nread) < 0)
		conn_close(c, true);
}

static void connect_cb(uv_connect_t *r, int status)
{
	struct sup_conn *c = r->data;
	if (c->closing)
		return;
	if (status < 0) {
		/* Nothing listens on the target (yet): the client sees a
		 * refused connection as a reset. */
		c->l->refused++;
		return conn_close(c, true);
	}
	uv_read_start((uv_stream_t *)&c->client.tcp, alloc_cb, read_cb);
	uv_read_start((uv_stream_t *)&c->app.tcp, alloc_cb, read_cb);
}

static void side_init(struct sup_conn *c, struct side *s, uv_loop_t *loop)
{
	s->c = c;
	uv_tcp_init(loop, &s->tcp);
	s->tcp.data = s;
	s->init = true;
	c->open++;
}

void sup_conn_accept(struct sup_listener *l)
{
	struct sup_ports *p = l->ports;
	struct sup_conn *c = xzalloc(sizeof(*c));
	c->l = l;
	p->conns++;
	l->open++;
	c->next = p->first;
	if (p->first)
		p->first->prev = c;
	p->first = c;
	side_init(c, &c->client, p->loop);
	if (uv_accept((uv_stream_t *)&l->h.tcp, (uv_stream_t *)&c->client.tcp) < 0)
		return conn_close(c, false);
	l->accepted++;
	/* Over the cap, a client is reset, not relayed: clients that open
	 * connections and hold them must not take the descriptors the
	 * supervisor needs to start, log and probe containers. */
	if (!p->ct || !(c->fds = sup_ports_fds_take(2))) {
		l->refused++;
		return conn_close(c, true);
	}
	st_error_t err = NULL;
	int fd = rt_container_socket(p->ct, AF_INET, SOCK_STREAM, 0, &err);
	if (fd < 0) {
		st_error_free(&err); /* the container has exited: refused, as a stopped one */
		l->refused++;
		return conn_close(c, true);
	}
	side_init(c, &c->app, p->loop);
	int r = uv_tcp_open(&c->app.tcp, fd);
	if (r < 0)
		close(fd);
	/* Bytes go on as they come: a small reply is not held back for
	 * Nagle's timer on either hop. */
	uv_tcp_nodelay(&c->client.tcp, 1);
	if (r == 0)
		uv_tcp_nodelay(&c->app.tcp, 1);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(l->target),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	c->creq.data = c;
	if (r == 0)
		r = uv_tcp_connect(&c->creq, &c->app.tcp, (const struct sockaddr *)&sa, connect_cb);
	if (r < 0) {
		l->refused++;
		conn_close(c, true);
	}
}

void sup_conn_close_all(struct sup_ports *p)
{
	while (p->first)
		conn_close(p->first, true);
}
