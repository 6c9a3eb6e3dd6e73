/* Escaping bytes on their way to a terminal (escape.h). */
#include "util/escape.h"

#include <stdbool.h>
#include <stdio.h>

size_t st_utf8_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* not an overlong */
		else if (c == 0xed)
			hi = 0x9f; /* not a surrogate */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* not above U+10FFFF */
	} else {
		return 0; /* a continuation byte, C0/C1 (overlongs) or F5-FF */
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void hex(struct strbuf *b, unsigned char c)
{
	char h[5];
	snprintf(h, sizeof(h), "\\x%02x", c);
	strbuf_adds(b, h);
}

/* One byte below 0x80. */
static void ascii(struct strbuf *b, unsigned char c, unsigned flags)
{
	if (c == '\t' && (flags & ST_ESCAPE_KEEP_TAB))
		strbuf_addc(b, '\t');
	else if (c == '\n' && (flags & ST_ESCAPE_NL_N))
		strbuf_adds(b, "\\n");
	else if (c < 0x20 || c == 0x7f || (c == '\\' && (flags & ST_ESCAPE_BACKSLASH)))
		hex(b, c);
	else
		strbuf_addc(b, (char)c);
}

void st_escape_add(struct strbuf *b, const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = st_utf8_len(p + i, len - i);
		bool c1 = n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0; /* U+0080-U+009F */
		if (n == 1) {
			ascii(b, p[i], flags);
		} else if (n == 0 || c1) {
			for (size_t k = 0; k < (n ? n : 1); k++)
				hex(b, p[i + k]);
		} else {
			strbuf_add(b, s + i, n);
		}
		i += n ? n : 1;
	}
}

char *st_escape(const char *s, size_t len, unsigned flags)
{
	struct strbuf b = {0};
	st_escape_add(&b, s, len, flags);
	return strbuf_take(&b);
}
