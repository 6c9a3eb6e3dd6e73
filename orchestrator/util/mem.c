#include "util/mem.h"

#include <stdarg.h>
#include <string.h>

static void *check(void *p)
{
	if (!p) {
		fputs("stack: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t size) { return check(malloc(size ? size : 1)); }
void *xzalloc(size_t size) { return check(calloc(1, size ? size : 1)); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *ptr, size_t size) { return check(realloc(ptr, size ? size : 1)); }
char *xstrdup(const char *s) { return s ? check(strdup(s)) : NULL; }
char *xstrndup(const char *s, size_t n) { return s ? check(strndup(s, n)) : NULL; }

void *xgrow(void *ptr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return ptr;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	ptr = xrealloc(ptr, c * elem);
	memset((char *)ptr + *cap * elem, 0, (c - *cap) * elem);
	*cap = c;
	return ptr;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		check(NULL);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
