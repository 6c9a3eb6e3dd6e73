/* One logical line → one instruction: the instruction table (argument form
 * and arity; flags are in dockerfile_flags.c) and the checks BuildKit makes
 * when it turns its parse tree into instructions, so a bad Dockerfile fails
 * at `stack dockerfile` / plan time with a line number rather than half-way
 * through a build. */
#include "builder/dockerfile_int.h"
#include "spec/units.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

enum df_form {
	FORM_MAYBE_JSON,    /* RUN CMD ENTRYPOINT SHELL: exec array, or one shell string */
	FORM_JSON_OR_WORDS, /* ADD COPY VOLUME: exec array, or whitespace words */
	FORM_WORDS,         /* FROM EXPOSE: whitespace words */
	FORM_STRING,        /* USER WORKDIR STOPSIGNAL MAINTAINER: the rest, one string */
	FORM_NAME_VALUES,   /* ARG: quote-aware words, NAME or NAME=DEFAULT */
	FORM_KEY_VALUES,    /* ENV LABEL: [key, value, ...] */
	FORM_HEALTHCHECK,   /* [type, command...] */
	FORM_ONBUILD,       /* [trigger text] and the parsed trigger in next */
};

struct df_spec {
	const char *name; /* lower-case */
	enum df_form form;
	bool heredoc; /* may carry <<EOF bodies */
};

static const struct df_spec specs[DF_N_CMDS] = {
	[DF_NONE] = {"", FORM_STRING, false},
	[DF_ADD] = {"add", FORM_JSON_OR_WORDS, true},
	[DF_ARG] = {"arg", FORM_NAME_VALUES, false},
	[DF_CMD] = {"cmd", FORM_MAYBE_JSON, false},
	[DF_COPY] = {"copy", FORM_JSON_OR_WORDS, true},
	[DF_ENTRYPOINT] = {"entrypoint", FORM_MAYBE_JSON, false},
	[DF_ENV] = {"env", FORM_KEY_VALUES, false},
	[DF_EXPOSE] = {"expose", FORM_WORDS, false},
	[DF_FROM] = {"from", FORM_WORDS, false},
	[DF_HEALTHCHECK] = {"healthcheck", FORM_HEALTHCHECK, false},
	[DF_LABEL] = {"label", FORM_KEY_VALUES, false},
	[DF_MAINTAINER] = {"maintainer", FORM_STRING, false},
	[DF_ONBUILD] = {"onbuild", FORM_ONBUILD, false},
	[DF_RUN] = {"run", FORM_MAYBE_JSON, true},
	[DF_SHELL] = {"shell", FORM_MAYBE_JSON, false},
	[DF_STOPSIGNAL] = {"stopsignal", FORM_STRING, false},
	[DF_USER] = {"user", FORM_STRING, false},
	[DF_VOLUME] = {"volume", FORM_JSON_OR_WORDS, false},
	[DF_WORKDIR] = {"workdir", FORM_STRING, false},
};

const char *df_cmd_name(enum df_cmd cmd)
{
	return (unsigned)cmd < DF_N_CMDS ? specs[cmd].name : "";
}

/* The instruction a word names, any case; DF_NONE if none. */
static enum df_cmd cmd_from_word(const char *word)
{
	for (int c = DF_NONE + 1; c < DF_N_CMDS; c++)
		if (strcasecmp(specs[c].name, word) == 0)
			return (enum df_cmd)c;
	return DF_NONE;
}

