/* Diagnostics for user input (stack files, Dockerfiles, .env files).
 *
 * Loaders report every problem they find into a diag_list instead of
 * stopping at the first, so a user fixes a file in one pass.  Each entry is
 * printed as `FILE:LINE:COL: error: MESSAGE` with an optional indented hint
 * (what to do about it).  line/col are 1-based; 0 means "not known". */
#ifndef STACK_UTIL_DIAG_H
#define STACK_UTIL_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct diag {
	char *file;
	int line;
	int col;
	char *msg;
	char *hint; /* may be NULL */
};

struct diag_list {
	struct diag *v;
	size_t n, cap;
	size_t limit; /* stop recording after this many (0 = 100) */
};

/* Record an error; returns the new entry so a hint can be attached. */
struct diag *diag_add(struct diag_list *dl, const char *file, int line, int col,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same with a va_list, for loaders' own printf-like report functions. */
struct diag *diag_vadd(struct diag_list *dl, const char *file, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
void diag_hint(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The 1-based line and column (in characters, not bytes) of byte `off` of a
 * UTF-8 text, for parsers that only know an offset.  With `bom`, the
 * byte-order mark that starts the text takes no column. */
void diag_text_pos(const char *text, size_t len, size_t off, bool bom, int *line, int *col);
static inline bool diag_failed(const struct diag_list *dl) { return dl->n > 0; }
/* The list reached its limit: later errors were not recorded. */
bool diag_full(const struct diag_list *dl);
/* Sort by file, line, col (stable) so output is deterministic. */
void diag_sort(struct diag_list *dl);
void diag_print(const struct diag_list *dl, FILE *out);
void diag_free(struct diag_list *dl);

#endif
