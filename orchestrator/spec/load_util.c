/* The loader's typed accessors: node → value, or a FILE:LINE:COL error. */
#include "spec/load_internal.h"
#include "spec/names.h"
#include "spec/units.h"
#include "util/fs.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct spec_pos ld_pos(struct spec_loader *ld, const struct spec_node *n)
{
	struct spec_pos p = {0};
	if (!n)
		return p;
	struct strv *names = &ld->stack->file_names;
	for (size_t i = 0; i < names->n; i++) {
		if (strcmp(names->v[i], n->file) == 0) {
			p.file = names->v[i];
			break;
		}
	}
	if (!p.file) {
		strv_push(names, n->file);
		p.file = names->v[names->n - 1];
	}
	p.line = n->line;
	p.col = n->col;
	return p;
}

struct diag *ld_error(struct spec_loader *ld, const struct spec_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct diag *d;
	if (n)
		d = diag_vadd(ld->diags, n->file, n->line, n->col, fmt, ap);
	else
		d = diag_vadd(ld->diags, ld->stack->file_names.n ? ld->stack->file_names.v[0] : NULL, 0, 0, fmt, ap);
	va_end(ap);
	return d;
}

struct diag *ld_error_at(struct spec_loader *ld, const struct spec_pos *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct diag *d = diag_vadd(ld->diags, p->file, p->line, p->col, fmt, ap);
	va_end(ap);
	return d;
}

void ld_error_take(struct spec_loader *ld, const struct spec_node *n, char *errmsg)
{
	ld_error(ld, n, "%s", errmsg ? errmsg : "invalid value");
	free(errmsg);
}

static bool is_type(struct spec_loader *ld, const struct spec_node *n, enum spec_node_type t, const char *tname,
		    const char *what)
{
	if (n && n->type == t)
		return true;
	ld_error(ld, n, "`%s`: expected %s, got %s", what, tname, n ? spec_node_type_name(n) : "nothing");
	return false;
}

bool ld_is_map(struct spec_loader *ld, const struct spec_node *n, const char *what)
{
	return is_type(ld, n, SPEC_NODE_MAP, "a mapping", what);
}

bool ld_is_seq(struct spec_loader *ld, const struct spec_node *n, const char *what)
{
	return is_type(ld, n, SPEC_NODE_SEQ, "a list", what);
}

bool ld_is_scalar(struct spec_loader *ld, const struct spec_node *n, const char *what)
{
	return is_type(ld, n, SPEC_NODE_SCALAR, "a string", what);
}

void ld_check_keys_unsupported(struct spec_loader *ld, const struct spec_node *map, const char *const *keys, size_t n,
				const struct ld_unsupported_key *unsupported, size_t n_unsupported, const char *where)
{
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct spec_node *k = map->pairs[i].key;
		if (strncmp(k->scalar, "x-", 2) == 0)
			continue;
		bool known = false;
		for (size_t j = 0; j < n && !known; j++)
			known = strcmp(k->scalar, keys[j]) == 0;
		if (known)
			continue;
		const struct ld_unsupported_key *u = NULL;
		for (size_t j = 0; j < n_unsupported && !u; j++)
			if (strcmp(k->scalar, unsupported[j].key) == 0)
				u = &unsupported[j];
		if (u) {
			struct diag *d = ld_error(ld, k, "`%s` is not supported by stack", k->scalar);
			diag_hint(d, "%s", u->hint ? u->hint : "remove it");
			continue;
		}
		struct diag *d = ld_error(ld, k, "unknown key `%s` in %s", k->scalar, where);
		const char *s = n ? spec_suggest(k->scalar, keys, n) : NULL;
		if (s)
			diag_hint(d, "did you mean `%s`?", s);
	}
}

void ld_check_keys(struct spec_loader *ld, const struct spec_node *map, const char *const *keys, size_t n,
		   const char *where)
{
	ld_check_keys_unsupported(ld, map, keys, n, NULL, 0, where);
}

bool ld_string(struct spec_loader *ld, const struct spec_node *n, const char *what, const char **out)
{
	if (!ld_is_scalar(ld, n, what))
		return false;
	*out = n->scalar;
	return true;
}

bool ld_dup_string(struct spec_loader *ld, const struct spec_node *n, const char *what, char **out)
{
	const char *s;
	if (!ld_string(ld, n, what, &s))
		return false;
	free(*out);
	*out = xstrdup(s);
	return true;
}

