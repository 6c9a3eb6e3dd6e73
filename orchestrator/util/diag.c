#include "util/diag.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_DEFAULT_LIMIT 100

/* Where entries past the limit go, so callers can attach hints without
 * checking; per thread, as loaders run on more than one. */
static _Thread_local struct diag overflow_sink;

bool diag_full(const struct diag_list *dl) { return dl->n >= (dl->limit ? dl->limit : DIAG_DEFAULT_LIMIT); }

struct diag *diag_vadd(struct diag_list *dl, const char *file, int line, int col, const char *fmt, va_list ap)
{
	if (diag_full(dl)) {
		/* A file with thousands of errors helps nobody; keep the first
		 * ones.  diag_hint ignores the sink, so it holds nothing. */
		return &overflow_sink;
	}
	dl->v = xgrow(dl->v, &dl->cap, dl->n + 1, sizeof(*dl->v));
	struct diag *d = &dl->v[dl->n++];
	d->msg = xvasprintf(fmt, ap);
	d->file = xstrdup(file ? file : "<input>");
	d->line = line;
	d->col = col;
	d->hint = NULL;
	return d;
}

struct diag *diag_add(struct diag_list *dl, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct diag *d = diag_vadd(dl, file, line, col, fmt, ap);
	va_end(ap);
	return d;
}

void diag_hint(struct diag *d, const char *fmt, ...)
{
	if (d == &overflow_sink)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *h = xvasprintf(fmt, ap);
	va_end(ap);
	free(d->hint);
	d->hint = h;
}

void diag_text_pos(const char *text, size_t len, size_t off, bool bom, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if ((text[i] & 0xc0) != 0x80 && !(bom && i == 0)) {
			c++; /* a UTF-8 continuation byte is part of the character before */
		}
	}
	*line = l;
	*col = c;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x < y ? -1 : (x > y);
}

void diag_sort(struct diag_list *dl)
{
	/* qsort is not stable; diag_cmp falls back to array order, which makes it so. */
	if (dl->n > 1)
		qsort(dl->v, dl->n, sizeof(*dl->v), diag_cmp);
}

void diag_print(const struct diag_list *dl, FILE *out)
{
	for (size_t i = 0; i < dl->n; i++) {
		const struct diag *d = &dl->v[i];
		if (d->line > 0 && d->col > 0)
			fprintf(out, "%s:%d:%d: error: %s\n", d->file, d->line, d->col, d->msg);
		else if (d->line > 0)
			fprintf(out, "%s:%d: error: %s\n", d->file, d->line, d->msg);
		else
			fprintf(out, "%s: error: %s\n", d->file, d->msg);
		if (d->hint)
			fprintf(out, "  hint: %s\n", d->hint);
	}
	if (diag_full(dl))
		fprintf(out, "stack: too many errors, stopped after %zu\n", dl->n);
}

void diag_free(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->v[i].file);
		free(dl->v[i].msg);
		free(dl->v[i].hint);
	}
	free(dl->v);
	dl->v = NULL;
	dl->n = dl->cap = 0;
}
