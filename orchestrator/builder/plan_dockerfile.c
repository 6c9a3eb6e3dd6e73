/* One image's Dockerfile: its stages and the names they build on.
 *
 * ARG substitution follows BuildKit: global ARGs (before the first FROM)
 * with their defaults, overridden by the image's `args:` for the ARGs the
 * file declares, plus the automatic platform ARGs; FROM is expanded with
 * those only.  Inside a stage, COPY --from= sees the stage's ARGs and ENVs. */
#include "builder/plan_internal.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/utsname.h>

static struct plan_use *add_use(struct plan_dockerfile *a)
{
	a->uses = xgrow(a->uses, &a->cap_uses, a->n_uses + 1, sizeof(*a->uses));
	struct plan_use *u = &a->uses[a->n_uses++];
	memset(u, 0, sizeof(*u));
	return u;
}

void plan_dockerfile_free(struct plan_dockerfile *a)
{
	df_free(a->df);
	for (size_t i = 0; i < a->n_stages; i++)
		free(a->stages[i].name);
	free(a->stages);
	for (size_t i = 0; i < a->n_uses; i++) {
		free(a->uses[i].name);
		free(a->uses[i].ref);
	}
	free(a->uses);
	memset(a, 0, sizeof(*a));
}

/* Append-only variable scope: the last entry for a key wins (see
 * build_expand_word), so redeclaring is just appending. */
static void var_set(struct spec_kvlist *l, const char *key, const char *value)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct spec_kv){.key = xstrdup(key), .value = value ? xstrdup(value) : NULL};
}

static const struct spec_kv *var_get(const struct spec_kvlist *l, const char *key)
{
	for (size_t i = l->n; i-- > 0;)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

void build_platform_args(struct spec_kvlist *vars)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"i686", "386"},
		{"i386", "386"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	struct utsname u;
	const char *arch = "amd64";
	if (uname(&u) == 0) {
		arch = u.machine;
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(u.machine, map[i][0]))
				arch = map[i][1];
	}
	const char *variant = !strcmp(arch, "arm") ? "v7" : "";
	_cleanup_free_ char *platform = xasprintf("linux/%s%s%s", arch, *variant ? "/" : "", variant);
	for (int t = 0; t < 2; t++) {
		const char *p = t ? "TARGET" : "BUILD";
		_cleanup_free_ char *k1 = xasprintf("%sPLATFORM", p);
		_cleanup_free_ char *k2 = xasprintf("%sOS", p);
		_cleanup_free_ char *k3 = xasprintf("%sARCH", p);
		_cleanup_free_ char *k4 = xasprintf("%sVARIANT", p);
		var_set(vars, k1, platform);
		var_set(vars, k2, "linux");
		var_set(vars, k3, arch);
		var_set(vars, k4, variant);
	}
}

/* ARG NAME[=DEFAULT] ...: the image's `args:` override declared ARGs; a
 * stage's ARG without default takes the global ARG's value. */
static void declare_args(struct planner *pl, const char *path, const struct df_instr *in, char escape,
			 const struct spec_image *img, struct spec_kvlist *scope, const struct spec_kvlist *global)
{
	/* df_parse gives ARG's words quote-aware, quotes kept: NAME or NAME=DEFAULT. */
	for (size_t i = 0; i < in->args.n; i++) {
		_cleanup_free_ char *w = xstrdup(in->args.v[i]);
		char *eq = strchr(w, '=');
		if (eq)
			*eq = '\0';
		const struct spec_kv *over = spec_kvlist_get(&img->args, w);
		if (over && over->value) {
			var_set(scope, w, over->value);
		} else if (eq) {
			_cleanup_free_ char *v = NULL, *err = NULL;
			if (build_expand_word(eq + 1, escape, scope, &v, &err) < 0)
				diag_add(pl->diags, path, in->line, 0, "ARG %s: %s", w, err);
			else
				var_set(scope, w, v);
		} else {
			const struct spec_kv *g = global ? var_get(global, w) : var_get(scope, w);
			var_set(scope, w, g ? g->value : NULL);
		}
	}
}

/* ENV: the parser gives [key, value, key, value, ...], values as written. */
static void declare_env(const struct df_instr *in, char escape, struct spec_kvlist *scope)
{
	for (size_t i = 0; i + 1 < in->args.n; i += 2) {
		_cleanup_free_ char *v = NULL, *err = NULL;
		if (build_expand_word(in->args.v[i + 1], escape, scope, &v, &err) == 0)
			var_set(scope, in->args.v[i], v);
	}
}

static ssize_t find_stage(const struct plan_dockerfile *a, const char *name, size_t limit)
{
	for (size_t i = 0; i < limit; i++)
		if (a->stages[i].name && !strcasecmp(a->stages[i].name, name))
			return (ssize_t)i;
	return -1;
}

