#include "cli/log_reader.h"
#include "supervisor/files.h"
#include "supervisor/logfile.h"
#include "util/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* compose's colours for service prefixes, in order */
static const char *const colors[] = {"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"};
#define MAX_ROTATED 101

struct cli_log_src {
	char *service;
	char *path;       /* the current file */
	int color;
	FILE *f;          /* the file being read */
	int file_no;      /* its rotation number (0: the current file) */
	ino_t ino;
	off_t limit;      /* a dump reads the current file up to its size then; -1: no end */
	/* the next record, read ahead for the merge */
	char *line;
	size_t cap;
	bool have;
	char time[40];
	json_t *rec;
};

void cli_log_view_init(struct cli_log_view *v, const char *log_dir, const struct strv *services)
{
	memset(v, 0, sizeof(*v));
	v->out = stdout;
	v->prefix = true;
	v->src = xcalloc(services->n + 1, sizeof(*v->src));
	for (size_t i = 0; i < services->n; i++) {
		struct cli_log_src *s = &v->src[v->n++];
		s->service = xstrdup(services->v[i]);
		s->path = sup_log_path(log_dir, services->v[i]);
		s->color = (int)(i % ARRAY_SIZE(colors));
		s->file_no = -1;
		s->limit = -1;
		size_t w = strlen(services->v[i]);
		if (w > v->width)
			v->width = w;
	}
}

static void src_close(struct cli_log_src *s)
{
	if (s->f)
		fclose(s->f);
	s->f = NULL;
}

/* Open rotation number n (0: the current file); false if it is missing. */
static bool src_open(struct cli_log_src *s, int n)
{
	src_close(s);
	_cleanup_free_ char *p = sup_logfile_rotated_name(s->path, n);
	s->f = fopen(p, "re");
	s->file_no = n;
	if (!s->f)
		return false;
	struct stat st;
	s->ino = fstat(fileno(s->f), &st) == 0 ? st.st_ino : 0;
	return true;
}

/* The oldest rotated file there is, or 0. */
static int oldest(struct cli_log_src *s)
{
	for (int n = MAX_ROTATED - 1; n > 0; n--) {
		_cleanup_free_ char *p = sup_logfile_rotated_name(s->path, n);
		if (access(p, F_OK) == 0)
			return n;
	}
	return 0;
}

/* Read the next whole line into s (a line still being written is left
 * for the next poll); moves to the next newer file at EOF. */
static bool src_next(struct cli_log_src *s, bool follow_rotation)
{
	s->have = false;
	json_decref(s->rec);
	s->rec = NULL;
	for (;;) {
		if (!s->f) {
			if (s->file_no > 0 && src_open(s, s->file_no - 1))
				continue;
			if (s->file_no <= 0 && !src_open(s, 0))
				return false;
		}
		off_t at = ftello(s->f);
		if (s->file_no == 0 && s->limit >= 0 && at >= s->limit)
			return false;
		ssize_t n = getline(&s->line, &s->cap, s->f);
		if (n > 0 && s->line[n - 1] == '\n') {
			s->line[n - 1] = '\0';
			json_t *rec = json_loads(s->line, JSON_ALLOW_NUL, NULL);
			const char *t = json_string_value(json_object_get(rec, "time"));
			if (!rec || !t || !json_is_string(json_object_get(rec, "line"))) {
				json_decref(rec);
				continue; /* not one of ours: skipped */
			}
			snprintf(s->time, sizeof(s->time), "%s", t);
			s->rec = rec;
			s->have = true;
			return true;
		}
		/* EOF, or half a line: come back to it */
		clearerr(s->f);
		if (n > 0)
			fseeko(s->f, at, SEEK_SET);
		if (s->file_no > 0) {
			src_open(s, s->file_no - 1);
			continue;
		}
		if (!follow_rotation || n > 0)
			return false;
		/* The current file was rotated away under us: what it had is
		 * read; go on with the new one. */
		struct stat st;
		if (stat(s->path, &st) == 0 && st.st_ino != s->ino) {
			src_open(s, 0);
			continue;
		}
		return false;
	}
}

static void print_rec(struct cli_log_view *v, struct cli_log_src *s)
{
	const char *line = json_string_value(json_object_get(s->rec, "line"));
	size_t len = json_string_length(json_object_get(s->rec, "line"));
	if (v->prefix) {
		if (v->color)
			fprintf(v->out, "\033[%sm%-*s |\033[0m ", colors[s->color], (int)v->width, s->service);
		else
			fprintf(v->out, "%-*s | ", (int)v->width, s->service);
	}
	if (v->timestamps)
		fprintf(v->out, "%s ", s->time);
	fwrite(line, 1, len, v->out);
	fputc('\n', v->out);
}

/* Print every record the sources have, oldest first across services. */
static bool merge(struct cli_log_view *v, bool follow_rotation)
{
	bool any = false;
	for (size_t i = 0; i < v->n; i++)
		if (!v->src[i].have)
			src_next(&v->src[i], follow_rotation);
	for (;;) {
		struct cli_log_src *best = NULL;
		for (size_t i = 0; i < v->n; i++)
			if (v->src[i].have && (!best || strcmp(v->src[i].time, best->time) < 0))
				best = &v->src[i];
		if (!best)
			break;
		print_rec(v, best);
		any = true;
		src_next(best, follow_rotation);
	}
	fflush(v->out);
	return any;
}

/* Lines (records) of the source's files, oldest file first, the current
 * one up to s->limit. */
static long count_lines(struct cli_log_src *s, int from)
{
	long n = 0;
	for (int k = from; k >= 0; k--) {
		_cleanup_free_ char *p = sup_logfile_rotated_name(s->path, k);
		_cleanup_fclose_ FILE *f = fopen(p, "re");
		int c;
		off_t left = k == 0 ? s->limit : -1;
		while (f && left != 0 && (c = getc(f)) != EOF) {
			n += c == '\n';
			if (left > 0)
				left--;
		}
	}
	return n;
}

void cli_log_view_dump(struct cli_log_view *v, long tail)
{
	for (size_t i = 0; i < v->n; i++) {
		struct cli_log_src *s = &v->src[i];
		/* what is there now: a service writing on does not make a
		 * dump endless (nor --tail count lines that came later) */
		struct stat st;
		s->limit = stat(s->path, &st) == 0 ? st.st_size : 0;
		int from = oldest(s);
		s->file_no = from + 1; /* src_next opens `from` first */
		src_close(s);
		if (tail >= 0) {
			long skip = count_lines(s, from) - tail;
			while (skip-- > 0 && src_next(s, false))
				;
			s->have = false; /* the last one read was the last one skipped */
		}
	}
	merge(v, false);
	for (size_t i = 0; i < v->n; i++)
		v->src[i].limit = -1; /* a follow goes on from there */
}

void cli_log_view_skip(struct cli_log_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct cli_log_src *s = &v->src[i];
		if (src_open(s, 0))
			fseeko(s->f, 0, SEEK_END);
	}
}

bool cli_log_view_poll(struct cli_log_view *v)
{
	return merge(v, true);
}

void cli_log_view_free(struct cli_log_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct cli_log_src *s = &v->src[i];
		src_close(s);
		json_decref(s->rec);
		free(s->line);
		free(s->service);
		free(s->path);
	}
	free(v->src);
	memset(v, 0, sizeof(*v));
}
