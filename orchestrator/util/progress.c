/* The progress renderer (progress.h). */
#include "util/progress.h"
#include "util/escape.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct row {
	char *id, *text;
	struct timespec start;
};

struct st_progress {
	FILE *out;
	enum st_progress_mode mode;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	bool ticking, stop;
	struct row *rows;
	size_t n_rows;
	size_t drawn; /* rows on the screen below the last line */
};

int st_progress_mode_parse(const char *word, int term_fd, enum st_progress_mode *mode)
{
	if (!strcmp(word, "tty")) {
		*mode = ST_PROGRESS_TTY;
	} else if (!strcmp(word, "plain")) {
		*mode = ST_PROGRESS_PLAIN;
	} else if (!strcmp(word, "auto")) {
		const char *term = getenv("TERM");
		bool tty = isatty(term_fd) && term && *term && strcmp(term, "dumb") != 0;
		*mode = tty ? ST_PROGRESS_TTY : ST_PROGRESS_PLAIN;
	} else {
		return -1;
	}
	return 0;
}

static double since(const struct timespec *a)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

/* Under the lock: take the rows off the screen (cursor to where the first
 * was, the rest of the screen cleared). */
static void clear_rows(struct st_progress *p)
{
	if (p->drawn)
		fprintf(p->out, "\r\033[%zuA\033[J", p->drawn);
	p->drawn = 0;
}

static void draw_rows(struct st_progress *p)
{
	for (size_t i = 0; i < p->n_rows; i++)
		fprintf(p->out, "\033[K => %s  %.1fs\n", p->rows[i].text, since(&p->rows[i].start));
	p->drawn = p->n_rows;
	fflush(p->out);
}

static void *tick(void *arg)
{
	struct st_progress *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 100 * 1000 * 1000;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->wake, &p->lock, &t);
		if (p->stop || !p->n_rows)
			continue;
		clear_rows(p);
		draw_rows(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct st_progress *st_progress_new(FILE *out, enum st_progress_mode mode)
{
	struct st_progress *p = xcalloc(1, sizeof(*p));
	p->out = out;
	p->mode = mode;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	/* The elapsed times of running steps move without an event; a
	 * renderer that cannot start its thread still redraws on events. */
	if (mode == ST_PROGRESS_TTY)
		p->ticking = pthread_create(&p->ticker, NULL, tick, p) == 0;
	return p;
}

enum st_progress_mode st_progress_get_mode(const struct st_progress *p)
{
	return p->mode;
}

void st_progress_free(struct st_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	if (p->mode == ST_PROGRESS_TTY)
		clear_rows(p);
	fflush(p->out);
	for (size_t i = 0; i < p->n_rows; i++) {
		free(p->rows[i].id);
		free(p->rows[i].text);
	}
	free(p->rows);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct row *find(struct st_progress *p, const char *id)
{
	for (size_t i = 0; i < p->n_rows; i++)
		if (!strcmp(p->rows[i].id, id))
			return &p->rows[i];
	return NULL;
}

void st_progress_row(struct st_progress *p, const char *id, const char *text)
{
	if (p->mode != ST_PROGRESS_TTY)
		return;
	char *shown = st_escape(text, strlen(text), ST_ESCAPE_KEEP_TAB);
	pthread_mutex_lock(&p->lock);
	struct row *r = find(p, id);
	if (!r) {
		p->rows = xrealloc(p->rows, (p->n_rows + 1) * sizeof(*p->rows));
		r = &p->rows[p->n_rows++];
		r->id = xstrdup(id);
		r->text = NULL;
		clock_gettime(CLOCK_MONOTONIC, &r->start);
	}
	free(r->text);
	r->text = shown;
	clear_rows(p);
	draw_rows(p);
	pthread_mutex_unlock(&p->lock);
}

/* Under the lock: a line above the rows. */
static void put_line(struct st_progress *p, const char *line, size_t len, bool raw)
{
	if (p->mode == ST_PROGRESS_TTY)
		clear_rows(p);
	if (raw && p->mode == ST_PROGRESS_PLAIN) {
		fwrite(line, 1, len, p->out);
	} else {
		_cleanup_free_ char *e = st_escape(line, len, ST_ESCAPE_KEEP_TAB);
		fputs(e, p->out);
	}
	fputc('\n', p->out);
	if (p->mode == ST_PROGRESS_TTY)
		draw_rows(p);
	fflush(p->out);
}

void st_progress_row_end(struct st_progress *p, const char *id, const char *line)
{
	pthread_mutex_lock(&p->lock);
	struct row *r = find(p, id);
	if (r) {
		free(r->id);
		free(r->text);
		size_t i = (size_t)(r - p->rows);
		memmove(r, r + 1, (p->n_rows - i - 1) * sizeof(*r));
		p->n_rows--;
	}
	if (line)
		put_line(p, line, strlen(line), false);
	else if (p->mode == ST_PROGRESS_TTY) {
		clear_rows(p);
		draw_rows(p);
	}
	pthread_mutex_unlock(&p->lock);
}

void st_progress_line(struct st_progress *p, const char *line, size_t len, bool raw)
{
	pthread_mutex_lock(&p->lock);
	put_line(p, line, len, raw);
	pthread_mutex_unlock(&p->lock);
}
