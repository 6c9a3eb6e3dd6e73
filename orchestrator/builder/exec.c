/* One image's build (see exec.h).
 *
 * Each stage the target needs is built in file order, from a state: the
 * image config so far (layers, env, user, workdir, ...), the stage's ARGs,
 * and a chain hash.  A step's cache key is the hash of the chain before it
 * and of the step: the instruction as written, the values its ARGs took,
 * and for COPY/ADD the paths, modes, owners and content digests of every
 * file it copies; the chain then becomes that key.  Since every later key
 * hashes the chain, a miss invalidates every step after it, and an image
 * built FROM this one starts its chain from this one's layers and config,
 * so it is rebuilt from the first step whose input changed.  Instructions
 * are expanded (ARG and ENV) as BuildKit expands them, the expansion's
 * inputs being in the chain already. */
#include "builder/exec_int.h"
#include "builder/base.h"
#include "builder/cache.h"
#include "builder/exec_config.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>


/* ---- small helpers ---- */

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void kv_append(struct spec_kvlist *l, const char *key, const char *value)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct spec_kv){.key = xstrdup(key), .value = value ? xstrdup(value) : NULL};
}

const struct spec_kv *bx_kv_last(const struct spec_kvlist *l, const char *key)
{
	for (size_t i = l->n; i-- > 0;)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

/* The variables an instruction of stage s expands with: its ARGs, then
 * its ENV (which wins, as in BuildKit). */
static void stage_vars(const struct stage *s, struct spec_kvlist *vars)
{
	memset(vars, 0, sizeof(*vars));
	for (size_t i = 0; i < s->args.n; i++)
		kv_append(vars, s->args.v[i].key, s->args.v[i].value);
	for (size_t i = 0; i < s->cfg.img.env.n; i++) {
		const char *e = s->cfg.img.env.v[i];
		const char *eq = strchr(e, '=');
		_cleanup_free_ char *k = eq ? xstrndup(e, (size_t)(eq - e)) : xstrdup(e);
		kv_append(vars, k, eq ? eq + 1 : "");
	}
}

void bx_hash_str(struct st_sha256 *h, const char *s)
{
	st_sha256_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

void bx_hash_strv(struct st_sha256 *h, const struct strv *v)
{
	char n[32];
	snprintf(n, sizeof(n), "[%zu]", v->n);
	bx_hash_str(h, n);
	for (size_t i = 0; i < v->n; i++)
		bx_hash_str(h, v->v[i]);
}

/* The instruction as written, for keys: command, flags, arguments, form,
 * heredocs. */
static void hash_instr(struct st_sha256 *h, const struct df_instr *in)
{
	bx_hash_str(h, df_cmd_name(in->cmd));
	bx_hash_strv(h, &in->flags);
	bx_hash_strv(h, &in->args);
	bx_hash_str(h, in->json ? "json" : "shell");
	for (size_t i = 0; i < in->n_heredocs; i++) {
		bx_hash_str(h, in->heredocs[i].name);
		bx_hash_str(h, in->heredocs[i].content);
	}
}

/* "RUN apt-get install ...": the instruction as progress lines show it. */
char *bx_instr_text(const struct df_instr *in)
{
	struct strbuf b = {0};
	char *u = xstrdup(df_cmd_name(in->cmd));
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	strbuf_adds(&b, u);
	free(u);
	for (size_t i = 0; i < in->flags.n; i++) {
		strbuf_addc(&b, ' ');
		strbuf_adds(&b, in->flags.v[i]);
	}
	if (in->json) {
		strbuf_adds(&b, " [");
		for (size_t i = 0; i < in->args.n; i++) {
			strbuf_adds(&b, i ? ", \"" : "\"");
			strbuf_adds(&b, in->args.v[i]);
			strbuf_addc(&b, '"');
		}
		strbuf_addc(&b, ']');
	} else if (in->cmd == DF_ENV || in->cmd == DF_LABEL) {
		for (size_t i = 0; i + 1 < in->args.n; i += 2) {
			strbuf_addc(&b, ' ');
			strbuf_adds(&b, in->args.v[i]);
			strbuf_addc(&b, '=');
			strbuf_adds(&b, in->args.v[i + 1]);
		}
	} else {
		for (size_t i = 0; i < in->args.n; i++) {
			strbuf_addc(&b, ' ');
			strbuf_adds(&b, in->args.v[i]);
		}
	}
	char *s = strbuf_take(&b);
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	if (strlen(s) > 100)
		strcpy(s + 97, "...");
	return s;
}

int bx_user_error(st_error_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	return st_error(err, 0, "%s", msg);
}

int bx_expand(const struct exec *x, const struct stage *s, const char *word, char **out, st_error_t *err)
{
	struct spec_kvlist vars;
	stage_vars(s, &vars);
	_cleanup_free_ char *msg = NULL;
	int r = build_expand_word(word, x->escape, &vars, out, &msg);
	spec_kvlist_free(&vars);
	return r < 0 ? bx_user_error(err, "%s", msg) : 0;
}

const char *bx_flag_value(const struct df_instr *in, const char *name)
{
	size_t n = strlen(name);
	const char *v = NULL;
	for (size_t i = 0; i < in->flags.n; i++)
		if (!strncmp(in->flags.v[i], "--", 2) && !strncmp(in->flags.v[i] + 2, name, n) &&
		    in->flags.v[i][2 + n] == '=')
			v = in->flags.v[i] + 3 + n;
	return v;
}

/* Flags the parser accepts (they are BuildKit's) that this builder does
 * not implement: an error, never ignored. */
int bx_refuse_flags(const struct df_instr *in, const char *const *names, st_error_t *err)
{
	for (size_t i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		for (size_t k = 0; k < in->flags.n; k++) {
			const char *f = in->flags.v[k] + 2;
			if (!strncmp(f, names[i], n) && (f[n] == '\0' || f[n] == '='))
				return bx_user_error(err, "the flag --%s is not supported by stack's builder yet; remove it",
						  names[i]);
		}
	}
	return 0;
}

/* ---- stages ---- */

static ssize_t stage_of_line(const struct exec *x, int line)
{
	for (size_t i = x->n_stages; i-- > 0;)
		if (x->df->v[x->stages[i].first].line <= line)
			return (ssize_t)i;
	return -1;
}

/* The plan's resolution of the FROM (copy false) or --from (copy true) at line. */
const struct build_from *bx_from_at(const struct exec *x, int line, bool copy)
{
	for (size_t i = 0; i < x->node->n_froms; i++)
		if (x->node->froms[i].line == line && x->node->froms[i].copy == copy)
			return &x->node->froms[i];
	return NULL;
}

static void split_stages(struct exec *x)
{
	for (size_t i = 0; i < x->df->n; i++) {
		const struct df_instr *in = &x->df->v[i];
		if (in->cmd != DF_FROM)
			continue;
		x->stages = xrealloc(x->stages, (x->n_stages + 1) * sizeof(*x->stages));
		struct stage *s = &x->stages[x->n_stages++];
		memset(s, 0, sizeof(*s));
		s->first = i;
		if (in->args.n == 3) {
			s->name = xstrdup(in->args.v[2]);
			for (char *c = s->name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		}
	}
	for (size_t k = 0; k < x->n_stages; k++)
		x->stages[k].end = k + 1 < x->n_stages ? x->stages[k + 1].first : x->df->n;
}

/* The target and every stage it reaches through FROM and COPY --from. */
static void mark_needed(struct exec *x)
{
	size_t target = x->n_stages - 1;
	if (x->image->target)
		for (size_t k = 0; k < x->n_stages; k++)
			if (x->stages[k].name && !strcasecmp(x->stages[k].name, x->image->target))
				target = k;
	x->stages[target].needed = true;
	for (size_t k = x->n_stages; k-- > 0;) {
		if (!x->stages[k].needed)
			continue;
		for (size_t i = 0; i < x->node->n_froms; i++) {
			const struct build_from *f = &x->node->froms[i];
			if (f->kind == BUILD_FROM_STAGE && stage_of_line(x, f->line) == (ssize_t)k && f->index < k)
				x->stages[f->index].needed = true;
		}
	}
	for (size_t k = 0; k <= target; k++)
		if (x->stages[k].needed)
			x->total += (int)(x->stages[k].end - x->stages[k].first);
	/* Stages after the target are never built. */
	for (size_t k = target + 1; k < x->n_stages; k++)
		x->stages[k].needed = false;
}

/* ---- the global scope ---- */

/* ARG NAME[=DEFAULT]...: `args:` of the image win over the default; a
 * stage's ARG without either takes the global ARG's value.  `shown`
 * gets "NAME=VALUE" per ARG for the cache key. */
static int declare_args(struct exec *x, const struct df_instr *in, struct spec_kvlist *scope,
			const struct spec_kvlist *global, struct strv *shown, st_error_t *err)
{
	for (size_t i = 0; i < in->args.n; i++) {
		_cleanup_free_ char *w = xstrdup(in->args.v[i]);
		char *eq = strchr(w, '=');
		if (eq)
			*eq = '\0';
		const struct spec_kv *over = spec_kvlist_get(&x->image->args, w);
		_cleanup_free_ char *v = NULL;
		bool set = true;
		if (over && over->value) {
			v = xstrdup(over->value);
		} else if (eq) {
			_cleanup_free_ char *msg = NULL;
			if (build_expand_word(eq + 1, x->escape, scope, &v, &msg) < 0)
				return bx_user_error(err, "ARG %s: %s", w, msg);
		} else {
			const struct spec_kv *g = global ? bx_kv_last(global, w) : NULL;
			if (g && g->value)
				v = xstrdup(g->value);
			else
				set = false;
		}
		kv_append(scope, w, set ? v : NULL);
		if (shown)
			strv_pushf(shown, "%s%s%s", w, set ? "=" : "", set ? v : "");
	}
	return 0;
}

static int global_scope(struct exec *x, st_error_t *err)
{
	build_platform_args(&x->global);
	for (size_t i = 0; i < x->df->n && x->df->v[i].cmd != DF_FROM; i++) {
		const struct df_instr *in = &x->df->v[i];
		if (in->cmd == DF_ARG && declare_args(x, in, &x->global, NULL, NULL, err) < 0)
			return st_error_prefix(err, "%s:%d", x->df->path, in->line);
	}
	return 0;
}

/* ---- FROM ---- */

static void chain_from(struct stage *s, const char *what)
{
	struct st_sha256 h;
	st_error_t err = NULL;
	if (st_sha256_begin(&h, &err) < 0) {
		st_error_free(&err);
		memset(s->chain, '0', ST_SHA256_HEX_LEN);
		s->chain[ST_SHA256_HEX_LEN] = '\0';
		return;
	}
	bx_hash_str(&h, "from");
	bx_hash_str(&h, what);
	_cleanup_free_ char *ident = bcfg_identity(&s->cfg);
	bx_hash_str(&h, ident);
	st_sha256_end_hex(&h, s->chain);
}

int bx_load_image(const struct exec *x, const struct build_from *f, struct bcfg *out, bool *work,
		      st_error_t *err)
{
	const struct spec_stack *st = x->cx->stack;
	struct img_image img = {0};
	*work = false;
	if (f->kind == BUILD_FROM_IMAGE) {
		const char *name = x->cx->plan->nodes[f->index].image->name;
		int found = img_image_read(x->cx->store, name, &img, err);
		if (found < 0)
			return -1;
		if (found == 0)
			return bx_user_error(err, "image `%s` is not built (its build failed or was not asked for)", name);
	} else if (f->index < st->n_bases) {
		const struct spec_base *b = &st->bases[f->index];
		/* Imported now (a first use, or --pull): that is work done. */
		if (build_base_resolve(x->cx->store, b, x->cx->pull, stderr, false, &img, work, err) < 0)
			return -1;
	} else {
		size_t p = f->index - st->n_bases;
		const char *ref = p < x->cx->plan->n_pulls ? x->cx->plan->pulls[p].ref : f->name;
		return bx_user_error(err, "`%s` is a registry image (%s) and pulling from a registry is not available yet; "
				       "define it under `bases:` (e.g. `%s: {rootfs: ./rootfs}`)", f->name, ref, f->name);
	}
	bcfg_from_image(out, &img);
	img_image_free(&img);
	return 0;
}

static int do_from(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	const char *platform = bx_flag_value(in, "platform");
	if (platform) {
		_cleanup_free_ char *p = NULL, *msg = NULL;
		if (build_expand_word(platform, x->escape, &x->global, &p, &msg) < 0)
			return bx_user_error(err, "--platform=%s: %s", platform, msg);
		if (strcmp(p, "linux/amd64") != 0)
			return bx_user_error(err, "--platform=%s: stack builds linux/amd64 images only", p);
	}
	const struct build_from *f = bx_from_at(x, in->line, false);
	if (!f)
		return bx_user_error(err, "FROM: the build plan has no resolution for this line");
	*cached = true;
	switch (f->kind) {
	case BUILD_FROM_STAGE: {
		const struct stage *src = &x->stages[f->index];
		if (!src->built)
			return bx_user_error(err, "FROM %s: stage `%s` was not built", f->name, f->name);
		bcfg_copy(&s->cfg, &src->cfg);
		memcpy(s->chain, src->chain, sizeof(s->chain));
		break;
	}
	case BUILD_FROM_SCRATCH:
		bcfg_reset(&s->cfg);
		chain_from(s, "scratch");
		break;
	case BUILD_FROM_IMAGE:
	case BUILD_FROM_BASE: {
		bool work = false;
		bcfg_reset(&s->cfg);
		if (bx_load_image(x, f, &s->cfg, &work, err) < 0)
			return -1;
		*cached = !work;
		chain_from(s, "image");
		break;
	}
	}
	/* A stage starts with no ARGs but those it declares; ENTRYPOINT
	 * resets an inherited CMD only. */
	s->cfg.cmd_set_here = false;
	return 0;
}

/* ---- steps with a cache entry ---- */

/* The key of a step: chain, then what the caller adds, in h. */
int bx_key_begin(const struct stage *s, const struct df_instr *in, struct st_sha256 *h, st_error_t *err)
{
	if (st_sha256_begin(h, err) < 0)
		return -1;
	bx_hash_str(h, s->chain);
	hash_instr(h, in);
	return 0;
}

void bx_add_layer(struct stage *s, const char *layer)
{
	if (layer)
		strv_push(&s->cfg.img.layers, layer);
}

/* ---- config-only steps ---- */

static int do_config(struct exec *x, struct stage *s, const struct df_instr *in, struct strv *keyed, st_error_t *err)
{
	struct strv vals = {0};
	int r = 0;
	switch (in->cmd) {
	case DF_ENV:
	case DF_LABEL:
		for (size_t i = 0; r == 0 && i + 1 < in->args.n; i += 2) {
			_cleanup_free_ char *k = NULL, *v = NULL;
			r = bx_expand(x, s, in->args.v[i], &k, err);
			if (r == 0)
				r = bx_expand(x, s, in->args.v[i + 1], &v, err);
			if (r < 0)
				break;
			if (in->cmd == DF_ENV)
				bcfg_env_set(&s->cfg, k, v);
			else
				img_image_set_label(&s->cfg.img, k, v);
		}
		break;
	case DF_ARG:
		r = declare_args(x, in, &s->args, &x->global, keyed, err);
		break;
	case DF_WORKDIR: {
		_cleanup_free_ char *w = NULL;
		if ((r = bx_expand(x, s, in->args.v[0], &w, err)) < 0)
			break;
		char *clean = fs_path_join_clean(s->cfg.img.working_dir ? s->cfg.img.working_dir : "/", w);
		free(s->cfg.img.working_dir);
		s->cfg.img.working_dir = clean;
		break;
	}
	case DF_USER: {
		_cleanup_free_ char *u = NULL;
		if ((r = bx_expand(x, s, in->args.v[0], &u, err)) < 0)
			break;
		free(s->cfg.img.user);
		s->cfg.img.user = steal_pointer(&u);
		break;
	}
	case DF_EXPOSE:
		for (size_t i = 0; r == 0 && i < in->args.n; i++) {
			_cleanup_free_ char *p = NULL;
			if ((r = bx_expand(x, s, in->args.v[i], &p, err)) < 0)
				break;
			r = bcfg_expose(&s->cfg, p, err);
		}
		break;
	case DF_VOLUME:
		for (size_t i = 0; r == 0 && i < in->args.n; i++) {
			_cleanup_free_ char *p = NULL;
			if ((r = bx_expand(x, s, in->args.v[i], &p, err)) < 0)
				break;
			bcfg_volume(&s->cfg, p);
		}
		break;
	case DF_STOPSIGNAL: {
		_cleanup_free_ char *v = NULL;
		if ((r = bx_expand(x, s, in->args.v[0], &v, err)) < 0)
			break;
		r = bcfg_stop_signal(&s->cfg, v, err);
		break;
	}
	case DF_CMD:
	case DF_ENTRYPOINT:
		if (in->json) {
			strv_copy(&vals, &in->args);
		} else {
			strv_copy(&vals, &s->cfg.shell);
			strv_push(&vals, in->args.n ? in->args.v[0] : "");
		}
		if (in->cmd == DF_CMD) {
			strv_free(&s->cfg.img.cmd);
			strv_copy(&s->cfg.img.cmd, &vals);
			s->cfg.cmd_set_here = true;
		} else {
			strv_free(&s->cfg.img.entrypoint);
			strv_copy(&s->cfg.img.entrypoint, &vals);
			/* Docker: an ENTRYPOINT resets the CMD a base image had. */
			if (!s->cfg.cmd_set_here)
				strv_free(&s->cfg.img.cmd);
		}
		break;
	case DF_SHELL:
		strv_free(&s->cfg.shell);
		strv_copy(&s->cfg.shell, &in->args);
		break;
	case DF_HEALTHCHECK:
		r = bcfg_healthcheck(&s->cfg, in, err);
		break;
	case DF_ONBUILD:
		strv_push(&s->cfg.img.on_build, in->args.v[0]);
		break;
	case DF_MAINTAINER:
		free(s->cfg.img.author);
		s->cfg.img.author = xstrdup(in->args.v[0]);
		break;
	default:
		r = bx_user_error(err, "instruction %s is not handled", df_cmd_name(in->cmd));
	}
	strv_free(&vals);
	return r;
}

/* A config-only step has a cache entry too (with no layer), so a build
 * says CACHED for it when it has made it before. */
static int config_step(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	struct strv keyed = {0};
	int r = do_config(x, s, in, &keyed, err);
	struct st_sha256 h;
	if (r == 0 && (r = bx_key_begin(s, in, &h, err)) == 0) {
		bx_hash_strv(&h, &keyed);
		char key[ST_SHA256_HEX_LEN + 1];
		st_sha256_end_hex(&h, key);
		char *layer = NULL;
		*cached = !x->cx->no_cache && build_cache_get(x->cx->store, key, &layer) == 1;
		free(layer);
		if (!*cached)
			r = build_cache_put(x->cx->store, key, NULL, err);
		memcpy(s->chain, key, sizeof(key));
	}
	strv_free(&keyed);
	return r;
}

/* ---- the loop ---- */

static int run_instr(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	switch (in->cmd) {
	case DF_FROM:
		return do_from(x, s, in, cached, err);
	case DF_RUN:
		return bx_run(x, s, in, cached, err);
	case DF_COPY:
	case DF_ADD:
		return bx_copy(x, s, in, cached, err);
	default:
		return config_step(x, s, in, cached, err);
	}
}

/* ONBUILD triggers of the image a stage starts FROM run right after it,
 * as Docker runs them (then they are not inherited further). */
static int run_triggers(struct exec *x, struct stage *s, const struct df_instr *from, st_error_t *err)
{
	if (!s->cfg.img.on_build.n)
		return 0;
	struct strv triggers = {0};
	strv_copy(&triggers, &s->cfg.img.on_build);
	strv_free(&s->cfg.img.on_build);
	int r = 0;
	for (size_t i = 0; r == 0 && i < triggers.n; i++) {
		_cleanup_free_ char *text = xasprintf("%s\n", triggers.v[i]);
		_cleanup_free_ char *path = xasprintf("%s:%d (ONBUILD of the base image)", x->df->path, from->line);
		struct diag_list diags = {0};
		struct df_file *df = NULL;
		/* Triggers are parsed as lines of a Dockerfile; one without a
		 * FROM is not a whole file, so this parse is only of the line. */
		_cleanup_free_ char *file = xasprintf("FROM scratch\n%s", text);
		if (df_parse(path, file, strlen(file), &df, &diags) < 0 || !df || df->n < 2) {
			r = bx_user_error(err, "ONBUILD %s: cannot parse the trigger", triggers.v[i]);
		} else {
			struct df_instr *in = &df->v[1];
			in->line = from->line;
			if (in->cmd == DF_COPY && bx_flag_value(in, "from"))
				r = bx_user_error(err, "ONBUILD COPY --from is not supported by stack's builder");
			else {
				bool cached = false;
				int64_t t0 = now_ms();
				_cleanup_free_ char *shown = bx_instr_text(in);
				r = run_instr(x, s, in, &cached, err);
				if (r < 0)
					st_error_prefix(err, "%s:%d: ONBUILD %s", x->df->path, from->line, shown);
				else if (x->cx->ev && x->cx->ev->step) {
					_cleanup_free_ char *t = xasprintf("ONBUILD %s", shown);
					x->cx->ev->step(x->cx->ev->data, x->image->name, x->step, x->total, t, cached,
							now_ms() - t0);
				}
			}
		}
		df_free(df);
		diag_free(&diags);
	}
	strv_free(&triggers);
	return r;
}

static int build_stage(struct exec *x, struct stage *s, st_error_t *err)
{
	for (size_t i = s->first; i < s->end; i++) {
		const struct df_instr *in = &x->df->v[i];
		if (st_interrupted()) {
			char sig_name[32];
			return st_error(err, EINTR, "stopped by %s",
					st_signal_name(st_interrupted(), sig_name, sizeof(sig_name)));
		}
		x->step++;
		bool cached = false;
		int64_t t0 = now_ms();
		_cleanup_free_ char *shown = bx_instr_text(in);
		size_t layers = s->cfg.img.layers.n;
		if (x->cx->ev && x->cx->ev->step_begin)
			x->cx->ev->step_begin(x->cx->ev->data, x->image->name, x->step, x->total, shown);
		if (run_instr(x, s, in, &cached, err) < 0)
			return st_error_prefix(err, "%s:%d: %s", x->df->path, in->line, shown);
		if (in->cmd != DF_FROM)
			bcfg_history(&s->cfg, shown, s->cfg.img.layers.n == layers);
		if (x->cx->ev && x->cx->ev->step)
			x->cx->ev->step(x->cx->ev->data, x->image->name, x->step, x->total, shown, cached, now_ms() - t0);
		if (in->cmd == DF_FROM && run_triggers(x, s, in, err) < 0)
			return -1;
	}
	s->built = true;
	return 0;
}

/* The ref already names this very config (an image's id is its config's
 * digest): a no-op rebuild writes nothing. */
static bool unchanged(const struct img_store *store, const struct img_image *img)
{
	_cleanup_free_ char *have = NULL;
	if (img_ref_resolve(store, img->name, &have, NULL) != 1)
		return false;
	_cleanup_free_ char *json = img_config_json(img);
	st_error_t err = NULL;
	char hex[ST_SHA256_HEX_LEN + 1];
	if (st_sha256_hex(json, strlen(json), hex, &err) < 0) {
		st_error_free(&err);
		return false;
	}
	_cleanup_free_ char *blob = img_blob_path(store, have);
	struct stat st;
	return !strncmp(have, "sha256:", 7) && !strcmp(have + 7, hex) && stat(blob, &st) == 0;
}

int build_image(const struct build_image_ctx *cx, st_error_t *err)
{
	struct exec x = {
		.cx = cx,
		.node = &cx->plan->nodes[cx->node],
		.image = cx->plan->nodes[cx->node].image,
	};
	x.df = x.node->dockerfile;
	if (!x.df || !x.df->n)
		return st_error(err, 0, "image `%s` has no Dockerfile to build", x.image->name);
	x.escape = x.df->escape ? x.df->escape : '\\';
	split_stages(&x);
	int r = -1;
	if (!x.n_stages) {
		st_error(err, 0, "image `%s`: its Dockerfile has no FROM", x.image->name);
		goto out;
	}
	mark_needed(&x);
	if (global_scope(&x, err) < 0)
		goto out;
	size_t last = 0;
	for (size_t k = 0; k < x.n_stages; k++) {
		struct stage *s = &x.stages[k];
		bcfg_init(&s->cfg);
		if (!s->needed)
			continue;
		if (build_stage(&x, s, err) < 0)
			goto out;
		last = k;
	}
	struct img_image *img = &x.stages[last].cfg.img;
	free(img->name);
	img->name = xstrdup(x.image->name);
	free(img->source);
	img->source = NULL;
	r = unchanged(cx->store, img) ? 0 : img_image_write(cx->store, img, NULL, err);
out:
	for (size_t k = 0; k < x.n_stages; k++) {
		free(x.stages[k].name);
		bcfg_free(&x.stages[k].cfg);
		spec_kvlist_free(&x.stages[k].args);
	}
	free(x.stages);
	spec_kvlist_free(&x.global);
	build_host_apt_free(&x.apt);
	if (r < 0)
		st_error_prefix(err, "image `%s`", x.image->name);
	return r;
}