bool ld_bool(struct spec_loader *ld, const struct spec_node *n, const char *what, bool *out)
{
	if (!ld_is_scalar(ld, n, what))
		return false;
	bool b;
	if (!spec_node_bool(n, &b)) {
		/* Compose also takes quoted "true"/"false". */
		if (strcmp(n->scalar, "true") == 0) {
			b = true;
		} else if (strcmp(n->scalar, "false") == 0) {
			b = false;
		} else {
			ld_error(ld, n, "`%s`: expected true or false, got `%s`", what, n->scalar);
			return false;
		}
	}
	*out = b;
	return true;
}

bool ld_int(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t min, int64_t max,
	    int64_t *out)
{
	if (!ld_is_scalar(ld, n, what))
		return false;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(n->scalar, &end, 10);
	if (!n->scalar[0] || *end || errno == ERANGE || v < min || v > max) {
		if (max == INT64_MAX)
			ld_error(ld, n, "`%s`: expected an integer of at least %lld, got `%s`", what, (long long)min,
				 n->scalar);
		else
			ld_error(ld, n, "`%s`: expected an integer from %lld to %lld, got `%s`", what, (long long)min,
				 (long long)max, n->scalar);
		return false;
	}
	*out = v;
	return true;
}

bool ld_int_hint(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t min, int64_t max,
		 const char *hint, int64_t *out)
{
	size_t before = ld->diags->n;
	if (ld_int(ld, n, what, min, max, out))
		return true;
	if (ld->diags->n > before) /* not when the list is full */
		diag_hint(&ld->diags->v[ld->diags->n - 1], "%s", hint);
	return false;
}

bool ld_double(struct spec_loader *ld, const struct spec_node *n, const char *what, double *out)
{
	if (!ld_is_scalar(ld, n, what))
		return false;
	char *end = NULL;
	errno = 0;
	double v = strtod(n->scalar, &end);
	if (!n->scalar[0] || *end || errno == ERANGE || !isfinite(v) || v < 0) {
		ld_error(ld, n, "`%s`: expected a non-negative number, got `%s`", what, n->scalar);
		return false;
	}
	*out = v;
	return true;
}

bool ld_parsed_int64(struct spec_loader *ld, const struct spec_node *n, const char *what, spec_int64_parser parse,
		     int64_t *out)
{
	if (!ld_is_scalar(ld, n, what))
		return false;
	char *err = NULL;
	int64_t v;
	if (parse(n->scalar, &v, &err) < 0) {
		ld_error(ld, n, "`%s`: %s", what, err ? err : "invalid value");
		free(err);
		return false;
	}
	*out = v;
	return true;
}

char *ld_abs_path(struct spec_loader *ld, const char *path)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
		return fs_path_join_clean(ld->home, path[1] ? path + 2 : ".");
	return fs_path_join_clean(ld->stack->project_dir, path);
}

bool ld_container_path(struct spec_loader *ld, const struct spec_node *n, const char *what, char **out)
{
	const char *s;
	if (!ld_string(ld, n, what, &s))
		return false;
	if (s[0] != '/') {
		ld_error(ld, n, "`%s`: `%s` is not an absolute path in the container", what, s);
		return false;
	}
	free(*out);
	*out = fs_path_join_clean("/", s);
	return true;
}

bool ld_string_list(struct spec_loader *ld, const struct spec_node *n, const char *what, struct strv *out)
{
	if (n->type == SPEC_NODE_SCALAR) {
		strv_push(out, n->scalar);
		return true;
	}
	if (n->type != SPEC_NODE_SEQ) {
		ld_error(ld, n, "`%s`: expected a string or a list, got %s", what, spec_node_type_name(n));
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s;
		if (ld_string(ld, n->items[i], what, &s))
			strv_push(out, s);
		else
			ok = false;
	}
	return ok;
}

int spec_shell_split(const char *s, struct strv *out, char **errmsg)
{
	size_t cap = strlen(s) + 1;
	_cleanup_free_ char *word = xmalloc(cap);
	size_t n = 0;
	bool in_word = false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				word[n] = '\0';
				strv_push(out, word);
				n = 0;
				in_word = false;
			}
			continue;
		}
		in_word = true;
		if (c == '\\') {
			if (p[1])
				word[n++] = *++p;
		} else if (c == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (!e) {
				*errmsg = xstrdup("unclosed single quote");
				return -1;
			}
			memcpy(word + n, p + 1, (size_t)(e - p - 1));
			n += (size_t)(e - p - 1);
			p = e;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				/* Inside double quotes a backslash only escapes these. */
				if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
					p++;
				word[n++] = *p;
			}
			if (!*p) {
				*errmsg = xstrdup("unclosed double quote");
				return -1;
			}
		} else {
			word[n++] = c;
		}
	}
	if (in_word) {
		word[n] = '\0';
		strv_push(out, word);
	}
	return 0;
}

