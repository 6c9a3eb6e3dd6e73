/* A growable, always NUL-terminated byte string, for lexers and parsers
 * that build words a character at a time. */
#ifndef STACK_UTIL_STRBUF_H
#define STACK_UTIL_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *s; /* NULL until something is added */
	size_t n, cap;
};

void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_addc(struct strbuf *b, char c);
void strbuf_adds(struct strbuf *b, const char *s);
/* Empty it, keeping the allocation. */
void strbuf_reset(struct strbuf *b);
/* Hand out the string (never NULL; caller frees) and leave the buffer empty. */
char *strbuf_take(struct strbuf *b);

#endif