static void from_instr(struct planner *pl, const char *path, struct plan_dockerfile *a,
		       const struct df_instr *in, char escape, const struct spec_kvlist *global)
{
	size_t s = a->n_stages;
	a->stages = xrealloc(a->stages, (s + 1) * sizeof(*a->stages));
	a->stages[s] = (struct plan_stage){.line = in->line};
	a->n_stages++;
	/* df_parse checked the form: IMAGE, or IMAGE AS NAME with a valid NAME. */
	if (in->args.n != 1 && in->args.n != 3)
		return;
	if (in->args.n == 3) {
		char *name = xstrdup(in->args.v[2]);
		for (char *c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		ssize_t dup = find_stage(a, name, s);
		if (dup >= 0) {
			struct diag *d = diag_add(pl->diags, path, in->line, 0, "duplicate stage name `%s`", in->args.v[2]);
			diag_hint(d, "line %d already names a stage `%s`; stage names are case-insensitive", a->stages[dup].line, name);
		}
		a->stages[s].name = name;
	}

	_cleanup_free_ char *name = NULL, *err = NULL;
	if (build_expand_word(in->args.v[0], escape, global, &name, &err) < 0) {
		diag_add(pl->diags, path, in->line, 0, "FROM %s: %s", in->args.v[0], err);
		return;
	}
	if (!*name) {
		struct diag *d = diag_add(pl->diags, path, in->line, 0, "FROM %s: the image name is empty after ARG substitution", in->args.v[0]);
		diag_hint(d, "give the ARG a default before the first FROM, or set it in the image's `args:` in the stack file");
		return;
	}
	struct plan_use *u = add_use(a);
	u->stage = s;
	u->line = in->line;
	u->name = steal_pointer(&name);
	ssize_t st = find_stage(a, u->name, s);
	if (st >= 0) {
		u->kind = BUILD_FROM_STAGE;
		u->index = (size_t)st;
	} else if (!strcmp(u->name, "scratch")) {
		u->kind = BUILD_FROM_SCRATCH;
	} else if (plan_resolve_ref(pl, u->name, u, &err) < 0) {
		struct diag *d = diag_add(pl->diags, path, in->line, 0, "FROM: %s", err);
		diag_hint(d, "name an earlier stage, `scratch`, an image or base of this stack, or a registry image such as `debian:bookworm`");
		return;
	}
	u->resolved = true;
}

/* COPY --from=X / RUN --mount=...,from=X,...: resolved once all stage names are known. */
static void from_flag(struct plan_dockerfile *a, const struct df_instr *in, const char *value,
		      char escape, const struct spec_kvlist *scope, struct planner *pl, const char *path)
{
	_cleanup_free_ char *name = NULL, *err = NULL;
	if (build_expand_word(value, escape, scope, &name, &err) < 0) {
		diag_add(pl->diags, path, in->line, 0, "--from=%s: %s", value, err);
		return;
	}
	struct plan_use *u = add_use(a);
	u->stage = a->n_stages - 1;
	u->line = in->line;
	u->copy = true;
	u->name = steal_pointer(&name);
}

static void mount_flag(struct plan_dockerfile *a, const struct df_instr *in, const char *spec,
		       char escape, const struct spec_kvlist *scope, struct planner *pl, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save))
		if (!strncmp(f, "from=", 5))
			from_flag(a, in, f + 5, escape, scope, pl, path);
}

static void resolve_from_flags(struct planner *pl, const char *path, struct plan_dockerfile *a)
{
	for (size_t i = 0; i < a->n_uses; i++) {
		struct plan_use *u = &a->uses[i];
		if (!u->copy)
			continue;
		char *end = NULL;
		unsigned long idx = strtoul(u->name, &end, 10);
		ssize_t st = find_stage(a, u->name, a->n_stages);
		_cleanup_free_ char *err = NULL;
		if (isdigit((unsigned char)u->name[0]) && !*end) {
			if (idx >= u->stage) {
				diag_add(pl->diags, path, u->line, 0, "--from=%s names stage %lu, which is not an earlier stage", u->name, idx);
				continue;
			}
			u->kind = BUILD_FROM_STAGE;
			u->index = idx;
		} else if (st >= 0) {
			if ((size_t)st == u->stage) {
				diag_add(pl->diags, path, u->line, 0, "--from=%s names the stage it is in", u->name);
				continue;
			}
			u->kind = BUILD_FROM_STAGE;
			u->index = (size_t)st;
		} else if (!strcmp(u->name, "scratch")) {
			u->kind = BUILD_FROM_SCRATCH;
		} else if (plan_resolve_ref(pl, u->name, u, &err) < 0) {
			struct diag *d = diag_add(pl->diags, path, u->line, 0, "--from=%s is not a stage of this Dockerfile, and %s", u->name, err);
			diag_hint(d, "name a stage of this Dockerfile, an image or base of this stack, or a registry image");
			continue;
		}
		u->resolved = true;
	}
}

