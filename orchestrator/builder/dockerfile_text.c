/* Dockerfile bytes → physical lines, each checked once: NUL bytes, invalid
 * UTF-8 and over-long lines are reported here, so the rest of the parser
 * (and the JSON it produces) only ever sees valid text. */
#include "builder/dockerfile_int.h"
#include "util/mem.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid:
 * overlong forms, surrogates and code points past U+10FFFF included. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void check_line(const char *path, int lineno, char *s, size_t n, struct diag_list *diags)
{
	bool nul = false, bad_utf8 = false;
	if (n > DF_MAX_LINE) {
		struct diag *d = diag_add(diags, path, lineno, 0, "line is longer than 1 MiB (%zu bytes)", n);
		diag_hint(d, "split it with line continuations, or move the data into a file that COPY adds");
	}
	for (size_t i = 0; i < n;) {
		if (s[i] == '\0') {
			nul = true;
			s[i++] = ' ';
			continue;
		}
		size_t k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0) {
			/* Replaced so no later message echoes a broken byte. */
			bad_utf8 = true;
			s[i] = '?';
			k = 1;
		}
		i += k;
	}
	if (nul)
		diag_hint(diag_add(diags, path, lineno, 0, "line contains a NUL byte"),
			  "a Dockerfile is text; remove the NUL (is this a binary or UTF-16 file?)");
	if (bad_utf8)
		diag_hint(diag_add(diags, path, lineno, 0, "line is not valid UTF-8"),
			  "save the Dockerfile as UTF-8");
}

void df_lines_init(struct df_lines *l, const char *path, const char *text, size_t len, struct diag_list *diags)
{
	/* A UTF-16 file (Windows editors, PowerShell redirection) would give one
	 * error per line and a cascade after; one clear message is better. */
	bool utf16 = len >= 2 && (((unsigned char)text[0] == 0xff && (unsigned char)text[1] == 0xfe) ||
				  ((unsigned char)text[0] == 0xfe && (unsigned char)text[1] == 0xff));
	if (utf16) {
		diag_hint(diag_add(diags, path, 1, 0, "file is encoded as UTF-16"), "save the Dockerfile as UTF-8");
		len = 0;
	}
	/* BuildKit drops a BOM on the first line; so do editors. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	*l = (struct df_lines){.text = xmalloc(len + 1), .len = len, .refused = utf16};
	memcpy(l->text, text, len);
	l->text[len] = '\0';

	int lineno = 0;
	for (size_t pos = 0; pos < len;) {
		char *s = l->text + pos;
		char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		check_line(path, ++lineno, s, n, diags);
		pos += n + (nl ? 1 : 0);
	}
}

bool df_lines_next(struct df_lines *l, char **line)
{
	if (l->pos >= l->len)
		return false;
	char *s = l->text + l->pos;
	char *nl = memchr(s, '\n', l->len - l->pos);
	size_t n = nl ? (size_t)(nl - s) : l->len - l->pos;
	l->pos += n + (nl ? 1 : 0);
	/* Like Go's bufio.ScanLines: "\n" or "\r\n" ends a line. */
	if (n > 0 && s[n - 1] == '\r')
		n--;
	s[n] = '\0';
	l->lineno++;
	*line = s;
	return true;
}

void df_lines_free(struct df_lines *l)
{
	free(l->text);
	l->text = NULL;
}
