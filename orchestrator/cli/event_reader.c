#include "cli/event_reader.h"
#include "cli/record_open.h"
#include "supervisor/logfile.h"
#include "util/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_event_reader_init(struct cli_event_reader *r, const char *path, cli_event_fn fn, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	r->fd = -1;
	r->fn = fn;
	r->ctx = ctx;
}

static void skip_line(struct cli_event_reader *r, const char *file, const char *why)
{
	r->skipped++;
	fprintf(stderr, "stack events: warning: %s:%zu: skipped: %s\n", file, r->lineno, why);
}

static size_t line(struct cli_event_reader *r, const char *file, const char *s, size_t n)
{
	r->lineno++;
	if (n == 0)
		return 0;
	struct sup_event_rec rec;
	st_error_t err = NULL;
	if (sup_event_parse(s, n, &rec, &err) < 0) {
		skip_line(r, file, err ? err->msg : "not an event record");
		st_error_free(&err);
		return 0;
	}
	r->fn(&rec, r->ctx);
	sup_event_rec_free(&rec);
	return 1;
}

/* Read fd to its end, a record per complete line; records in *n. */
static bool drain(struct cli_event_reader *r, int fd, const char *file, size_t *n)
{
	char buf[16384];
	bool any = false;
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return any;
		any = true;
		if (fd == r->fd)
			r->off += got;
		const char *p = buf, *end = buf + got;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t take = (size_t)((nl ? nl : end) - p);
			if (r->skipping) {
				/* the rest of an over-long line */
			} else if (r->partial.n + take > CLI_EVENT_LINE_MAX) {
				r->skipping = true;
				strbuf_reset(&r->partial);
			} else {
				strbuf_add(&r->partial, p, take);
			}
			if (!nl)
				break;
			if (r->skipping) {
				r->lineno++;
				skip_line(r, file, "line longer than 64 KiB");
				r->skipping = false;
			} else {
				*n += line(r, file, r->partial.s ? r->partial.s : "", r->partial.n);
			}
			strbuf_reset(&r->partial);
			p = nl + 1;
		}
	}
}

static void end_of_file(struct cli_event_reader *r, const char *file)
{
	if (r->partial.n || r->skipping) {
		r->lineno++;
		skip_line(r, file, "incomplete last line (no newline: cut short?)");
	}
	strbuf_reset(&r->partial);
	r->skipping = false;
}

/* The fd of path, or -1 (none there; a FIFO, symlink... refused: said). */
static int open_record(struct cli_event_reader *r, const char *path)
{
	int fd = cli_record_open(path, "stack events", &r->refused_ino);
	if (fd == -2)
		r->refused = true;
	return fd < 0 ? -1 : fd;
}

static void open_current(struct cli_event_reader *r)
{
	r->fd = open_record(r, r->path);
	struct stat st;
	r->ino = r->fd >= 0 && fstat(r->fd, &st) == 0 ? st.st_ino : 0;
	r->off = 0;
	r->lineno = 0;
}

size_t cli_event_reader_history(struct cli_event_reader *r)
{
	size_t n = 0;
	_cleanup_free_ char *old = sup_logfile_rotated_name(r->path, 1);
	_cleanup_close_ int fd = open_record(r, old);
	if (fd >= 0) {
		r->lineno = 0;
		drain(r, fd, old, &n);
		end_of_file(r, old);
	}
	open_current(r);
	if (r->fd >= 0)
		drain(r, r->fd, r->path, &n);
	return n;
}

bool cli_event_reader_poll(struct cli_event_reader *r)
{
	size_t n = 0;
	bool any = false;
	struct stat st;
	/* lstat: a symlink put in its place is not the file (its target's
	 * inode would pass for a rotation); refused once, then left alone */
	if (lstat(r->path, &st) < 0 || (r->refused_ino && st.st_ino == r->refused_ino))
		return false; /* not there (yet): nothing recorded */
	if (r->fd >= 0 && st.st_ino != r->ino) {
		/* rotated: the rest of the old one, then the new one from its start */
		any |= drain(r, r->fd, r->path, &n);
		end_of_file(r, r->path);
		close(r->fd);
		r->fd = -1;
	}
	if (r->fd < 0) {
		open_current(r);
		if (r->fd < 0)
			return any;
	} else if (st.st_size < r->off) {
		/* truncated under us: what is there now is new */
		lseek(r->fd, 0, SEEK_SET);
		r->off = 0;
		r->lineno = 0;
		strbuf_reset(&r->partial);
	}
	any |= drain(r, r->fd, r->path, &n);
	return any;
}

void cli_event_reader_free(struct cli_event_reader *r)
{
	end_of_file(r, r->path);
	if (r->fd >= 0)
		close(r->fd);
	free(r->partial.s);
	free(r->path);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}
