/* tcp and http probes: a connection to 127.0.0.1:PORT from a socket made
 * in the container's network namespace, driven by the loop (uv_tcp over
 * the fd rt_container_socket gives), so the image needs no curl.  A
 * timer cancels the probe at its timeout.
 *
 * http reads no more than the status line and headers, into a fixed
 * buffer: a server that never ends its headers, or sends something that
 * is not HTTP, fails the probe without the supervisor holding more than
 * SUP_HEALTH_HTTP_HEAD_MAX bytes for it. */
#include "supervisor/health_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct net_probe {
	struct sup_probe p; /* first: the ops get a struct sup_probe * */
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t conn;
	uv_write_t wr;
	int open;     /* handles not yet closed */
	bool closing;
	bool http;
	uint16_t port;
	int want;     /* http status wanted; 0: any 2xx or 3xx */
	int64_t timeout_ns;
	char *path;
	char *req;
	size_t n;     /* bytes in head */
	char head[SUP_HEALTH_HTTP_HEAD_MAX];
};

static void net_closed(uv_handle_t *hd)
{
	struct net_probe *np = hd->data;
	if (--np->open > 0)
		return;
	free(np->path);
	free(np->req);
	free(np->p.res.output);
	free(np);
}

static void net_close(struct net_probe *np)
{
	if (np->closing)
		return;
	np->closing = true;
	uv_close((uv_handle_t *)&np->tcp, net_closed);
	uv_close((uv_handle_t *)&np->timer, net_closed);
}

static void net_cancel(struct sup_probe *p)
{
	net_close((struct net_probe *)p);
}

static const struct sup_probe_ops net_ops = {.cancel = net_cancel};

static void net_done(struct net_probe *np, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void net_done(struct net_probe *np, int exit_code, const char *fmt, ...)
{
	if (np->closing)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *s = xvasprintf(fmt, ap);
	va_end(ap);
	/* Close first: reporting may start the next probe, or stop the check. */
	net_close(np);
	sup_probe_report(&np->p, exit_code, "%s", s);
}

static void timeout_cb(uv_timer_t *t)
{
	struct net_probe *np = t->data;
	_cleanup_free_ char *msg = sup_probe_timeout_text(np->timeout_ns);
	net_done(np, -1, "%s", msg);
}

/* Up to the first line break, at most 200 bytes, for messages. */
static int line_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 200 && s[i] != '\r' && s[i] != '\n')
		i++;
	return (int)i;
}

