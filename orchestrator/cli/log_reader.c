#include "cli/log_reader.h"
#include "cli/record_open.h"
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
	/* The files being read, opened together so that a rotation while we
	 * read does not shift them under us: chain[0] the current file,
	 * chain[k] PATH.k; `at` the one being read (oldest first). */
	FILE *chain[MAX_ROTATED];
	int n_chain, at;
	off_t limit;      /* a dump reads the current file up to its size then; -1: no end */
	bool refused;     /* a FIFO, symlink... was in a file's place (said on stderr) */
	ino_t refused_ino; /* the last such, said once */
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
		s->limit = -1;
		size_t w = strlen(services->v[i]);
		if (w > v->width)
			v->width = w;
	}
}

static void src_close(struct cli_log_src *s)
{
	for (int k = 0; k < s->n_chain; k++)
		if (s->chain[k])
			fclose(s->chain[k]);
	s->n_chain = s->at = 0;
}

static ino_t ino_of(FILE *f)
{
	struct stat st;
	return f && fstat(fileno(f), &st) == 0 ? st.st_ino : 0;
}

/* path as a stream, if it is a regular file (cli/record_open.h) */
static FILE *open_record(struct cli_log_src *s, const char *path)
{
	int fd = cli_record_open(path, "stack logs", &s->refused_ino);
	if (fd == -2)
		s->refused = true;
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "re");
	if (!f)
		close(fd);
	return f;
}

/* Open the current file and, with rotated ones, PATH.1 ... as far as
 * they go; read from the oldest. */
static void src_open(struct cli_log_src *s, bool rotated)
{
	src_close(s);
	s->chain[0] = open_record(s, s->path);
	if (!s->chain[0])
		return;
	s->n_chain = 1;
	for (int k = 1; rotated && k < MAX_ROTATED; k++) {
		_cleanup_free_ char *p = sup_logfile_rotated_name(s->path, k);
		if (!(s->chain[k] = open_record(s, p)))
			break;
		s->n_chain = k + 1;
	}
	s->at = s->n_chain - 1;
}

/* Read the next whole record into s (a line still being written is left
 * for the next poll), moving on to newer files at their ends.  follow: at
 * the end of the current file, go on with a new one that replaced it. */
static bool in_window(const struct cli_log_view *v, const char *t)
{
	return (!v->since[0] || strcmp(t, v->since) >= 0) && (!v->until[0] || strcmp(t, v->until) <= 0);
}

static bool src_next(const struct cli_log_view *v, struct cli_log_src *s, bool follow)
{
	s->have = false;
	json_decref(s->rec);
	s->rec = NULL;
	for (;;) {
		if (s->n_chain == 0) {
			if (!follow)
				return false;
			src_open(s, false);
			if (s->n_chain == 0)
				return false;
		}
		FILE *f = s->chain[s->at];
		off_t pos = ftello(f);
		if (s->at == 0 && s->limit >= 0 && pos >= s->limit)
			return false;
		ssize_t n = getline(&s->line, &s->cap, f);
		if (n > 0 && s->line[n - 1] == '\n') {
			s->line[n - 1] = '\0';
			json_t *rec = json_loads(s->line, JSON_ALLOW_NUL, NULL);
			const char *t = json_string_value(json_object_get(rec, "time"));
			if (!rec || !t || !json_is_string(json_object_get(rec, "line")) || !in_window(v, t)) {
				json_decref(rec);
				continue; /* not one of ours, or outside --since/--until: skipped */
			}
			snprintf(s->time, sizeof(s->time), "%s", t);
			s->rec = rec;
			s->have = true;
			return true;
		}
		/* the end, or half a line: come back to it */
		clearerr(f);
		if (n > 0)
			fseeko(f, pos, SEEK_SET);
		if (s->at > 0) {
			fclose(f);
			s->chain[s->at] = NULL;
			s->n_chain = s->at--;
			continue;
		}
		if (!follow || n > 0)
			return false;
		/* The current file was rotated away under us: what it had is
		 * read; go on with the one that took its name. */
		struct stat st;
		if (lstat(s->path, &st) == 0 && st.st_ino != ino_of(f)) {
			FILE *nf = open_record(s, s->path);
			if (!nf)
				return false;
			fclose(f);
			s->chain[0] = nf;
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
	if (v->gone)
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (!v->src[i].have)
			src_next(v, &v->src[i], follow_rotation);
	for (;;) {
		struct cli_log_src *best = NULL;
		for (size_t i = 0; i < v->n; i++)
			if (v->src[i].have && (!best || strcmp(v->src[i].time, best->time) < 0))
				best = &v->src[i];
		if (!best)
			break;
		print_rec(v, best);
		any = true;
		/* SIGPIPE is caught (util/interrupt.h): a reader that left
		 * shows as a failed write, and the rest is not worth reading */
		if (ferror(v->out))
			break;
		src_next(v, best, follow_rotation);
	}
	if (fflush(v->out) != 0 || ferror(v->out))
		v->gone = true;
	return any;
}

/* Records of the source's open files from `since` to `until` (all lines
 * without bounds), up to the limit in the current one; each file is read
 * back from its start afterwards. */
static long count_lines(const struct cli_log_view *v, struct cli_log_src *s)
{
	long n = 0;
	bool window = v->since[0] || v->until[0];
	for (int k = s->n_chain - 1; k >= 0; k--) {
		FILE *f = s->chain[k];
		off_t left = k == 0 ? s->limit : -1;
		if (window) {
			ssize_t len;
			while ((left < 0 || ftello(f) < left) && (len = getline(&s->line, &s->cap, f)) > 0) {
				if (s->line[len - 1] != '\n')
					break;
				json_t *rec = json_loadb(s->line, (size_t)len, JSON_ALLOW_NUL, NULL);
				const char *t = json_string_value(json_object_get(rec, "time"));
				n += t && json_is_string(json_object_get(rec, "line")) && in_window(v, t);
				json_decref(rec);
			}
		} else {
			int c;
			while (left != 0 && (c = getc(f)) != EOF) {
				n += c == '\n';
				if (left > 0)
					left--;
			}
		}
		clearerr(f);
		rewind(f);
	}
	return n;
}

void cli_log_view_dump(struct cli_log_view *v, long tail)
{
	for (size_t i = 0; i < v->n; i++) {
		struct cli_log_src *s = &v->src[i];
		src_open(s, true);
		/* what is there now: a service writing on does not make a
		 * dump endless (nor --tail count lines that came later) */
		struct stat st;
		s->limit = s->n_chain && fstat(fileno(s->chain[0]), &st) == 0 ? st.st_size : 0;
		if (tail >= 0) {
			long skip = count_lines(v, s) - tail;
			while (skip-- > 0 && src_next(v, s, false))
				;
			s->have = false; /* the last one read was the last one skipped */
		}
	}
	merge(v, false);
	for (size_t i = 0; i < v->n; i++)
		v->src[i].limit = -1; /* a follow goes on from there */
}

bool cli_log_view_poll(struct cli_log_view *v)
{
	return merge(v, true);
}

bool cli_log_view_refused(const struct cli_log_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->src[i].refused)
			return true;
	return false;
}

bool cli_log_view_gone(const struct cli_log_view *v)
{
	return v->gone;
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
