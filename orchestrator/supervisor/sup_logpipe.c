/* A container's stdout or stderr pipe, read on the loop into the
 * service's log file, one JSON line per line of output.
 *
 * Memory is fixed: one 64 KiB read buffer for every pipe (read_buf), and
 * per pipe a 16 KiB partial line, resident only once used: a line longer
 * than that is written in 16 KiB pieces, as Docker splits them.  (Both
 * per pipe, zeroed, made the supervisor of 100 services 16 MiB bigger.)
 * Each read is written out before the next is asked for, so a
 * flooding service is held back by its own full pipe (the backpressure
 * Docker's default, blocking, log mode applies), never by memory we grow.
 * One read per turn of the loop: after a read the pipe waits for the
 * next turn (an idle handle), so a flood gets 64 KiB between any two
 * control requests, probes or other services' reads, not libuv's 32
 * reads in a row.  A read's lines share one timestamp (the time they
 * were read) and one write to the file. */
#include "supervisor/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* The pipe and the idle handle: freed once both are closed. */
static void on_closed(uv_handle_t *h)
{
	struct sup_logpipe *lp = h->data;
	if (--lp->open_handles == 0)
		free(lp);
}

static void emit(struct sup_logpipe *lp, const char *line, size_t len)
{
	sup_logfile_write(&lp->svc->log, lp->ts, lp->stream, line, len);
}

/* Every pipe's reads: the loop is one thread, and on_read is done with
 * a read's bytes (written out, or copied into the partial line) before
 * any other read. */
static char read_buf[65536];

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(read_buf, sizeof(read_buf));
}

static void flush_partial(struct sup_logpipe *lp)
{
	if (lp->plen)
		emit(lp, lp->partial, lp->plen);
	lp->plen = 0;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

static void on_idle(uv_idle_t *h)
{
	struct sup_logpipe *lp = h->data;
	uv_idle_stop(h);
	int r = uv_read_start((uv_stream_t *)&lp->pipe, on_alloc, on_read);
	if (r < 0) {
		fprintf(stderr, "stack: %s of `%s`: read: %s\n", lp->stream, lp->svc->id, uv_strerror(r));
		sup_logpipe_close(lp);
	}
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct sup_logpipe *lp = st->data;
	sup_log_timestamp(lp->ts);
	if (n < 0) {
		flush_partial(lp);
		sup_logfile_flush(&lp->svc->log);
		sup_logpipe_close(lp);
		return;
	}
	if (n > 0) {
		uv_read_stop(st);
		uv_idle_start(&lp->idle, on_idle);
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
	sup_logfile_flush(&lp->svc->log);
}

struct sup_logpipe *sup_logpipe_open(struct sup_service *s, int fd, const char *stream, st_error_t *err)
{
	if (fd < 0) {
		st_error(err, EBADF, "%s of `%s`: no pipe", stream, s->id);
		return NULL;
	}
	struct sup_logpipe *lp = xmalloc(sizeof(*lp));
	memset(lp, 0, offsetof(struct sup_logpipe, partial));
	lp->svc = s;
	lp->stream = stream;
	uv_pipe_init(&s->sup->loop, &lp->pipe, 0);
	uv_idle_init(&s->sup->loop, &lp->idle);
	lp->pipe.data = lp;
	lp->idle.data = lp;
	lp->open_handles = 2;
	int r = uv_pipe_open(&lp->pipe, fd);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&lp->pipe, on_alloc, on_read);
	if (r < 0) {
		st_error(err, -r, "read %s of `%s`", stream, s->id);
		close(fd);
		uv_close((uv_handle_t *)&lp->pipe, on_closed);
		uv_close((uv_handle_t *)&lp->idle, on_closed);
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
	uv_close((uv_handle_t *)&lp->idle, on_closed);
}
