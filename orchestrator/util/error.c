#include "util/error.h"
#include "util/escape.h"
#include "util/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

int st_error(st_error_t *err, int status, const char *fmt, ...)
{
	if (!err || *err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	struct st_error *e = xzalloc(sizeof(*e));
	e->status = status;
	e->msg = msg;
	*err = e;
	return -1;
}

int st_error_prefix(st_error_t *err, const char *fmt, ...)
{
	if (!err || !*err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

int st_error_set_kind(st_error_t *err, enum st_error_kind kind)
{
	if (err && *err)
		(*err)->kind = kind;
	return -1;
}

enum st_error_kind st_error_kind(const struct st_error *e)
{
	return e ? e->kind : ST_ERR_OTHER;
}

void st_error_free(st_error_t *err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

char *st_error_text(const struct st_error *e)
{
	if (!e)
		return xstrdup("unknown error");
	if (e->status > 0)
		return xasprintf("%s: %s", e->msg, strerror(e->status));
	return xstrdup(e->msg);
}

void st_error_print(st_error_t *err, FILE *out)
{
	if (!err || !*err)
		return;
	char *t = st_error_text(*err);
	/* A message names things from outside (an archive's entry names, a
	 * file's bytes): what could drive a terminal is shown escaped (escape.h), so it can neither
	 * drive the user's terminal nor start a line of their own. */
	char *shown = st_escape(t, strlen(t), ST_ESCAPE_NL_N);
	fprintf(out, "stack: %s\n", shown);
	free(shown);
	free(t);
	st_error_free(err);
}
