/* Compose variable interpolation.
 *
 * Defaults and messages are found by brace matching first and interpolated
 * only when used, so ${A:-${B:?B is needed}} does not fail while A is set,
 * as in compose.  Positions in messages are 1-based characters of the whole
 * value, nested or not. */
#include "spec/interp.h"
#include "util/env.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Nested defaults deeper than this are not a real file; stop before the stack does. */
#define INTERP_MAX_NESTING 32

const char *spec_env_get(const struct spec_env *env, const char *name)
{
	if (!env)
		return NULL;
	const char *v = st_env_get((const char *const *)env->environ, name);
	if (v)
		return v;
	for (size_t i = 0; i < env->dotenv.n; i++)
		if (!strcmp(env->dotenv.v[i].key, name))
			return env->dotenv.v[i].value; /* NULL: KEY alone, i.e. unset */
	return NULL;
}

struct interp {
	const char *whole; /* the full input, for positions */
	spec_lookup_fn lookup;
	void *ctx;
	char *err;
};

static int fail(struct interp *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct interp *in, const char *fmt, ...)
{
	if (in->err) /* the first error is the one to report */
		return -1;
	va_list ap;
	va_start(ap, fmt);
	in->err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static size_t pos_of(const struct interp *in, const char *p)
{
	/* Characters, not bytes, so a column past a UTF-8 name is right. */
	size_t c = 1;
	for (const char *q = in->whole; q < p; q++)
		if ((*q & 0xc0) != 0x80)
			c++;
	return c;
}

static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

/* The end of a default/message word: the `}` that closes the expression,
 * skipping nested ${...} and $$.  NULL if there is none. */
static const char *word_end(const char *p, const char *end)
{
	int depth = 0;
	while (p < end) {
		if (*p == '$' && p + 1 < end && (p[1] == '$' || p[1] == '{')) {
			if (p[1] == '{')
				depth++;
			p += 2;
			continue;
		}
		if (*p == '}') {
			if (depth == 0)
				return p;
			depth--;
		}
		p++;
	}
	return NULL;
}

static int expand(struct interp *in, const char *s, const char *end, struct strbuf *out, int nesting);

static int expand_braced(struct interp *in, const char *dollar, const char *end, struct strbuf *out, const char **next,
			 int nesting)
{
	const char *p = dollar + 2, *name = p;
	if (p >= end)
		return fail(in, "unterminated `${` at character %zu: add the closing `}`", pos_of(in, dollar));
	if (!name_start(*p)) {
		if (*p == '}')
			return fail(in, "empty variable name `${}` at character %zu", pos_of(in, dollar));
		return fail(in, "invalid variable name at character %zu: a name is letters, digits and `_`, "
				"not starting with a digit; write `$$` for a literal `$`",
			    pos_of(in, p));
	}
	while (p < end && name_char(*p))
		p++;
	_cleanup_free_ char *var = xstrndup(name, (size_t)(p - name));
	if (p >= end)
		return fail(in, "unterminated `${` at character %zu: add the closing `}`", pos_of(in, dollar));
	const char *value = in->lookup(in->ctx, var);
	if (*p == '}') {
		if (value)
			strbuf_adds(out, value);
		*next = p + 1;
		return 0;
	}
	bool colon = *p == ':';
	const char *op = colon ? p + 1 : p;
	if (op >= end)
		return fail(in, "unterminated `${` at character %zu: add the closing `}`", pos_of(in, dollar));
	if (*op != '-' && *op != '?' && *op != '+')
		return fail(in, "invalid character `%c` at character %zu in `${%s...}`: expected `}`, `:-`, `-`, `:?`, "
				"`?`, `:+` or `+`",
			    *op, pos_of(in, op), var);
	const char *w = op + 1, *wend = word_end(w, end);
	if (!wend)
		return fail(in, "unterminated `${` at character %zu: add the closing `}`", pos_of(in, dollar));
	*next = wend + 1;
	/* With a colon, empty counts as unset (the shell's rule). */
	bool set = value && (!colon || *value);
	switch (*op) {
	case '-':
		if (set)
			strbuf_adds(out, value);
		else
			return expand(in, w, wend, out, nesting + 1);
		return 0;
	case '+':
		if (set)
			return expand(in, w, wend, out, nesting + 1);
		return 0;
	default: /* '?' */
		if (set) {
			strbuf_adds(out, value);
			return 0;
		}
		struct strbuf msg = {0};
		if (expand(in, w, wend, &msg, nesting + 1) < 0) {
			free(msg.s);
			return -1;
		}
		if (msg.n)
			fail(in, "required variable %s is missing a value: %s", var, msg.s);
		else
			fail(in, "required variable %s is missing a value: set it in the environment or in the .env file",
			     var);
		free(msg.s);
		return -1;
	}
}

static int expand(struct interp *in, const char *s, const char *end, struct strbuf *out, int nesting)
{
	if (nesting > INTERP_MAX_NESTING)
		return fail(in, "interpolation nested deeper than %d levels at character %zu", INTERP_MAX_NESTING,
			    pos_of(in, s));
	const char *p = s;
	while (p < end) {
		const char *d = memchr(p, '$', (size_t)(end - p));
		if (!d) {
			strbuf_add(out, p, (size_t)(end - p));
			break;
		}
		strbuf_add(out, p, (size_t)(d - p));
		if (d + 1 < end && d[1] == '$') {
			strbuf_add(out, "$", 1);
			p = d + 2;
		} else if (d + 1 < end && d[1] == '{') {
			if (expand_braced(in, d, end, out, &p, nesting) < 0)
				return -1;
		} else if (d + 1 < end && name_start(d[1])) {
			const char *q = d + 1;
			while (q < end && name_char(*q))
				q++;
			_cleanup_free_ char *var = xstrndup(d + 1, (size_t)(q - d - 1));
			const char *value = in->lookup(in->ctx, var);
			if (value)
				strbuf_adds(out, value);
			p = q;
		} else {
			return fail(in, "`$` at character %zu is not followed by a variable name: write `$$` for a literal `$`",
				    pos_of(in, d));
		}
	}
	return 0;
}

int spec_interpolate_fn(const char *s, spec_lookup_fn lookup, void *ctx, char **out, char **errmsg)
{
	struct interp in = {.whole = s, .lookup = lookup, .ctx = ctx};
	struct strbuf b = {0};
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (expand(&in, s, s + strlen(s), &b, 0) < 0) {
		free(b.s);
		if (errmsg)
			*errmsg = in.err;
		else
			free(in.err);
		return -1;
	}
	*out = strbuf_take(&b);
	return 0;
}

static const char *env_lookup(void *ctx, const char *name) { return spec_env_get(ctx, name); }

int spec_interpolate(const char *in, const struct spec_env *env, char **out, char **errmsg)
{
	return spec_interpolate_fn(in, env_lookup, (void *)env, out, errmsg);
}

static int interpolate_node(struct spec_node *n, const struct spec_env *env, struct diag_list *diags)
{
	int r = 0;
	if (!n)
		return 0;
	switch (n->type) {
	case SPEC_NODE_SCALAR: {
		if (!strchr(n->scalar, '$'))
			return 0;
		char *out = NULL, *err = NULL;
		if (spec_interpolate(n->scalar, env, &out, &err) < 0) {
			diag_add(diags, n->file, n->line, n->col, "%s", err);
			free(err);
			return -1;
		}
		free(n->scalar);
		n->scalar = out;
		return 0;
	}
	case SPEC_NODE_MAP:
		/* Keys are never interpolated: compose does not, and a key that
		 * changes with the environment would make the file unreadable. */
		for (size_t i = 0; i < n->n_pairs; i++)
			if (interpolate_node(n->pairs[i].value, env, diags) < 0)
				r = -1;
		return r;
	case SPEC_NODE_SEQ:
		for (size_t i = 0; i < n->n_items; i++)
			if (interpolate_node(n->items[i], env, diags) < 0)
				r = -1;
		return r;
	}
	return r;
}

int spec_interpolate_tree(struct spec_node *root, const struct spec_env *env, struct diag_list *diags)
{
	return interpolate_node(root, env, diags);
}