char *df_upper(const char *s)
{
	char *u = xstrdup(s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static void unknown_instruction(struct df_ctx *cx, int lineno, const char *word)
{
	struct diag *d = diag_add(cx->diags, cx->path, lineno, 0, "unknown instruction: %.*s", df_clip(word), word);
	const struct df_spec *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = DF_NONE + 1; i < DF_N_CMDS; i++) {
		/* The loader's distance (a transposition costs 1: FORM is one edit
		 * from FROM), with a threshold by the instruction's length. */
		size_t dist = spec_edit_distance(word, specs[i].name);
		if (dist < best_d) {
			best_d = dist;
			best = &specs[i];
		}
	}
	if (best && best_d <= (strlen(best->name) <= 4 ? 1u : 2u)) {
		_cleanup_free_ char *u = df_upper(best->name);
		diag_hint(d, "did you mean %s?", u);
	} else {
		diag_hint(d, "instructions are ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, "
			     "HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, "
			     "VOLUME, WORKDIR");
	}
}

/* 1: `rest` is a JSON array of strings (pushed to args); 0: it is not
 * JSON, so it is shell form; -1: a JSON array holding a non-string, which
 * BuildKit rejects rather than running "[1, 2]" through a shell; -2: a
 * string holding a NUL (\u0000): still JSON, as for BuildKit, but no
 * program can be given such an argument. */
static int parse_json_array(const char *rest, struct strv *args)
{
	rest = df_skip_space(rest);
	if (*rest != '[')
		return 0;
	json_error_t jerr;
	json_t *a = json_loads(rest, JSON_ALLOW_NUL, &jerr);
	if (!a)
		return 0;
	int r = 1;
	if (!json_is_array(a)) {
		r = 0;
		goto out;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			r = -1;
			goto out;
		}
		if (strlen(json_string_value(v)) != json_string_length(v))
			r = -2;
	}
	if (r < 0)
		goto out;
	json_array_foreach(a, i, v) strv_push(args, json_string_value(v));
out:
	json_decref(a);
	return r;
}

static bool maybe_json(struct df_ctx *cx, int lineno, const char *ucmd, const char *rest,
		       struct df_instr *in, bool words_otherwise)
{
	if (!*rest)
		return true;
	int r = parse_json_array(rest, &in->args);
	if (r == -2) {
		in->json = true;
		diag_hint(diag_add(cx->diags, cx->path, lineno, 0,
				   "%s: an element of the JSON array (exec form) holds a NUL character (\\u0000)", ucmd),
			  "a program's arguments cannot contain NUL; remove the \\u0000");
		return false;
	}
	if (r < 0) {
		diag_hint(diag_add(cx->diags, cx->path, lineno, 0,
				   "%s: a JSON array (exec form) must hold only strings", ucmd),
			  "quote every element, e.g. [\"sleep\", \"10\"]");
		return false;
	}
	if (r > 0) {
		in->json = true;
		return true;
	}
	if (words_otherwise)
		df_split_ws(rest, &in->args);
	else
		strv_push(&in->args, rest);
	return true;
}

/* ENV/LABEL: "k=v k2=v2 ..." (values as written, quotes kept), or the
 * legacy "k v" where everything after the first blank is the value. */
static bool key_values(struct df_ctx *cx, int lineno, const char *ucmd, const char *rest,
		       struct df_instr *in)
{
	struct strv words = {0};
	bool ok = true;
	df_parse_words(rest, cx->escape, &words);
	if (words.n == 0)
		goto out;
	if (!strchr(words.v[0], '=')) {
		const char *e = rest;
		while (*e && !df_is_space(*e))
			e++;
		if (!*e) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "%s %.*s has no value", ucmd,
					   df_clip(rest), rest),
				  "write %s %.*s=VALUE", ucmd, df_clip(rest), rest);
			ok = false;
			goto out;
		}
		strv_push_take(&in->args, xstrndup(rest, (size_t)(e - rest)));
		strv_push(&in->args, df_skip_space(e));
		goto out;
	}
	for (size_t i = 0; i < words.n; i++) {
		char *eq = strchr(words.v[i], '=');
		if (!eq) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "%s: can't find = in `%.*s`",
					   ucmd, df_clip(words.v[i]), words.v[i]),
				  "every word must be NAME=VALUE (quote values with spaces)");
			ok = false;
			continue;
		}
		if (eq == words.v[i]) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "%s: a name can not be blank (`%.*s`)",
					   ucmd, df_clip(words.v[i]), words.v[i]),
				  "write %s NAME=VALUE", ucmd);
			ok = false;
			continue;
		}
		strv_push_take(&in->args, xstrndup(words.v[i], (size_t)(eq - words.v[i])));
		strv_push(&in->args, eq + 1);
	}
out:
	strv_free(&words);
	return ok;
}

