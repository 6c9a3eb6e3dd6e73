/* Word expansion of Dockerfile arguments as BuildKit's shell lexer does it
 * for FROM, COPY --from and ARG defaults: $VAR, ${VAR}, ${VAR:-w}, ${VAR-w},
 * ${VAR:+w}, ${VAR+w}, ${VAR:?msg}, ${VAR?msg}, single and double quotes,
 * and the escape character.  The words after a modifier are themselves
 * expanded, so defaults nest.  A declared ARG without a value is set to the
 * empty string (BuildKit's metaArgsToMap does the same), an undeclared
 * variable is unset. */
#include "builder/plan.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <string.h>

struct lexer {
	const char *s;
	size_t i;
	char esc;
	const struct spec_kvlist *vars;
	char *err;
};

static char peek(const struct lexer *lx) { return lx->s[lx->i]; }
static char next(struct lexer *lx) { return lx->s[lx->i] ? lx->s[lx->i++] : '\0'; }

static const char *lookup(const struct lexer *lx, const char *name)
{
	/* Last assignment wins: the list is appended to as ARGs are declared. */
	const char *v = NULL;
	for (size_t i = 0; lx->vars && i < lx->vars->n; i++)
		if (!strcmp(lx->vars->v[i].key, name))
			v = lx->vars->v[i].value ? lx->vars->v[i].value : "";
	return v;
}

static int fail(struct lexer *lx, char *msg)
{
	if (!lx->err)
		lx->err = msg;
	else
		free(msg);
	return -1;
}

static int word_until(struct lexer *lx, char stop, struct strbuf *out);

static int single_quote(struct lexer *lx, struct strbuf *out)
{
	next(lx);
	for (;;) {
		char c = next(lx);
		if (!c)
			return fail(lx, xstrdup("unexpected end of statement while looking for matching single-quote"));
		if (c == '\'')
			return 0;
		strbuf_addc(out, c);
	}
}

static int dollar(struct lexer *lx, struct strbuf *out);

static int double_quote(struct lexer *lx, struct strbuf *out)
{
	next(lx);
	for (;;) {
		char c = peek(lx);
		if (!c)
			return fail(lx, xstrdup("unexpected end of statement while looking for matching double-quote"));
		if (c == '"') {
			next(lx);
			return 0;
		}
		if (c == '$') {
			if (dollar(lx, out) < 0)
				return -1;
			continue;
		}
		c = next(lx);
		if (c == lx->esc) {
			char n = peek(lx);
			if (!n)
				continue;
			/* Only these can be escaped inside double quotes; any other
			 * escape character stays as written. */
			if (n == '"' || n == '$' || n == lx->esc)
				c = next(lx);
		}
		strbuf_addc(out, c);
	}
}

static char *read_name(struct lexer *lx)
{
	struct strbuf name = {0};
	char c = peek(lx);
	if (isdigit((unsigned char)c)) {
		while (isdigit((unsigned char)peek(lx)))
			strbuf_addc(&name, next(lx));
	} else {
		while ((c = peek(lx)) && (isalnum((unsigned char)c) || c == '_'))
			strbuf_addc(&name, next(lx));
	}
	return name.s; /* NULL when there is no name */
}

static int dollar(struct lexer *lx, struct strbuf *out)
{
	next(lx); /* $ */
	if (peek(lx) != '{') {
		_cleanup_free_ char *name = read_name(lx);
		if (!name) {
			strbuf_addc(out, '$'); /* a lone $ is literal */
			return 0;
		}
		const char *v = lookup(lx, name);
		strbuf_adds(out, v ? v : "");
		return 0;
	}
	next(lx); /* { */
	_cleanup_free_ char *name = read_name(lx);
	if (!name)
		return fail(lx, xasprintf("bad substitution in `%s`", lx->s));
	const char *v = lookup(lx, name);
	char c = next(lx);
	if (c == '}') {
		strbuf_adds(out, v ? v : "");
		return 0;
	}
	bool colon = false;
	if (c == ':') {
		colon = true;
		c = next(lx);
	}
	if (c != '-' && c != '+' && c != '?') {
		if (!c)
			return fail(lx, xasprintf("missing `}` in `%s`", lx->s));
		return fail(lx, xasprintf("unsupported modifier `%s%c` in substitution `%s`", colon ? ":" : "", c, lx->s));
	}
	struct strbuf word = {0};
	if (word_until(lx, '}', &word) < 0) {
		free(word.s);
		return -1;
	}
	_cleanup_free_ char *w = strbuf_take(&word);
	/* With a colon an empty value counts as unset, as in sh. */
	bool set = v && (!colon || *v);
	switch (c) {
	case '-':
		strbuf_adds(out, set ? v : w);
		return 0;
	case '+':
		strbuf_adds(out, set ? w : "");
		return 0;
	default: /* '?' */
		if (set) {
			strbuf_adds(out, v);
			return 0;
		}
		return fail(lx, *w ? xasprintf("%s: %s", name, w) : xasprintf("%s: is not allowed to be unset", name));
	}
}

/* Expand until `stop` (consumed) or the end of input when stop is NUL. */
static int word_until(struct lexer *lx, char stop, struct strbuf *out)
{
	for (;;) {
		char c = peek(lx);
		if (!c) {
			if (stop)
				return fail(lx, xasprintf("missing `%c` in `%s`", stop, lx->s));
			return 0;
		}
		if (stop && c == stop) {
			next(lx);
			return 0;
		}
		int r = 0;
		if (c == '\'')
			r = single_quote(lx, out);
		else if (c == '"')
			r = double_quote(lx, out);
		else if (c == '$')
			r = dollar(lx, out);
		else {
			next(lx);
			if (c == lx->esc) {
				c = next(lx);
				if (!c)
					return 0;
			}
			strbuf_addc(out, c);
		}
		if (r < 0)
			return -1;
	}
}

int build_expand_word(const char *word, char escape, const struct spec_kvlist *vars, char **out, char **errmsg)
{
	struct lexer lx = {.s = word, .esc = escape ? escape : '\\', .vars = vars};
	struct strbuf b = {0};
	*out = NULL;
	*errmsg = NULL;
	if (word_until(&lx, '\0', &b) < 0) {
		free(b.s);
		*errmsg = lx.err;
		return -1;
	}
	*out = strbuf_take(&b);
	return 0;
}
