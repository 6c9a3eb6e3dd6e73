/* RUN: a build container over the stage's layers (run.h), with the
 * stage's user, env (the build args under the image's ENV), working dir,
 * shell and network, and its --mount=s (run_mount.h). */
#include "builder/cache.h"
#include "builder/exec_int.h"
#include "builder/run.h"
#include "builder/run_mount.h"
#include "util/mem.h"

#include <string.h>

/* ARGs Docker passes to RUN without an ARG instruction, and keeps out of
 * the cache key (a proxy must not rebuild everything). */
static const char *const predefined_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

/* ---- RUN ---- */

static void run_output(void *data, const char *line, size_t len)
{
	const struct exec *x = data;
	if (x->cx->ev && x->cx->ev->output)
		x->cx->ev->output(x->cx->ev->data, x->image->name, line, len);
}

int bx_run(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	static const char *const unsupported[] = {"security", NULL};
	if (bx_refuse_flags(in, unsupported, err) < 0)
		return -1;
	if (in->n_heredocs)
		return bx_user_error(err, "RUN with a heredoc is not supported by stack's builder yet; write the script "
				       "to a file, COPY it and RUN it");
	bool none = x->image->network_none;
	const char *net = bx_flag_value(in, "network");
	if (net) {
		if (!strcmp(net, "none"))
			none = true;
		else if (!strcmp(net, "host"))
			none = false;
		else if (strcmp(net, "default"))
			return bx_user_error(err, "RUN --network=%s: the network is `default` (the host's), `host` or `none`",
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
		return bx_user_error(err, "RUN needs a command");
	}
	/* The build args, under the image's ENV (which wins). */
	struct st_sha256 h;
	if (bx_key_begin(s, in, &h, err) < 0) {
		strv_free(&argv);
		return -1;
	}
	bx_hash_str(&h, none ? "network=none" : "network=host");
	/* Whether the host's apt config is lent, not what it says (host_apt.h). */
	if (x->image->host_apt)
		bx_hash_str(&h, "host_apt");
	for (size_t i = 0; i < s->args.n; i++) {
		const struct spec_kv *a = &s->args.v[i];
		if (!a->value || bx_kv_last(&s->args, a->key) != a || bcfg_env_get(&s->cfg, a->key))
			continue;
		strv_pushf(&env, "%s=%s", a->key, a->value);
		bx_hash_str(&h, env.v[env.n - 1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(predefined_args); i++) {
		const struct spec_kv *a = spec_kvlist_get(&x->image->args, predefined_args[i]);
		if (a && a->value && !bx_kv_last(&s->args, a->key) && !bcfg_env_get(&s->cfg, a->key))
			strv_pushf(&env, "%s=%s", a->key, a->value);
	}
	strv_copy(&env, &s->cfg.img.env);
	char key[ST_SHA256_HEX_LEN + 1];
	st_sha256_end_hex(&h, key);

	int r = 0;
	char *layer = NULL;
	struct build_mounts mounts = {0};
	const struct build_host_apt *apt = &x->apt;
	struct rt_mount *all = NULL;
	if (!x->cx->no_cache && build_cache_get(x->cx->store, key, &layer) == 1) {
		*cached = true;
	} else {
		*cached = false;
		struct strv specs = {0};
		for (size_t i = 0; r == 0 && i < in->flags.n; i++) {
			if (strncmp(in->flags.v[i], "--mount=", 8))
				continue;
			char *v = NULL;
			if ((r = bx_expand(x, s, in->flags.v[i] + 8, &v, err)) == 0)
				strv_push_take(&specs, v);
		}
		if (r == 0)
			r = build_mounts_make(&specs, x->cx->paths->root, x->cx->stack, x->image, s->cfg.img.working_dir,
					      &mounts, err);
		strv_free(&specs);
		if (r == 0 && x->image->host_apt && !x->apt_read) {
			r = build_host_apt_make(build_host_apt_root(), &x->apt, err);
			x->apt_read = r == 0;
		}
		if (r < 0)
			goto done;
		/* The host's apt files first: a step's own --mount= may cover them. */
		all = xcalloc(apt->n + mounts.n + 1, sizeof(*all));
		if (apt->n)
			memcpy(all, apt->v, apt->n * sizeof(*all));
		if (mounts.n)
			memcpy(all + apt->n, mounts.v, mounts.n * sizeof(*all));
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
			.mounts = all,
			.n_mounts = apt->n + mounts.n,
			.remove = &mounts.secret_targets,
			.made = &apt->targets,
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
	free(all);
	if (r == 0) {
		bx_add_layer(s, layer);
		memcpy(s->chain, key, sizeof(key));
	}
	free(layer);
	strv_free(&argv);
	strv_free(&env);
	return r;
}
