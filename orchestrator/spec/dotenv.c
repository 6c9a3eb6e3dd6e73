/* .env / env_file parsing, following docker compose's reader:
 *
 *   # comment
 *   export KEY=value            `export ` is allowed and ignored
 *   KEY=value # comment         a # after whitespace starts a comment
 *   KEY='literal $value'        single quotes: nothing is interpreted
 *   KEY="a\nb ${OTHER}"         double quotes: \n \r \t \\ \" \$ escapes,
 *                               interpolation, may span lines
 *   KEY                         no `=`: the key has no value (NULL)
 *
 * Interpolation sees the keys above in the same file first, then `env`.
 * Every error is reported (FILE:LINE:COL) and parsing goes on with the next
 * line, so one run shows everything wrong with the file. */
#include "spec/dotenv.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct dotenv {
	const char *file;
	const char *text;
	size_t len, i;
	const struct spec_env *env;
	struct spec_kvlist *out;
	struct diag_list *diags;
	bool bom;
	bool failed;
};

static struct diag *err_at(struct dotenv *d, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static struct diag *err_at(struct dotenv *d, size_t off, const char *fmt, ...)
{
	int line, col;
	diag_text_pos(d->text, d->len, off, d->bom, &line, &col);
	d->failed = true;
	va_list ap;
	va_start(ap, fmt);
	struct diag *dg = diag_vadd(d->diags, d->file, line, col, fmt, ap);
	va_end(ap);
	return dg;
}

static bool at_eol(const struct dotenv *d, size_t i)
{
	return i >= d->len || d->text[i] == '\n' || (d->text[i] == '\r' && (i + 1 >= d->len || d->text[i + 1] == '\n'));
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static size_t skip_blanks(const struct dotenv *d, size_t i)
{
	while (i < d->len && is_blank(d->text[i]))
		i++;
	return i;
}

static size_t next_line(const struct dotenv *d, size_t i)
{
	while (i < d->len && d->text[i] != '\n')
		i++;
	return i < d->len ? i + 1 : i;
}

static bool key_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool key_char(char c) { return key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }

/* Variables for interpolation: this file's earlier keys, then the environment. */
static const char *lookup(void *ctx, const char *name)
{
	struct dotenv *d = ctx;
	const struct spec_kv *kv = spec_kvlist_get(d->out, name);
	if (kv && kv->value)
		return kv->value;
	return spec_env_get(d->env, name);
}

static char *interpolate(struct dotenv *d, const char *raw, size_t off)
{
	char *out = NULL, *err = NULL;
	if (spec_interpolate_fn(raw, lookup, d, &out, &err) < 0) {
		err_at(d, off, "%s", err);
		free(err);
		return NULL;
	}
	return out;
}

/* After a closing quote only blanks and a comment may follow. */
static size_t after_quote(struct dotenv *d, size_t i)
{
	i = skip_blanks(d, i);
	if (!at_eol(d, i) && d->text[i] != '#') {
		struct diag *dg = err_at(d, i, "unexpected text after the closing quote");
		diag_hint(dg, "put the whole value inside the quotes");
	}
	return next_line(d, i);
}

/* Single quotes: literal up to the next quote, newlines included. */
static size_t parse_single(struct dotenv *d, size_t q, char **value)
{
	size_t i = q + 1;
	char *buf = xmalloc(d->len - i + 1);
	size_t n = 0;
	for (; i < d->len && d->text[i] != '\''; i++)
		if (!(d->text[i] == '\r' && i + 1 < d->len && d->text[i + 1] == '\n'))
			buf[n++] = d->text[i];
	buf[n] = '\0';
	if (i >= d->len) {
		struct diag *dg = err_at(d, q, "unterminated single-quoted value");
		diag_hint(dg, "add the closing `'`");
		free(buf);
		return d->len;
	}
	*value = buf;
	return after_quote(d, i + 1);
}

/* Double quotes: escapes, then interpolation; `\$` stays a literal `$` by
 * becoming `$$` for the interpolator. */
static size_t parse_double(struct dotenv *d, size_t q, char **value)
{
	size_t i = q + 1;
	char *buf = xmalloc(2 * (d->len - i) + 1);
	size_t n = 0;
	for (; i < d->len && d->text[i] != '"'; i++) {
		char c = d->text[i];
		if (c == '\r' && i + 1 < d->len && d->text[i + 1] == '\n')
			continue;
		if (c != '\\' || i + 1 >= d->len) {
			buf[n++] = c;
			continue;
		}
		char e = d->text[++i];
		switch (e) {
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case '\\':
		case '"':
		case '\'':
			buf[n++] = e;
			break;
		case '$':
			buf[n++] = '$';
			buf[n++] = '$';
			break;
		default: /* unknown escapes are kept as written, like compose */
			buf[n++] = '\\';
			buf[n++] = e;
			break;
		}
	}
	buf[n] = '\0';
	if (i >= d->len) {
		struct diag *dg = err_at(d, q, "unterminated double-quoted value");
		diag_hint(dg, "add the closing `\"`");
		free(buf);
		return d->len;
	}
	*value = interpolate(d, buf, q + 1);
	free(buf);
	return after_quote(d, i + 1);
}

static size_t parse_unquoted(struct dotenv *d, size_t start, char **value)
{
	size_t i = start, end;
	while (!at_eol(d, i)) {
		/* A # starts a comment only after whitespace, so `pass#word` stays whole. */
		if (d->text[i] == '#' && i > 0 && is_blank(d->text[i - 1]))
			break;
		i++;
	}
	end = i;
	while (end > start && is_blank(d->text[end - 1]))
		end--;
	char *raw = xstrndup(d->text + start, end - start);
	*value = interpolate(d, raw, start);
	free(raw);
	return next_line(d, i);
}

static size_t parse_line(struct dotenv *d, size_t i)
{
	i = skip_blanks(d, i);
	if (at_eol(d, i) || d->text[i] == '#')
		return next_line(d, i);
	if (!strncmp(d->text + i, "export", 6) && i + 6 < d->len && is_blank(d->text[i + 6])) {
		size_t j = skip_blanks(d, i + 6);
		if (!at_eol(d, j) && d->text[j] != '=')
			i = j;
	}
	size_t k = i;
	while (k < d->len && !at_eol(d, k) && d->text[k] != '=' && !is_blank(d->text[k]))
		k++;
	_cleanup_free_ char *key = xstrndup(d->text + i, k - i);
	for (size_t j = 0; key[j]; j++) {
		if (j == 0 ? key_start(key[j]) : key_char(key[j]))
			continue;
		struct diag *dg;
		if (j == 0 && key[j] >= '0' && key[j] <= '9')
			dg = err_at(d, i + j, "variable name `%s` starts with a digit", key);
		else if ((unsigned char)key[j] >= 0x80)
			dg = err_at(d, i + j, "non-ASCII character in variable name `%s`", key);
		else
			dg = err_at(d, i + j, "invalid character `%c` in variable name `%s`", key[j], key);
		diag_hint(dg, "lines are KEY=VALUE; a name is letters, digits, `_`, `.` and `-`");
		return next_line(d, i);
	}
	size_t j = skip_blanks(d, k);
	if (at_eol(d, j) || d->text[j] == '#') {
		spec_kvlist_set(d->out, key, NULL);
		return next_line(d, j);
	}
	if (d->text[j] != '=') {
		struct diag *dg = err_at(d, j, "expected `=` after the variable name");
		diag_hint(dg, "lines are KEY=VALUE; quote values that contain spaces");
		return next_line(d, j);
	}
	j = skip_blanks(d, j + 1);
	char *value = NULL;
	size_t next;
	if (j < d->len && d->text[j] == '\'')
		next = parse_single(d, j, &value);
	else if (j < d->len && d->text[j] == '"')
		next = parse_double(d, j, &value);
	else
		next = parse_unquoted(d, j, &value);
	if (value)
		spec_kvlist_set(d->out, key, value);
	free(value);
	return next;
}

int spec_dotenv_parse(const char *file, const char *text, size_t len, const struct spec_env *env,
		      struct spec_kvlist *out, struct diag_list *diags)
{
	struct dotenv d = {.file = file, .text = text, .len = len, .env = env, .out = out, .diags = diags};
	size_t i = 0;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		d.bom = true;
		i = 3;
	}
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		struct diag *dg = err_at(&d, (size_t)(nul - text), "NUL byte in the file");
		diag_hint(dg, "an env file is text; is this a binary file?");
		return -1;
	}
	while (i < len)
		i = parse_line(&d, i);
	return d.failed ? -1 : 0;
}