/* "HTTP/1.1 200 OK": the status code, or -1 if this is not a status line. */
static int parse_status(const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/", 5) != 0 || !isdigit((unsigned char)s[5]) || s[6] != '.' ||
	    !isdigit((unsigned char)s[7]) || s[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	if (n > 12 && s[12] != ' ' && s[12] != '\r' && s[12] != '\n')
		return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

/* The end of the header block (a blank line, CRLF or bare LF), or NULL. */
static const char *head_end(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\n')
			continue;
		if (s[i + 1] == '\n')
			return s + i + 2;
		if (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n')
			return s + i + 3;
	}
	return NULL;
}

static void http_check(struct net_probe *np)
{
	int st = parse_status(np->head, np->n);
	int ll = line_len(np->head, np->n);
	if (st < 0 && (np->n >= 12 || memchr(np->head, '\n', np->n)))
		return net_done(np, 1, "GET %s on port %u: not an HTTP response: %.*s", np->path, np->port, ll,
				np->head);
	if (!head_end(np->head, np->n))
		return; /* more to come */
	bool ok = np->want ? st == np->want : st >= 200 && st < 400;
	if (ok)
		return net_done(np, 0, "%.*s", ll, np->head);
	if (np->want)
		return net_done(np, 1, "GET %s on port %u: %.*s, want status %d", np->path, np->port, ll, np->head,
				np->want);
	net_done(np, 1, "GET %s on port %u: %.*s, want a 2xx or 3xx status", np->path, np->port, ll, np->head);
}

static void alloc_cb(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct net_probe *np = hd->data;
	*buf = uv_buf_init(np->head + np->n, (unsigned)(sizeof(np->head) - np->n));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct net_probe *np = s->data;
	if (nread == UV_ENOBUFS)
		return net_done(np, 1, "GET %s on port %u: the status line and headers exceed %zu bytes", np->path,
				np->port, sizeof(np->head));
	if (nread == UV_EOF)
		return net_done(np, 1, "GET %s on port %u: the server closed the connection %s", np->path,
				np->port, np->n ? "in the middle of the headers" : "without a response");
	if (nread < 0)
		return net_done(np, 1, "GET %s on port %u: read: %s", np->path, np->port, uv_strerror((int)nread));
	np->n += (size_t)nread;
	http_check(np);
}

static void write_cb(uv_write_t *w, int status)
{
	struct net_probe *np = w->data;
	if (status < 0 && status != UV_ECANCELED)
		net_done(np, 1, "GET %s on port %u: send the request: %s", np->path, np->port, uv_strerror(status));
}

static void connect_cb(uv_connect_t *c, int status)
{
	struct net_probe *np = c->data;
	if (np->closing)
		return;
	if (status < 0)
		return net_done(np, 1, "connect to 127.0.0.1:%u in the container: %s", np->port, uv_strerror(status));
	if (!np->http)
		return net_done(np, 0, "connected to 127.0.0.1:%u", np->port);
	uv_buf_t b = uv_buf_init(np->req, (unsigned)strlen(np->req));
	np->wr.data = np;
	int r = uv_write(&np->wr, (uv_stream_t *)&np->tcp, &b, 1, write_cb);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&np->tcp, alloc_cb, read_cb);
	if (r < 0)
		net_done(np, 1, "GET %s on port %u: %s", np->path, np->port, uv_strerror(r));
}

/* The request target as sent: bytes a request line cannot carry (space,
 * controls, non-ASCII) percent-encoded, so a path cannot add headers. */
static char *request_target(const char *path)
{
	struct strbuf b = {0};
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (*c <= 0x20 || *c >= 0x7f) {
			char e[4];
			snprintf(e, sizeof(e), "%%%02X", *c);
			strbuf_adds(&b, e);
		} else {
			strbuf_addc(&b, (char)*c);
		}
	}
	return strbuf_take(&b);
}

struct sup_probe *sup_probe_net_start(uv_loop_t *loop, struct sup_health *h, struct rt_container *ct,
				      const struct spec_health *spec, st_error_t *err)
{
	int fd = rt_container_socket(ct, AF_INET, SOCK_STREAM, 0, err);
	if (fd < 0)
		return NULL;
	struct net_probe *np = xzalloc(sizeof(*np));
	sup_probe_init(&np->p, &net_ops, h, loop);
	np->http = spec->kind == SPEC_HEALTH_HTTP;
	np->port = spec->port;
	np->want = spec->status;
	np->timeout_ns = spec->timeout;
	np->path = request_target(spec->path ? spec->path : "/");
	if (np->http)
		np->req = xasprintf("GET %s HTTP/1.1\r\nHost: localhost:%u\r\nUser-Agent: stack-health\r\n"
				    "Accept: */*\r\nConnection: close\r\n\r\n",
				    np->path, np->port);
	uv_tcp_init(loop, &np->tcp);
	uv_timer_init(loop, &np->timer);
	np->open = 2;
	np->tcp.data = np->timer.data = np->conn.data = np;
	int r = uv_tcp_open(&np->tcp, fd);
	if (r < 0) {
		close(fd);
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(np->port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		r = uv_tcp_connect(&np->conn, &np->tcp, (const struct sockaddr *)&sa, connect_cb);
	}
	if (r < 0) {
		st_error(err, -r, "connect to 127.0.0.1:%u in the container", np->port);
		np->p.h = NULL;
		net_close(np);
		return NULL;
	}
	uint64_t ms = (uint64_t)(spec->timeout / 1000000);
	uv_timer_start(&np->timer, timeout_cb, ms ? ms : 1, 0);
	return &np->p;
}
