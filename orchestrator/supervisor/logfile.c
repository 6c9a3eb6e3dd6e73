#include "supervisor/logfile.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *sup_logfile_rotated_name(const char *path, int n)
{
	return n == 0 ? xstrdup(path) : xasprintf("%s.%d", path, n);
}

void sup_log_timestamp(char buf[40])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}

int sup_logfile_open(struct sup_logfile *lf, const char *path, uint64_t max_size, int max_file, st_error_t *err)
{
	memset(lf, 0, sizeof(*lf));
	/* STACK_ROOT is writable by others than us (a planted FIFO would
	 * block the loop in open or write, a symlink carry our writes
	 * elsewhere): a regular file or nothing */
	lf->fd = fs_open_regular(path, O_WRONLY | O_CREAT | O_APPEND, 0640, err);
	if (lf->fd < 0)
		return st_error_prefix(err, "log file");
	struct stat st;
	if (fstat(lf->fd, &st) == 0)
		lf->size = (uint64_t)st.st_size;
	lf->path = xstrdup(path);
	lf->buf = xmalloc(SUP_LOG_BUF);
	lf->max_size = max_size;
	lf->max_file = max_file < 1 ? 1 : max_file;
	return 0;
}

/* Shift PATH.(k) to PATH.(k+1), dropping the oldest, and start PATH
 * empty.  PATH never goes missing on the way (a reader that opens it
 * finds the old or the new file): the old one gets its second name by a
 * link, the new one replaces it by a rename.  With max_file 1 the file is
 * only truncated, as Docker does. */
static void logfile_rotate(struct sup_logfile *lf)
{
	sup_logfile_flush(lf); /* the buffered lines belong to the old file */
	if (lf->max_file == 1) {
		if (ftruncate(lf->fd, 0) == 0) {
			lf->size = 0;
			lf->mid_line = false;
		}
		return;
	}
	for (int k = lf->max_file - 1; k >= 2; k--) {
		_cleanup_free_ char *from = sup_logfile_rotated_name(lf->path, k - 1);
		_cleanup_free_ char *to = sup_logfile_rotated_name(lf->path, k);
		if (rename(from, to) < 0 && errno != ENOENT)
			return; /* keep writing the old one rather than lose lines */
	}
	_cleanup_free_ char *first = sup_logfile_rotated_name(lf->path, 1);
	_cleanup_free_ char *tmp = xasprintf("%s.new", lf->path);
	unlink(first);
	unlink(tmp);
	if (link(lf->path, first) < 0)
		return;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return;
	if (rename(tmp, lf->path) < 0) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(lf->fd);
	lf->fd = fd;
	lf->size = 0;
	lf->mid_line = false; /* a cut last record stays the old file's */
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || n > left || (n == 2 && p[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	uint32_t cp = n == 1 ? p[0] : n == 2 ? p[0] & 0x1fu : n == 3 ? p[0] & 0x0fu : p[0] & 0x07u;
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3fu);
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A program's output is bytes; JSON strings are UTF-8: every byte that is
 * not part of a valid sequence becomes U+FFFD, as docker's logs show it. */
static json_t *json_line(const char *line, size_t len)
{
	json_t *s = json_stringn(line, len);
	if (s)
		return s;
	char *buf = xmalloc(len * 3 + 1), *q = buf;
	const unsigned char *p = (const unsigned char *)line;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (n) {
			memcpy(q, p + i, n);
			q += n;
			i += n;
		} else {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			i++;
		}
	}
	s = json_stringn(buf, (size_t)(q - buf));
	free(buf);
	return s;
}

/* Write n bytes at p, as far as they go (a full disk: a short write). */
static size_t write_all(int fd, const char *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	return off;
}

void sup_logfile_flush(struct sup_logfile *lf)
{
	if (lf->len == 0)
		return;
	/* A short write left the file in the middle of a record: end that
	 * line first, or the next record would be glued to its head and
	 * both lost to a reader. */
	if (lf->mid_line) {
		if (write_all(lf->fd, "\n", 1) == 1) {
			lf->mid_line = false;
			lf->size++;
		}
	}
	size_t off = lf->mid_line ? 0 : write_all(lf->fd, lf->buf, lf->len);
	if (off < lf->len) {
		/* The lines not (wholly) written are lost: count them, and the
		 * file's size is what reached it. */
		size_t lost = 0;
		for (size_t i = off; i < lf->len; i++)
			lost += lf->buf[i] == '\n';
		lf->dropped += lost;
		lf->size -= lf->len - off;
		if (off > 0 && lf->buf[off - 1] != '\n')
			lf->mid_line = true;
	}
	lf->len = 0;
}

/* {"time":TS,"stream":S,"line":LINE}\n at buf, at most room bytes;
 * returns its length (> room: it did not fit), 0 on error. */
static size_t encode(char *buf, size_t room, const char *ts, const char *stream, json_t *line)
{
	int head = snprintf(buf, room, "{\"time\":\"%s\",\"stream\":\"%s\",\"line\":", ts, stream);
	if (head < 0)
		return 0;
	size_t n = (size_t)head;
	size_t body = json_dumpb(line, n < room ? buf + n : NULL, n < room ? room - n : 0, JSON_ENCODE_ANY);
	if (body == 0)
		return 0;
	n += body;
	if (n + 2 <= room) {
		buf[n] = '}';
		buf[n + 1] = '\n';
	}
	return n + 2;
}

void sup_logfile_write(struct sup_logfile *lf, const char *ts, const char *stream, const char *line, size_t len)
{
	if (lf->fd < 0)
		return;
	json_t *s = json_line(line, len);
	/* ts and stream are ours (digits, `stdout`): no escaping needed. */
	size_t n = s ? encode(lf->buf + lf->len, SUP_LOG_BUF - lf->len, ts, stream, s) : 0;
	if (n > SUP_LOG_BUF - lf->len) {
		sup_logfile_flush(lf);
		n = encode(lf->buf, SUP_LOG_BUF, ts, stream, s);
	}
	json_decref(s);
	if (n == 0 || n > SUP_LOG_BUF - lf->len) {
		lf->dropped++;
		return;
	}
	if (lf->size && lf->size + n > lf->max_size) {
		/* The record, encoded past len, is not flushed into the old
		 * file; the flush leaves the buffer empty. */
		size_t at = lf->len;
		logfile_rotate(lf);
		memmove(lf->buf, lf->buf + at, n);
	}
	lf->len += n;
	lf->size += n;
}

void sup_logfile_write_record(struct sup_logfile *lf, const char *text, size_t n)
{
	if (lf->fd < 0)
		return;
	if (n > SUP_LOG_BUF - lf->len)
		sup_logfile_flush(lf);
	if (n > SUP_LOG_BUF) {
		lf->dropped++;
		return;
	}
	if (lf->size && lf->size + n > lf->max_size)
		logfile_rotate(lf);
	memcpy(lf->buf + lf->len, text, n);
	lf->len += n;
	lf->size += n;
	sup_logfile_flush(lf);
}

void sup_logfile_close(struct sup_logfile *lf)
{
	if (lf->fd >= 0) {
		sup_logfile_flush(lf);
		close(lf->fd);
	}
	lf->fd = -1;
	free(lf->buf);
	lf->buf = NULL;
	free(lf->path);
	lf->path = NULL;
}