static bool healthcheck(struct df_ctx *cx, int lineno, const char *rest, struct df_instr *in)
{
	if (!*rest)
		return true;
	const char *e = rest;
	while (*e && !df_is_space(*e))
		e++;
	_cleanup_free_ char *type = xstrndup(rest, (size_t)(e - rest));
	strv_push(&in->args, type);
	const char *cmd = df_skip_space(e);
	if (!maybe_json(cx, lineno, "HEALTHCHECK", cmd, in, false))
		return false;
	if (strcasecmp(type, "none") == 0) {
		if (in->args.n > 1 || in->json) {
			diag_add(cx->diags, cx->path, lineno, 0, "HEALTHCHECK NONE takes no arguments");
			return false;
		}
	} else if (strcasecmp(type, "cmd") == 0) {
		if (in->args.n < 2) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "HEALTHCHECK CMD needs a command"),
				  "write HEALTHCHECK CMD curl -f http://localhost/ (or an exec-form array)");
			return false;
		}
	} else {
		diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "unknown HEALTHCHECK type `%.*s`",
				   df_clip(type), type),
			  "write HEALTHCHECK [OPTIONS] CMD command, or HEALTHCHECK NONE");
		return false;
	}
	return true;
}

/* ^[a-z][a-z0-9-_.]*$ after lower-casing, as BuildKit requires. */
static bool valid_stage_name(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

static bool need(struct df_ctx *cx, int lineno, bool cond, const char *what, const char *ucmd, const char *hint)
{
	if (cond)
		return true;
	struct diag *d = diag_add(cx->diags, cx->path, lineno, 0, "%s requires %s", ucmd, what);
	if (hint)
		diag_hint(d, "%s", hint);
	return false;
}

/* Arity and per-instruction rules, after the arguments are split. */
static bool check_args(struct df_ctx *cx, int lineno, const char *ucmd, struct df_instr *in)
{
	size_t n = in->args.n;
	char **a = in->args.v;

	switch (in->cmd) {
	case DF_FROM:
		if (!need(cx, lineno, n == 1 || n == 3, "either one or three arguments", ucmd,
			  "write FROM [--platform=PLATFORM] IMAGE [AS NAME]"))
			return false;
		if (n == 3 && strcasecmp(a[1], "as") != 0) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0,
					   "FROM: expected AS before the stage name, got `%.*s`", df_clip(a[1]), a[1]),
				  "write FROM IMAGE AS NAME");
			return false;
		}
		if (n == 3 && !valid_stage_name(a[2])) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "invalid stage name `%.*s`", df_clip(a[2]), a[2]),
				  "a stage name starts with a letter and holds only letters, digits, -, _ and .");
			return false;
		}
		return true;
	case DF_COPY:
	case DF_ADD:
		return need(cx, lineno, n >= 2, "at least two arguments: a source and a destination", ucmd,
			    n == 1 ? "the destination is missing (use . for the working directory)" : NULL);
	case DF_SHELL:
		if (n > 0 && !in->json) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "SHELL requires the JSON (exec) form"),
				  "write SHELL [\"/bin/sh\", \"-c\"]");
			return false;
		}
		return need(cx, lineno, n >= 1, "at least one argument", ucmd, "write SHELL [\"/bin/sh\", \"-c\"]");
	case DF_CMD:
	case DF_ENTRYPOINT:
		return need(cx, lineno, n >= 1 || in->json, "at least one argument", ucmd,
			    "give a command, or [] to clear it");
	case DF_VOLUME:
		for (size_t i = 0; i < n; i++) {
			if (!*df_skip_space(a[i])) {
				diag_add(cx->diags, cx->path, lineno, 0, "VOLUME: a path can not be empty");
				return false;
			}
		}
		return need(cx, lineno, n >= 1, "at least one argument", ucmd, NULL);
	case DF_USER:
	case DF_WORKDIR:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		return need(cx, lineno, n == 1, "exactly one argument", ucmd, NULL);
	case DF_ARG: {
		bool ok = true;
		for (size_t i = 0; i < n; i++) {
			if (a[i][0] == '=') {
				diag_hint(diag_add(cx->diags, cx->path, lineno, 0,
						   "ARG: a name can not be blank (`%.*s`)", df_clip(a[i]), a[i]),
					  "write ARG NAME or ARG NAME=DEFAULT");
				ok = false;
			}
		}
		return need(cx, lineno, n >= 1, "at least one argument", ucmd, "write ARG NAME[=DEFAULT]") && ok;
	}
	case DF_RUN:
	case DF_EXPOSE:
	case DF_ENV:
	case DF_LABEL:
	case DF_HEALTHCHECK:
	case DF_ONBUILD:
	case DF_NONE:
		break;
	}
	return need(cx, lineno, n >= 1, "at least one argument", ucmd, NULL);
}

