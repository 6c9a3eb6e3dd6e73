/* images:, a service's build:, secrets: and volumes: (the top-level
 * sections services refer to). */
#include "spec/load_internal.h"
#include "spec/ref.h"
#include "util/fs.h"
#include "util/mem.h"

#include <string.h>

static const char *const build_keys[] = {"context", "dockerfile", "dockerfile_inline", "args", "target", "labels", "network", "host_apt"};

/* The keys an image and a service's build: share; the compose rules for
 * paths: context relative to the project, dockerfile relative to context. */
static void load_build_map(struct spec_loader *ld, struct spec_image *im, const struct spec_node *n, const char *where)
{
	ld_check_keys(ld, n, build_keys, ARRAY_SIZE(build_keys), where);
	const struct spec_node *v;
	const char *s = ".";
	if ((v = ld_get(n, "context")))
		ld_string(ld, v, "context", &s);
	im->context = ld_abs_path(ld, s);
	const struct spec_node *df = ld_get(n, "dockerfile");
	const struct spec_node *inl = ld_get(n, "dockerfile_inline");
	if (df && inl) {
		struct diag *d = ld_error(ld, ld_key(n, "dockerfile_inline"),
					  "`dockerfile` and `dockerfile_inline` are both given for %s", where);
		diag_hint(d, "keep one of them");
	}
	if (inl) {
		ld_dup_string(ld, inl, "dockerfile_inline", &im->dockerfile_inline);
	} else {
		s = "Dockerfile";
		if (df)
			ld_string(ld, df, "dockerfile", &s);
		im->dockerfile = fs_path_join_clean(im->context, s);
	}
	if ((v = ld_get(n, "args")))
		ld_kvlist(ld, v, "args", true, &im->args);
	if ((v = ld_get(n, "target")))
		ld_dup_string(ld, v, "target", &im->target);
	if ((v = ld_get(n, "labels")))
		ld_labels(ld, v, &im->labels);
	if ((v = ld_get(n, "network"))) {
		const char *net = NULL;
		ld_string(ld, v, "network", &net);
		if (net && !strcmp(net, "none"))
			im->network_none = true;
		else if (net && strcmp(net, "host") && strcmp(net, "default"))
			diag_hint(ld_error(ld, v, "network `%s` for %s: RUN steps have `host` (the default) or `none`",
					   net, where),
				  "a build has no stack network to join; give `none` for steps without network");
	}
	if ((v = ld_get(n, "host_apt")))
		ld_bool(ld, v, "host_apt", &im->host_apt);
}

static struct spec_image *new_image(struct spec_stack *s, const char *name)
{
	s->images = xrealloc(s->images, (s->n_images + 1) * sizeof(*s->images));
	struct spec_image *im = &s->images[s->n_images++];
	memset(im, 0, sizeof(*im));
	im->name = xstrdup(name);
	return im;
}

static bool image_name_ok(struct spec_loader *ld, const struct spec_node *at, const char *name)
{
	char *err = NULL;
	if (!spec_image_name_valid(name, &err)) {
		ld_error_take(ld, at, err);
		return false;
	}
	if (spec_find_base(ld->stack, name)) {
		struct diag *d = ld_error(ld, at, "`%s` is both a base and an image", name);
		diag_hint(d, "rename one of them: FROM %s would be ambiguous", name);
		return false;
	}
	if (spec_find_image(ld->stack, name)) {
		ld_error(ld, at, "image `%s` is defined twice", name);
		return false;
	}
	return true;
}

void ld_images(struct spec_loader *ld, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "images"))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		if (!image_name_ok(ld, k, k->scalar))
			continue;
		struct spec_image *im = new_image(ld->stack, k->scalar);
		im->pos = ld_pos(ld, k);
		_cleanup_free_ char *where = xasprintf("image `%s`", k->scalar);
		if (spec_node_is_null(v)) {
			/* `name:` alone: ./name/Dockerfile would be a guess; compose's default is "." */
			im->context = ld_abs_path(ld, ".");
			im->dockerfile = fs_path_join_clean(im->context, "Dockerfile");
			continue;
		}
		_cleanup_free_ char *what = xasprintf("images.%s", k->scalar);
		if (!ld_is_map(ld, v, what))
			continue;
		load_build_map(ld, im, v, where);
	}
}

void ld_service_build(struct spec_loader *ld, const struct spec_node *n, const char *service, const char *name)
{
	if (!image_name_ok(ld, n, name))
		return;
	struct spec_image *im = new_image(ld->stack, name);
	im->pos = ld_pos(ld, n);
	im->service = xstrdup(service);
	if (n->type == SPEC_NODE_SCALAR) {
		im->context = ld_abs_path(ld, n->scalar);
		im->dockerfile = fs_path_join_clean(im->context, "Dockerfile");
	} else if (ld_is_map(ld, n, "build")) {
		_cleanup_free_ char *where = xasprintf("the build of service `%s`", service);
		load_build_map(ld, im, n, where);
	}
}

static const char *const secret_keys[] = {"file", "environment"};

void ld_secrets(struct spec_loader *ld, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "secrets"))
		return;
	struct spec_stack *s = ld->stack;
	s->secrets = xcalloc(n->n_pairs, sizeof(*s->secrets));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		/* The name of an environment secret is the file it is written to. */
		ld_check_name(ld, k, "secret");
		struct spec_secret *sec = &s->secrets[s->n_secrets++];
		sec->name = xstrdup(k->scalar);
		sec->pos = ld_pos(ld, k);
		_cleanup_free_ char *what = xasprintf("secrets.%s", k->scalar);
		if (!ld_is_map(ld, v, what))
			continue;
		ld_check_keys(ld, v, secret_keys, ARRAY_SIZE(secret_keys), "a secret");
		const struct spec_node *f = ld_get(v, "file"), *e = ld_get(v, "environment");
		if (!!f == !!e) {
			struct diag *d = ld_error(ld, f ? ld_key(v, "environment") : v,
						  "secret `%s` needs exactly one of `file` and `environment`", sec->name);
			diag_hint(d, "file: PATH reads the secret from a file, environment: VAR from a variable");
			continue;
		}
		const char *str;
		if (f && ld_string(ld, f, "file", &str))
			sec->file = ld_abs_path(ld, str);
		/* An unset variable is an error when a container starts, not
		 * here: `stack config` must work where the secret is not exported. */
		if (e && ld_string(ld, e, "environment", &str)) {
			sec->environment = xstrdup(str);
			const char *value = spec_env_get(&ld->env, str);
			sec->value = value ? xstrdup(value) : NULL;
		}
	}
}

void ld_volumes(struct spec_loader *ld, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "volumes"))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		ld_check_name(ld, k, "volume");
		/* Named volumes are directories the stack manages; no driver options. */
		if (!spec_node_is_null(v) && ld_is_map(ld, v, "volumes.NAME"))
			ld_check_keys(ld, v, NULL, 0, "a volume (stack's volumes take no options)");
		strv_push(&ld->stack->volumes, k->scalar);
	}
}
