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
#include "builder/exec.h"
#include "builder/base.h"
#include "builder/cache.h"
#include "builder/copy.h"
#include "builder/exec_config.h"
#include "builder/run.h"
#include "builder/run_mount.h"
#include "builder/tree.h"
#include "spec/units.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

/* ARGs Docker passes to RUN without an ARG instruction, and keeps out of
 * the cache key (a proxy must not rebuild everything). */
static const char *const predefined_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

struct stage {
	char *name; /* lower-case AS name, or NULL */
	size_t first, end; /* its instructions: df->v[first] is the FROM */
	bool needed, built;
	struct bcfg cfg;
	struct spec_kvlist args; /* the stage's ARGs, with their values */
	char chain[ST_SHA256_HEX_LEN + 1];
};

struct exec {
	const struct build_image_ctx *cx;
	const struct build_node *node;
	const struct spec_image *image;
	const struct df_file *df;
	char escape;
	struct stage *stages;
	size_t n_stages;
	struct spec_kvlist global; /* platform ARGs and the ARGs before the first FROM */
	int step, total;
};

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

static const struct spec_kv *kv_last(const struct spec_kvlist *l, const char *key)
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

static void hash_str(struct st_sha256 *h, const char *s)
{
	st_sha256_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void hash_strv(struct st_sha256 *h, const struct strv *v)
{
	char n[32];
	snprintf(n, sizeof(n), "[%zu]", v->n);
	hash_str(h, n);
	for (size_t i = 0; i < v->n; i++)
		hash_str(h, v->v[i]);
}

/* The instruction as written, for keys: command, flags, arguments, form,
 * heredocs. */
static void hash_instr(struct st_sha256 *h, const struct df_instr *in)
{
	hash_str(h, df_cmd_name(in->cmd));
	hash_strv(h, &in->flags);
	hash_strv(h, &in->args);
	hash_str(h, in->json ? "json" : "shell");
	for (size_t i = 0; i < in->n_heredocs; i++) {
		hash_str(h, in->heredocs[i].name);
		hash_str(h, in->heredocs[i].content);
	}
}

/* "RUN apt-get install ...": the instruction as progress lines show it. */
static char *instr_text(const struct df_instr *in)
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

static int user_error(st_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int user_error(st_error_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	return st_error(err, 0, "%s", msg);
}

static int expand(const struct exec *x, const struct stage *s, const char *word, char **out, st_error_t *err)
{
	struct spec_kvlist vars;
	stage_vars(s, &vars);
	_cleanup_free_ char *msg = NULL;
	int r = build_expand_word(word, x->escape, &vars, out, &msg);
	spec_kvlist_free(&vars);
	return r < 0 ? user_error(err, "%s", msg) : 0;
}

static const char *flag_value(const struct df_instr *in, const char *name)
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
static int refuse_flags(const struct df_instr *in, const char *const *names, st_error_t *err)
{
	for (size_t i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		for (size_t k = 0; k < in->flags.n; k++) {
			const char *f = in->flags.v[k] + 2;
			if (!strncmp(f, names[i], n) && (f[n] == '\0' || f[n] == '='))
				return user_error(err, "the flag --%s is not supported by stack's builder yet; remove it",
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
static const struct build_from *from_at(const struct exec *x, int line, bool copy)
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

static void platform_args(struct spec_kvlist *vars)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"},
	};
	struct utsname u;
	const char *arch = "amd64";
	if (uname(&u) == 0) {
		arch = u.machine;
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(u.machine, map[i][0]))
				arch = map[i][1];
	}
	_cleanup_free_ char *platform = xasprintf("linux/%s", arch);
	for (int t = 0; t < 2; t++) {
		const char *p = t ? "TARGET" : "BUILD";
		char k[32];
		snprintf(k, sizeof(k), "%sPLATFORM", p);
		kv_append(vars, k, platform);
		snprintf(k, sizeof(k), "%sOS", p);
		kv_append(vars, k, "linux");
		snprintf(k, sizeof(k), "%sARCH", p);
		kv_append(vars, k, arch);
		snprintf(k, sizeof(k), "%sVARIANT", p);
		kv_append(vars, k, "");
	}
}

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
				return user_error(err, "ARG %s: %s", w, msg);
		} else {
			const struct spec_kv *g = global ? kv_last(global, w) : NULL;
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
	platform_args(&x->global);
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
	hash_str(&h, "from");
	hash_str(&h, what);
	_cleanup_free_ char *ident = bcfg_identity(&s->cfg);
	hash_str(&h, ident);
	st_sha256_end_hex(&h, s->chain);
}

static int load_image(const struct exec *x, const struct build_from *f, struct bcfg *out, bool *work,
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
			return user_error(err, "image `%s` is not built (its build failed or was not asked for)", name);
	} else if (f->index < st->n_bases) {
		const struct spec_base *b = &st->bases[f->index];
		/* Imported now (a first use, or --pull): that is work done. */
		if (build_base_resolve(x->cx->store, b, x->cx->pull, &img, work, err) < 0)
			return -1;
	} else {
		size_t p = f->index - st->n_bases;
		const char *ref = p < x->cx->plan->n_pulls ? x->cx->plan->pulls[p].ref : f->name;
		return user_error(err, "`%s` is a registry image (%s) and pulling from a registry is not available yet; "
				       "define it under `bases:` (e.g. `%s: {rootfs: ./rootfs}`)", f->name, ref, f->name);
	}
	bcfg_from_image(out, &img);
	img_image_free(&img);
	return 0;
}

static int do_from(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	const char *platform = flag_value(in, "platform");
	if (platform) {
		_cleanup_free_ char *p = NULL, *msg = NULL;
		if (build_expand_word(platform, x->escape, &x->global, &p, &msg) < 0)
			return user_error(err, "--platform=%s: %s", platform, msg);
		if (strcmp(p, "linux/amd64") != 0)
			return user_error(err, "--platform=%s: stack builds linux/amd64 images only", p);
	}
	const struct build_from *f = from_at(x, in->line, false);
	if (!f)
		return user_error(err, "FROM: the build plan has no resolution for this line");
	*cached = true;
	switch (f->kind) {
	case BUILD_FROM_STAGE: {
		const struct stage *src = &x->stages[f->index];
		if (!src->built)
			return user_error(err, "FROM %s: stage `%s` was not built", f->name, f->name);
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
		if (load_image(x, f, &s->cfg, &work, err) < 0)
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
static int key_begin(const struct stage *s, const struct df_instr *in, struct st_sha256 *h, st_error_t *err)
{
	if (st_sha256_begin(h, err) < 0)
		return -1;
	hash_str(h, s->chain);
	hash_instr(h, in);
	return 0;
}

static void add_layer(struct stage *s, const char *layer)
{
	if (layer)
		strv_push(&s->cfg.img.layers, layer);
}

/* ---- RUN ---- */

static void run_output(void *data, const char *line, size_t len)
{
	const struct exec *x = data;
	if (x->cx->ev && x->cx->ev->output)
		x->cx->ev->output(x->cx->ev->data, x->image->name, line, len);
}

static int do_run(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	static const char *const unsupported[] = {"security", NULL};
	if (refuse_flags(in, unsupported, err) < 0)
		return -1;
	if (in->n_heredocs)
		return user_error(err, "RUN with a heredoc is not supported by stack's builder yet; write the script "
				       "to a file, COPY it and RUN it");
	bool none = x->image->network_none;
	const char *net = flag_value(in, "network");
	if (net) {
		if (!strcmp(net, "none"))
			none = true;
		else if (!strcmp(net, "host"))
			none = false;
		else if (strcmp(net, "default"))
			return user_error(err, "RUN --network=%s: the network is `default` (the host's), `host` or `none`",
					  net);
	}
	struct strv argv = {0}, env = {0};
	if (in->json) {
		strv_copy(&argv, &in->args);
	} else {
		strv_copy(&argv, &s->cfg.shell);
		strv_push(&argv, in->args.n ? in->args.v[0] : "");
	}
	if (!argv.n) {
		strv_free(&argv);
		return user_error(err, "RUN needs a command");
	}
	/* The build args, under the image's ENV (which wins). */
	struct st_sha256 h;
	if (key_begin(s, in, &h, err) < 0) {
		strv_free(&argv);
		return -1;
	}
	hash_str(&h, none ? "network=none" : "network=host");
	for (size_t i = 0; i < s->args.n; i++) {
		const struct spec_kv *a = &s->args.v[i];
		if (!a->value || kv_last(&s->args, a->key) != a || bcfg_env_get(&s->cfg, a->key))
			continue;
		strv_pushf(&env, "%s=%s", a->key, a->value);
		hash_str(&h, env.v[env.n - 1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(predefined_args); i++) {
		const struct spec_kv *a = spec_kvlist_get(&x->image->args, predefined_args[i]);
		if (a && a->value && !kv_last(&s->args, a->key) && !bcfg_env_get(&s->cfg, a->key))
			strv_pushf(&env, "%s=%s", a->key, a->value);
	}
	strv_copy(&env, &s->cfg.img.env);
	char key[ST_SHA256_HEX_LEN + 1];
	st_sha256_end_hex(&h, key);

	int r = 0;
	char *layer = NULL;
	struct build_mounts mounts = {0};
	if (!x->cx->no_cache && build_cache_get(x->cx->store, key, &layer) == 1) {
		*cached = true;
	} else {
		*cached = false;
		struct strv specs = {0};
		for (size_t i = 0; r == 0 && i < in->flags.n; i++) {
			if (strncmp(in->flags.v[i], "--mount=", 8))
				continue;
			char *v = NULL;
			if ((r = expand(x, s, in->flags.v[i] + 8, &v, err)) == 0)
				strv_push_take(&specs, v);
		}
		if (r == 0)
			r = build_mounts_make(&specs, x->cx->paths->root, x->cx->stack, x->image, s->cfg.img.working_dir,
					      &mounts, err);
		strv_free(&specs);
		if (r < 0)
			goto done;
		struct build_run run = {
			.paths = x->cx->paths,
			.stack = x->cx->stack,
			.store = x->cx->store,
			.layers = &s->cfg.img.layers,
			.argv = (const char *const *)strv_argv(&argv),
			.env = (const char *const *)strv_argv(&env),
			.cwd = s->cfg.img.working_dir ? s->cfg.img.working_dir : "/",
			.user = s->cfg.img.user && *s->cfg.img.user ? s->cfg.img.user : NULL,
			.network_none = none,
			.mounts = mounts.v,
			.n_mounts = mounts.n,
			.remove = &mounts.secret_targets,
			.output = run_output,
			.output_data = x,
		};
		int code = -1;
		r = build_run_step(&run, &layer, &code, err);
		if (r == 0)
			r = build_cache_put(x->cx->store, key, layer, err);
	}
done:
	build_mounts_free(&mounts);
	if (r == 0) {
		add_layer(s, layer);
		memcpy(s->chain, key, sizeof(key));
	}
	free(layer);
	strv_free(&argv);
	strv_free(&env);
	return r;
}

/* ---- COPY / ADD ---- */

/* --chown=USER[:GROUP], names looked up in the image's /etc/passwd and
 * /etc/group; a user without group gives the same number as the gid. */
static int lookup_id(const struct btree *image, const char *file, const char *name, unsigned long *id)
{
	char *end = NULL;
	*id = strtoul(name, &end, 10);
	if (*name && !*end)
		return 0;
	size_t len = 0;
	_cleanup_free_ char *text = btree_read_small(image, file, 4 << 20, &len);
	if (!text)
		return -1;
	size_t nl = strlen(name);
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, name, nl) && line[nl] == ':') {
			char *f = strchr(line + nl + 1, ':'); /* past the password */
			if (f && isdigit((unsigned char)f[1])) {
				*id = strtoul(f + 1, NULL, 10);
				return 0;
			}
		}
		line = next;
	}
	return -1;
}

static int parse_chown(const struct btree *image, const char *spec, uid_t *uid, gid_t *gid, st_error_t *err)
{
	_cleanup_free_ char *u = xstrdup(spec);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	unsigned long uv, gv;
	if (!*u || lookup_id(image, "/etc/passwd", u, &uv) < 0)
		return user_error(err, "--chown=%s: no user `%s` in the image's /etc/passwd", spec, u);
	if (g && (!*g || lookup_id(image, "/etc/group", g, &gv) < 0))
		return user_error(err, "--chown=%s: no group `%s` in the image's /etc/group", spec, g);
	*uid = (uid_t)uv;
	*gid = (gid_t)(g ? gv : uv);
	return 0;
}

/* A file the stack declares as a secret must not end up in a layer. */
static int secret_guard(const struct exec *x, const struct build_copy_plan *p, st_error_t *err)
{
	const struct spec_stack *st = x->cx->stack;
	for (size_t k = 0; k < st->n_secrets; k++) {
		const struct spec_secret *sec = &st->secrets[k];
		struct stat ss;
		if (!sec->file || stat(sec->file, &ss) < 0)
			continue;
		for (size_t i = 0; i < p->n; i++) {
			const struct stat *fs = &p->v[i].st;
			if (!S_ISREG(fs->st_mode) || fs->st_dev != ss.st_dev || fs->st_ino != ss.st_ino)
				continue;
			return user_error(err, "this would copy `%s`, the file of secret `%s`, into a layer; "
					       "secrets never enter a layer: add `%s` to %s/.dockerignore "
					       "(the service gets it at run time through `secrets:`)",
					  p->v[i].shown, sec->name, p->v[i].shown, x->image->context);
		}
	}
	return 0;
}

static int open_tree_of(const struct exec *x, const struct strv *layers, struct btree *t, st_error_t *err)
{
	struct strv paths = {0};
	for (size_t i = layers->n; i-- > 0;)
		strv_push_take(&paths, img_layer_path(x->cx->store, layers->v[i]));
	int r = btree_open(t, (const char *const *)strv_argv(&paths), paths.n, true, err);
	strv_free(&paths);
	return r;
}

static bool looks_like_archive(const struct btree *t, const struct build_copy_item *it)
{
	if (!S_ISREG(it->st.st_mode))
		return false;
	struct btree_ent e = {.st = it->st, .layer = it->layer};
	st_error_t err = NULL;
	int fd = btree_open_file(t, &e, it->src, &err);
	st_error_free(&err);
	if (fd < 0)
		return false;
	unsigned char b[512] = {0};
	ssize_t n = pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n < 6)
		return false;
	return (b[0] == 0x1f && b[1] == 0x8b) || !memcmp(b, "BZh", 3) || !memcmp(b, "\xfd" "7zXZ", 5) ||
	       !memcmp(b, "\x28\xb5\x2f\xfd", 4) || (n >= 262 && !memcmp(b + 257, "ustar", 5));
}

static int do_copy(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	bool add = in->cmd == DF_ADD;
	const char *cmd = add ? "ADD" : "COPY";
	static const char *const unsupported[] = {"parents", "checksum", "keep-git-dir", NULL};
	if (refuse_flags(in, unsupported, err) < 0)
		return -1;
	if (in->n_heredocs)
		return user_error(err, "%s with a heredoc is not supported by stack's builder yet", cmd);
	struct strv words = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && i < in->args.n; i++) {
		char *w = NULL;
		r = expand(x, s, in->args.v[i], &w, err);
		if (r == 0)
			strv_push_take(&words, w);
	}
	if (r < 0 || words.n < 2) {
		strv_free(&words);
		return r < 0 ? -1 : user_error(err, "%s needs a source and a destination", cmd);
	}
	struct strv srcs = {0};
	for (size_t i = 0; i + 1 < words.n; i++) {
		const char *w = words.v[i];
		if (add && (strstr(w, "://") || !strncmp(w, "git@", 4))) {
			user_error(err, "ADD %s: remote sources are not supported by stack's builder; download "
					"in a RUN step, or put the file in the context", w);
			strv_free(&words);
			strv_free(&srcs);
			return -1;
		}
		strv_push(&srcs, w);
	}
	struct btree image = {0}, from = {0};
	struct build_copy_plan plan = {0};
	_cleanup_free_ char *identity = NULL;
	struct build_ignore ignore = {0}, exclude = {0};
	struct build_copy_src src = {0};
	struct bcfg from_cfg;
	bcfg_init(&from_cfg);
	char *layer = NULL;
	struct st_sha256 h = {0};
	char key[ST_SHA256_HEX_LEN + 1];

	if ((r = open_tree_of(x, &s->cfg.img.layers, &image, err)) < 0)
		goto out;
	struct build_copy_req req = {.cmd = cmd, .srcs = &srcs, .dest = words.v[words.n - 1],
				     .workdir = s->cfg.img.working_dir};
	const char *chown = flag_value(in, "chown"), *chmod = flag_value(in, "chmod");
	if (chown) {
		_cleanup_free_ char *c = NULL;
		if ((r = expand(x, s, chown, &c, err)) < 0 || (r = parse_chown(&image, c, &req.uid, &req.gid, err)) < 0)
			goto out;
		req.chown = true;
	}
	if (chmod) {
		char *end = NULL;
		unsigned long m = strtoul(chmod, &end, 8);
		if (!*chmod || *end || m > 07777) {
			r = user_error(err, "--chmod=%s: give the mode in octal, e.g. --chmod=0755", chmod);
			goto out;
		}
		req.chmod = true;
		req.mode = (mode_t)m;
	}
	const char *from_name = flag_value(in, "from");
	if (from_name) {
		const struct build_from *f = from_at(x, in->line, true);
		if (!f) {
			r = user_error(err, "--from=%s: the build plan has no resolution for this line", from_name);
			goto out;
		}
		const struct bcfg *fc = NULL;
		if (f->kind == BUILD_FROM_STAGE) {
			if (!x->stages[f->index].built) {
				r = user_error(err, "--from=%s: that stage was not built", from_name);
				goto out;
			}
			fc = &x->stages[f->index].cfg;
		} else if (f->kind == BUILD_FROM_SCRATCH) {
			fc = &from_cfg;
		} else {
			bool work = false;
			if ((r = load_image(x, f, &from_cfg, &work, err)) < 0)
				goto out;
			fc = &from_cfg;
		}
		identity = bcfg_identity(fc);
		if ((r = open_tree_of(x, &fc->img.layers, &from, err)) < 0)
			goto out;
		src.tree = &from;
		src.identity = identity;
	} else {
		const char *ctxdir = x->image->context;
		if ((r = btree_open(&from, &ctxdir, 1, false, err)) < 0)
			goto out;
		_cleanup_free_ char *ig = xasprintf("%s/.dockerignore", ctxdir);
		char *text = NULL;
		size_t len = 0;
		st_error_t ierr = NULL;
		if (fs_read_file(ig, 0, &text, &len, &ierr) == 0) {
			build_ignore_parse(text, &ignore);
			free(text);
		} else if (ierr && ierr->status != ENOENT) {
			r = st_error_prefix(&ierr, "read the context's .dockerignore");
			*err = ierr;
			goto out;
		}
		st_error_free(&ierr);
		src.tree = &from;
		src.ignore = &ignore;
		src.digests = x->cx->digests;
	}
	/* --exclude=PATTERN (repeatable): .dockerignore's patterns, for this
	 * instruction's sources only. */
	struct strbuf ex = {0};
	for (size_t i = 0; r == 0 && i < in->flags.n; i++) {
		if (strncmp(in->flags.v[i], "--exclude=", 10))
			continue;
		_cleanup_free_ char *p = NULL;
		if ((r = expand(x, s, in->flags.v[i] + 10, &p, err)) == 0) {
			strbuf_adds(&ex, p);
			strbuf_addc(&ex, '\n');
		}
	}
	if (ex.n) {
		build_ignore_parse(ex.s, &exclude);
		src.exclude = &exclude;
	}
	free(ex.s);
	if (r < 0 || (r = build_copy_select(&src, &image, &req, &plan, err)) < 0)
		goto out;
	if (!from_name && (r = secret_guard(x, &plan, err)) < 0)
		goto out;
	/* ADD unpacks a local archive named as a source (not one found in a
	 * directory it copies), as Docker does. */
	if (add)
		for (size_t i = 0; i < plan.n; i++)
			plan.v[i].extract = plan.v[i].named && looks_like_archive(&from, &plan.v[i]);
	if ((r = key_begin(s, in, &h, err)) < 0)
		goto out;
	build_copy_hash(&plan, &h);
	st_sha256_end_hex(&h, key);
	if (!x->cx->no_cache && build_cache_get(x->cx->store, key, &layer) == 1) {
		*cached = true;
	} else {
		*cached = false;
		_cleanup_free_ char *work = NULL, *dir = NULL;
		_cleanup_close_ int lock = -1;
		if ((r = img_tmp_make(x->cx->store, "build", &work, &lock, err)) < 0)
			goto out;
		dir = xasprintf("%s/layer", work);
		if (mkdir(dir, 0755) < 0)
			r = st_error(err, errno, "mkdir `%s`", dir);
		if (r == 0)
			r = build_copy_write(&src, &image, &plan, dir, err);
		for (size_t i = 0; r == 0 && i < plan.n; i++) {
			if (!plan.v[i].extract)
				continue;
			_cleanup_free_ char *archive = xasprintf("%s/%s", x->image->context, plan.v[i].src);
			_cleanup_free_ char *into = xasprintf("%s/%s", dir, plan.dest);
			r = img_extract_archive(x->cx->store, archive, into, err);
		}
		if (r == 0)
			r = img_layer_commit_dir(x->cx->store, dir, &layer, err);
		fs_remove_tree(work, NULL);
		if (r == 0)
			r = build_cache_put(x->cx->store, key, layer, err);
	}
	if (r == 0) {
		add_layer(s, layer);
		memcpy(s->chain, key, sizeof(key));
	}
out:
	free(layer);
	build_copy_plan_free(&plan);
	build_ignore_free(&ignore);
	build_ignore_free(&exclude);
	btree_close(&image);
	btree_close(&from);
	bcfg_free(&from_cfg);
	strv_free(&words);
	strv_free(&srcs);
	return r;
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
			r = expand(x, s, in->args.v[i], &k, err);
			if (r == 0)
				r = expand(x, s, in->args.v[i + 1], &v, err);
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
		if ((r = expand(x, s, in->args.v[0], &w, err)) < 0)
			break;
		char *clean = fs_path_join_clean(s->cfg.img.working_dir ? s->cfg.img.working_dir : "/", w);
		free(s->cfg.img.working_dir);
		s->cfg.img.working_dir = clean;
		break;
	}
	case DF_USER: {
		_cleanup_free_ char *u = NULL;
		if ((r = expand(x, s, in->args.v[0], &u, err)) < 0)
			break;
		free(s->cfg.img.user);
		s->cfg.img.user = steal_pointer(&u);
		break;
	}
	case DF_EXPOSE:
		for (size_t i = 0; r == 0 && i < in->args.n; i++) {
			_cleanup_free_ char *p = NULL;
			if ((r = expand(x, s, in->args.v[i], &p, err)) < 0)
				break;
			r = bcfg_expose(&s->cfg, p, err);
		}
		break;
	case DF_VOLUME:
		for (size_t i = 0; r == 0 && i < in->args.n; i++) {
			_cleanup_free_ char *p = NULL;
			if ((r = expand(x, s, in->args.v[i], &p, err)) < 0)
				break;
			bcfg_volume(&s->cfg, p);
		}
		break;
	case DF_STOPSIGNAL: {
		_cleanup_free_ char *v = NULL;
		if ((r = expand(x, s, in->args.v[0], &v, err)) < 0)
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
		r = user_error(err, "instruction %s is not handled", df_cmd_name(in->cmd));
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
	if (r == 0 && (r = key_begin(s, in, &h, err)) == 0) {
		hash_strv(&h, &keyed);
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
		return do_run(x, s, in, cached, err);
	case DF_COPY:
	case DF_ADD:
		return do_copy(x, s, in, cached, err);
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
			r = user_error(err, "ONBUILD %s: cannot parse the trigger", triggers.v[i]);
		} else {
			struct df_instr *in = &df->v[1];
			in->line = from->line;
			if (in->cmd == DF_COPY && flag_value(in, "from"))
				r = user_error(err, "ONBUILD COPY --from is not supported by stack's builder");
			else {
				bool cached = false;
				int64_t t0 = now_ms();
				_cleanup_free_ char *shown = instr_text(in);
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
		_cleanup_free_ char *shown = instr_text(in);
		size_t layers = s->cfg.img.layers.n;
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
	struct st_sha256 h;
	st_error_t err = NULL;
	if (st_sha256_begin(&h, &err) < 0) {
		st_error_free(&err);
		return false;
	}
	char hex[ST_SHA256_HEX_LEN + 1];
	st_sha256_update(&h, json, strlen(json));
	st_sha256_end_hex(&h, hex);
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
	if (r < 0)
		st_error_prefix(err, "image `%s`", x.image->name);
	return r;
}