static bool onbuild(struct df_ctx *cx, int lineno, const char *rest, struct df_instr *in)
{
	if (!*rest)
		return true;
	strv_push(&in->args, rest);
	in->next = xzalloc(sizeof(*in->next));
	bool known = false;
	bool ok = df_instr_parse(cx, rest, lineno, in->next, &known);
	enum df_cmd t = in->next->cmd;
	if (t == DF_ONBUILD) {
		diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "chaining ONBUILD via ONBUILD ONBUILD isn't allowed"),
			  "an ONBUILD trigger runs in the child image; it can not add a trigger for grandchildren");
		ok = false;
	} else if (t == DF_FROM || t == DF_MAINTAINER) {
		_cleanup_free_ char *u = df_upper(df_cmd_name(t));
		diag_add(cx->diags, cx->path, lineno, 0, "%s isn't allowed as an ONBUILD trigger", u);
		ok = false;
	}
	return ok;
}

bool df_instr_parse(struct df_ctx *cx, const char *line, int lineno, struct df_instr *in, bool *known)
{
	const char *s = df_skip_space(line);
	const char *e = s;
	while (*e && !df_is_space(*e))
		e++;
	_cleanup_free_ char *word = xstrndup(s, (size_t)(e - s));
	in->cmd = cmd_from_word(word);
	*known = in->cmd != DF_NONE;
	if (!*known) {
		unknown_instruction(cx, lineno, word);
		return false;
	}
	const struct df_spec *sp = &specs[in->cmd];
	_cleanup_free_ char *ucmd = df_upper(sp->name);

	const char *r = df_extract_flags(e, &in->flags);
	_cleanup_free_ char *rest = xstrdup(df_skip_space(r));
	size_t rl = strlen(rest);
	while (rl > 0 && df_is_space(rest[rl - 1]))
		rest[--rl] = '\0';

	bool ok = df_check_flags(cx, lineno, in->cmd, &in->flags);
	bool args_ok = true;
	switch (sp->form) {
	case FORM_MAYBE_JSON:
		args_ok = maybe_json(cx, lineno, ucmd, rest, in, false);
		break;
	case FORM_JSON_OR_WORDS:
		args_ok = maybe_json(cx, lineno, ucmd, rest, in, true);
		break;
	case FORM_WORDS:
		df_split_ws(rest, &in->args);
		break;
	case FORM_STRING:
		if (*rest)
			strv_push(&in->args, rest);
		break;
	case FORM_NAME_VALUES:
		df_parse_words(rest, cx->escape, &in->args);
		break;
	case FORM_KEY_VALUES:
		args_ok = key_values(cx, lineno, ucmd, rest, in);
		break;
	case FORM_HEALTHCHECK:
		args_ok = healthcheck(cx, lineno, rest, in);
		break;
	case FORM_ONBUILD:
		args_ok = onbuild(cx, lineno, rest, in);
		break;
	}
	/* A form that failed already said what is wrong with the arguments. */
	if (args_ok)
		args_ok = check_args(cx, lineno, ucmd, in);
	return ok && args_ok;
}

struct df_instr *df_instr_heredoc_owner(struct df_instr *in)
{
	if (in->cmd == DF_ONBUILD && in->next)
		in = in->next;
	if (!specs[in->cmd].heredoc || in->json)
		return NULL;
	return in;
}

void df_instr_clear(struct df_instr *in)
{
	strv_free(&in->flags);
	strv_free(&in->args);
	for (size_t i = 0; i < in->n_heredocs; i++) {
		free(in->heredocs[i].name);
		free(in->heredocs[i].content);
	}
	free(in->heredocs);
	if (in->next) {
		df_instr_clear(in->next);
		free(in->next);
	}
	*in = (struct df_instr){0};
}
