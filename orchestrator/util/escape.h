/* Bytes from outside (a Dockerfile, a RUN's output, an archive's names, a
 * command-line argument) on their way to a terminal: whatever could drive
 * it is shown as \xNN instead, so it can neither move the cursor, set a
 * title, start a line of its own nor hide what follows.  Escaped:
 *
 *   C0 controls (0x00-0x1f) and DEL (0x7f)
 *   C1 controls, raw (a lone 0x80-0x9f byte: 0x9b is CSI on terminals
 *   that read 8-bit controls) and UTF-8-encoded (U+0080-U+009F, which a
 *   UTF-8 terminal reads as the same controls)
 *   every byte of what is not valid UTF-8 (overlongs, surrogates, above
 *   U+10FFFF, a sequence cut short)
 *
 * Valid printable UTF-8 (accented letters, CJK, emoji) passes through. */
#ifndef STACK_UTIL_ESCAPE_H
#define STACK_UTIL_ESCAPE_H

#include "util/strbuf.h"

#include <stddef.h>

enum {
	ST_ESCAPE_KEEP_TAB = 1 << 0,  /* a tab passes (a log line's columns) */
	ST_ESCAPE_BACKSLASH = 1 << 1, /* `\` too, so an escape cannot be forged */
	ST_ESCAPE_NL_N = 1 << 2,      /* a newline shows as \n (an error message) */
};

/* Append s[0..len) to b, escaped as above (flags: ST_ESCAPE_*). */
void st_escape_add(struct strbuf *b, const char *s, size_t len, unsigned flags);

/* The same as a malloc'd string. */
char *st_escape(const char *s, size_t len, unsigned flags);

/* The length of the valid UTF-8 sequence at s[0..len) (1 for ASCII), 0
 * when the bytes there are not one. */
size_t st_utf8_len(const unsigned char *s, size_t len);

#endif
