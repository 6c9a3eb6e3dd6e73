/* The word splitters of the Dockerfile syntax.  Each mirrors one of
 * BuildKit's: which one an instruction uses decides what its args look like
 * (whitespace words, quote-aware words with quotes kept, flags with quotes
 * removed).  The quote-aware ones differ in a few choices only, so they are
 * one lexer (lex_words) with those choices as options. */
#include "builder/dockerfile_int.h"
#include "util/mem.h"

#include <string.h>

bool df_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int df_clip(const char *s)
{
	size_t n = strlen(s);
	if (n <= 80)
		return (int)n;
	n = 80;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

const char *df_skip_space(const char *s)
{
	while (df_is_space(*s))
		s++;
	return s;
}

void df_split_ws(const char *s, struct strv *out)
{
	s = df_skip_space(s);
	while (*s) {
		const char *e = s;
		while (*e && !df_is_space(*e))
			e++;
		strv_push_take(out, xstrndup(s, (size_t)(e - s)));
		s = df_skip_space(e);
	}
}

/* End the word being collected: keep it if it has text or was quoted (a
 * quoted "" is a word of its own), and start the next one. */
static void end_word(struct strbuf *w, bool *blank_ok, struct strv *out)
{
	if (*blank_ok || w->n > 0)
		strv_push_take(out, strbuf_take(w));
	strbuf_reset(w);
	*blank_ok = false;
}

/* What tells BuildKit's quote-aware splitters apart. */
struct lex {
	char esc;           /* the escape character */
	bool keep_quotes;   /* quotes and escapes stay in the word */
	bool esc_in_single; /* the escape works inside '...' too */
	bool flags;         /* only leading "--" words, up to a lone "--" */
	bool trailing_esc;  /* an escape at the very end stays (else it is dropped) */
};

/* Words separated by unquoted whitespace; a quoted empty word ("") counts
 * as a word.  Returns where the words stopped (the end, unless
 * lx->flags). */
static const char *lex_words(const char *s, const struct lex *lx, struct strv *out)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	struct strbuf w = {0};
	bool blank_ok = false;
	char quote = 0;
	size_t len = strlen(s);
	const char *rest = s + len;

	for (size_t pos = 0; pos <= len; pos++) {
		char ch = s[pos];
		if (phase == SPACES) {
			if (pos == len)
				break;
			if (df_is_space(ch))
				continue;
			/* Flags stop at the first word not starting with "--". */
			if (lx->flags && (ch != '-' || s[pos + 1] != '-')) {
				rest = s + pos;
				break;
			}
			phase = WORD;
		}
		if (pos == len || (phase == WORD && df_is_space(ch))) {
			/* A lone "--" ends the flags, like getopt, and is none. */
			if (lx->flags && w.n == 2 && strcmp(w.s, "--") == 0) {
				rest = s + pos;
				break;
			}
			end_word(&w, &blank_ok, out);
			if (pos == len)
				break;
			phase = SPACES;
			continue;
		}
		if (phase == WORD && (ch == '\'' || ch == '"')) {
			quote = ch;
			blank_ok = true;
			phase = QUOTE;
			if (lx->keep_quotes)
				strbuf_addc(&w, ch);
			continue;
		}
		if (phase == QUOTE && ch == quote) {
			phase = WORD;
			if (lx->keep_quotes)
				strbuf_addc(&w, ch);
			continue;
		}
		if (ch == lx->esc && (phase == WORD || quote != '\'' || lx->esc_in_single)) {
			if (pos + 1 == len) {
				if (lx->trailing_esc)
					strbuf_addc(&w, ch);
				phase = WORD;
				continue;
			}
			if (lx->keep_quotes)
				strbuf_addc(&w, ch);
			ch = s[++pos];
		}
		strbuf_addc(&w, ch);
	}
	free(w.s);
	return rest;
}

void df_parse_words(const char *s, char esc, struct strv *out)
{
	/* The builder removes quotes and escapes after expansion. */
	lex_words(s, &(struct lex){.esc = esc, .keep_quotes = true}, out);
}

const char *df_extract_flags(const char *s, struct strv *flags)
{
	/* BuildKit's extractBuilderFlags: always a backslash, even in '...'. */
	return lex_words(s, &(struct lex){.esc = '\\', .esc_in_single = true, .flags = true}, flags);
}

/* The delimiter after "<<" or "<<-": quotes and escapes removed.  Any
 * quoting makes the body literal (no expansion), as in the shell. */
static int heredoc_delim(const char *rest, struct df_heredoc *h, char **msg)
{
	struct strbuf name = {0};
	bool quoted = false;
	for (const char *p = rest; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			quoted = true;
			for (p++; *p && *p != q; p++) {
				if (q == '"' && *p == '\\' && p[1])
					p++;
				strbuf_addc(&name, *p);
			}
			if (!*p) {
				free(name.s);
				*msg = xasprintf("unterminated quote in heredoc delimiter `%.*s`", df_clip(rest), rest);
				return -1;
			}
		} else if (*p == '\\') {
			if (p[1])
				strbuf_addc(&name, *++p);
		} else {
			strbuf_addc(&name, *p);
		}
	}
	if (name.n == 0) {
		free(name.s);
		*msg = xasprintf("empty heredoc delimiter `%.*s`", df_clip(rest), rest);
		return -1;
	}
	h->name = strbuf_take(&name);
	h->expand = !quoted;
	return 0;
}

int df_heredocs_from_line(const char *line, struct df_heredoc **out, size_t *n, char **msg)
{
	struct strv words = {0};
	size_t cap = 0;
	int r = 0;
	*out = NULL;
	*n = 0;
	*msg = NULL;
	/* Shell words as written: enough to tell a heredoc word "<<EOF"
	 * from "echo '<<EOF'".  The shell's escape is a backslash whatever
	 * the Dockerfile's escape directive says. */
	lex_words(line, &(struct lex){.esc = '\\', .keep_quotes = true, .trailing_esc = true}, &words);
	for (size_t i = 0; i < words.n && r == 0; i++) {
		/* ^[0-9]*<<(-?)([^<]*)$ — an optional fd, then the operator. */
		const char *p = words.v[i];
		while (*p >= '0' && *p <= '9')
			p++;
		if (p[0] != '<' || p[1] != '<')
			continue;
		p += 2;
		bool chomp = *p == '-';
		if (chomp)
			p++;
		if (*p == '\0' || strchr(p, '<'))
			continue; /* "<<" alone, or a here-string "<<<" */
		struct df_heredoc h = {.chomp = chomp};
		r = heredoc_delim(p, &h, msg);
		if (r == 0) {
			*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
			(*out)[(*n)++] = h;
		}
	}
	strv_free(&words);
	if (r < 0) {
		for (size_t i = 0; i < *n; i++)
			free((*out)[i].name);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}
