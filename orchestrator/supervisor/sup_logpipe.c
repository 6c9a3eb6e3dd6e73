/* A container's stdout or stderr pipe, read on the loop into the
 * service's log file, one JSON line per line of output.
 *
 * Memory is fixed per pipe (a 64 KiB read buffer, a 16 KiB partial line):
 * a line longer than that is written in 16 KiB pieces, as Docker splits
 * them.  Each read is written out before the next is asked for, so a
 * flooding service is held back by its own full pipe (the backpressure
 * Docker's default, blocking, log mode applies), never by memory we grow;
 * libuv reads a bounded number of times per wakeup, so other services and
 * the control socket are served between its reads. */
#include "supervisor/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void emit(struct sup_logpipe *lp, const char *line, size_t len)
{
	sup_logfile_write(&lp->svc->log, lp->stream, line, len);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct sup_logpipe *lp = h->data;
	*buf = uv_buf_init(lp->buf, sizeof(lp->buf));
}

static void flush_partial(struct sup_logpipe *lp)
{
	if (lp->plen)
		emit(lp, lp->partial, lp->plen);
	lp->plen = 0;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct sup_logpipe *lp = st->data;
	if (n < 0) {
		flush_partial(lp);
		sup_logpipe_close(lp);
		return;
	}
	const char *p = buf->base, *end = buf->base + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t take = (size_t)((nl ? nl : end) - p);
		size_t room = sizeof(lp->partial) - lp->plen;
		if (take > room)
			take = room;
		if (lp->plen == 0 && nl && take == (size_t)(nl - p)) {
			emit(lp, p, take); /* a whole line: no copy */
		} else {
			memcpy(lp->partial + lp->plen, p, take);
			lp->plen += take;
			if ((nl && p + take == nl) || lp->plen == sizeof(lp->partial))
				flush_partial(lp);
		}
		p += take;
		if (nl && p == nl)
			p++;
	}
}

struct sup_logpipe *sup_logpipe_open(struct sup_service *s, int fd, const char *stream, st_error_t *err)
{
	if (fd < 0) {
		st_error(err, EBADF, "%s of `%s`: no pipe", stream, s->id);
		return NULL;
	}
	struct sup_logpipe *lp = xzalloc(sizeof(*lp));
	lp->svc = s;
	lp->stream = stream;
	uv_pipe_init(&s->sup->loop, &lp->pipe, 0);
	lp->pipe.data = lp;
	int r = uv_pipe_open(&lp->pipe, fd);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&lp->pipe, on_alloc, on_read);
	if (r < 0) {
		st_error(err, -r, "read %s of `%s`", stream, s->id);
		close(fd);
		uv_close((uv_handle_t *)&lp->pipe, on_closed);
		return NULL;
	}
	lp->next = s->pipes;
	s->pipes = lp;
	return lp;
}

void sup_logpipe_close(struct sup_logpipe *lp)
{
	struct sup_service *s = lp->svc;
	for (struct sup_logpipe **pp = &s->pipes; *pp; pp = &(*pp)->next) {
		if (*pp == lp) {
			*pp = lp->next;
			break;
		}
	}
	uv_read_stop((uv_stream_t *)&lp->pipe);
	uv_close((uv_handle_t *)&lp->pipe, on_closed);
}