static int read_dockerfile(struct planner *pl, const struct spec_image *img, char **text, size_t *len, char **path)
{
	if (img->dockerfile_inline) {
		*text = xstrdup(img->dockerfile_inline);
		*len = strlen(*text);
		*path = xasprintf("%s (images.%s.dockerfile_inline)",
				  img->pos.file ? plan_display_path(pl, img->pos.file) : "stack file", img->name);
		return 0;
	}
	*path = xstrdup(img->dockerfile ? plan_display_path(pl, img->dockerfile) : "Dockerfile");
	st_error_t err = NULL;
	if (!img->dockerfile || fs_read_file(img->dockerfile, 0, text, len, &err) < 0) {
		int status = err ? err->status : ENOENT;
		/* The read's own message (what failed, and why: "larger than"). */
		_cleanup_free_ char *why = err ? st_error_text(err) : xstrdup(strerror(status));
		struct diag *d = diag_add(pl->diags, img->pos.file, img->pos.line, img->pos.col,
					  "image `%s`: cannot read Dockerfile `%s`: %s", img->name, *path, why);
		if (status == ENOENT)
			diag_hint(d, "create it, or set `dockerfile:` (relative to the context `%s`) or `dockerfile_inline:`",
				  img->context ? plan_display_path(pl, img->context) : ".");
		st_error_free(&err);
		return -1;
	}
	return 0;
}

int plan_analyse(struct planner *pl, size_t idx, struct plan_dockerfile *a)
{
	const struct spec_image *img = &pl->stack->images[idx];
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	char *path = NULL;
	int r = read_dockerfile(pl, img, &text, &len, &path);
	pl->paths[idx] = path;
	if (r < 0)
		return -1;
	size_t before = pl->diags->n;
	struct df_file *df = NULL;
	if (df_parse(path, text, len, &df, pl->diags) < 0 || !df) {
		df_free(df);
		return -1;
	}
	a->df = df;
	char esc = df->escape ? df->escape : '\\';

	struct spec_kvlist global = {0}, scope = {0};
	build_platform_args(&global);
	for (size_t i = 0; i < df->n; i++) {
		const struct df_instr *in = &df->v[i];
		if (in->cmd == DF_FROM) {
			from_instr(pl, path, a, in, esc, &global);
			spec_kvlist_free(&scope); /* a stage starts with only what it redeclares */
			continue;
		}
		if (!a->n_stages) {
			/* df_parse allows only ARG here. */
			if (in->cmd == DF_ARG)
				declare_args(pl, path, in, esc, img, &global, NULL);
			continue;
		}
		if (in->cmd == DF_ARG) {
			declare_args(pl, path, in, esc, img, &scope, &global);
		} else if (in->cmd == DF_ENV) {
			declare_env(in, esc, &scope);
		} else if (in->cmd == DF_COPY || in->cmd == DF_RUN) {
			bool copy = in->cmd == DF_COPY;
			for (size_t f = 0; f < in->flags.n; f++) {
				const char *fl = in->flags.v[f];
				if (copy && !strncmp(fl, "--from=", 7))
					from_flag(a, in, fl + 7, esc, &scope, pl, path);
				else if (!copy && !strncmp(fl, "--mount=", 8))
					mount_flag(a, in, fl + 8, esc, &scope, pl, path);
			}
		}
	}
	spec_kvlist_free(&global);
	spec_kvlist_free(&scope);

	if (!a->n_stages)
		return -1; /* df_parse reported it */
	resolve_from_flags(pl, path, a);

	a->target = a->n_stages - 1;
	if (img->target) {
		ssize_t t = find_stage(a, img->target, a->n_stages);
		if (t < 0) {
			struct strbuf list = {0};
			for (size_t i = 0; i < a->n_stages; i++) {
				if (!a->stages[i].name)
					continue;
				if (list.n)
					strbuf_adds(&list, ", ");
				strbuf_adds(&list, a->stages[i].name);
			}
			struct diag *d = diag_add(pl->diags, img->pos.file, img->pos.line, img->pos.col,
						  "image `%s`: target stage `%s` is not in %s", img->name, img->target, path);
			if (list.n)
				diag_hint(d, "its stages are: %s", list.s);
			else
				diag_hint(d, "the Dockerfile names no stages (FROM IMAGE AS NAME)");
			free(list.s);
			return -1;
		}
		a->target = (size_t)t;
	}
	return pl->diags->n > before ? -1 : 0;
}