bool ld_command(struct spec_loader *ld, const struct spec_node *n, const char *what, struct strv *out)
{
	if (n->type == SPEC_NODE_SCALAR) {
		char *err = NULL;
		if (spec_shell_split(n->scalar, out, &err) < 0) {
			ld_error(ld, n, "`%s`: %s in `%s`", what, err, n->scalar);
			free(err);
			return false;
		}
		return true;
	}
	return ld_string_list(ld, n, what, out);
}

/* A key without a value takes the environment's when from_env is set. */
static void kv_put(struct spec_loader *ld, struct spec_kvlist *out, const char *key, const char *value, bool from_env)
{
	if (!value && from_env)
		value = spec_env_get(&ld->env, key);
	spec_kvlist_set(out, key, value);
}

/* A key becomes `KEY=VALUE` in a process's environment (or a label or
 * build arg of the same shape): an `=` in it would move the split, so the
 * payload reads another variable than the file says, and a control
 * character (a newline) makes one entry print as two in `stack config` and
 * in env files.  The value may hold either: only the first `=` splits. */
static bool kv_key_ok(struct spec_loader *ld, const struct spec_node *at, const char *what, const char *key)
{
	const char *why = NULL;
	if (!key[0])
		why = "is empty";
	else if (strchr(key, '='))
		why = "contains `=`";
	for (const unsigned char *c = (const unsigned char *)key; !why && *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			why = "contains a control character (a newline or tab)";
	if (!why)
		return true;
	_cleanup_free_ char *shown = spec_name_printable(key);
	struct diag *d = ld_error(ld, at, "`%s`: the name `%s` %s", what, shown, why);
	diag_hint(d, "a name is letters, digits and `_` (what a shell can export); put `=`, newlines and the rest in the value");
	return false;
}

bool ld_kvlist(struct spec_loader *ld, const struct spec_node *n, const char *what, bool from_env,
	       struct spec_kvlist *out)
{
	bool ok = true;
	if (n->type == SPEC_NODE_MAP) {
		for (size_t i = 0; i < n->n_pairs; i++) {
			const struct spec_node *v = n->pairs[i].value;
			const char *key = n->pairs[i].key->scalar;
			if (!kv_key_ok(ld, n->pairs[i].key, what, key)) {
				ok = false;
			} else if (spec_node_is_null(v)) {
				kv_put(ld, out, key, NULL, from_env);
			} else if (v->type != SPEC_NODE_SCALAR) {
				ld_error(ld, v, "`%s.%s`: expected a string, number or boolean, got %s", what, key,
					 spec_node_type_name(v));
				ok = false;
			} else {
				kv_put(ld, out, key, v->scalar, from_env);
			}
		}
		return ok;
	}
	if (n->type != SPEC_NODE_SEQ) {
		ld_error(ld, n, "`%s`: expected a mapping or a list of KEY=VALUE, got %s", what, spec_node_type_name(n));
		return false;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		const char *item;
		if (!ld_string(ld, n->items[i], what, &item)) {
			ok = false;
			continue;
		}
		const char *eq = strchr(item, '=');
		_cleanup_free_ char *key = eq ? xstrndup(item, (size_t)(eq - item)) : xstrdup(item);
		if (!key[0]) {
			ld_error(ld, n->items[i], "`%s`: `%s` has no name before `=`", what, item);
			ok = false;
			continue;
		}
		if (!kv_key_ok(ld, n->items[i], what, key)) {
			ok = false;
			continue;
		}
		kv_put(ld, out, key, eq ? eq + 1 : NULL, from_env);
	}
	return ok;
}

bool ld_labels(struct spec_loader *ld, const struct spec_node *n, struct spec_kvlist *out)
{
	bool ok = ld_kvlist(ld, n, "labels", false, out);
	for (size_t i = 0; i < out->n; i++)
		if (!out->v[i].value)
			out->v[i].value = xstrdup("");
	return ok;
}

void ld_check_name(struct spec_loader *ld, const struct spec_node *key, const char *kind)
{
	if (spec_name_valid(key->scalar))
		return;
	_cleanup_free_ char *shown = spec_name_printable(key->scalar);
	struct diag *d = ld_error(ld, key, "invalid %s name `%s`", kind, shown);
	diag_hint(d, "%s", SPEC_NAME_HINT);
}
