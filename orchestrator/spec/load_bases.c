/* bases: where external images come from (exactly one source each). */
#include "spec/load_internal.h"
#include "spec/ref.h"
#include "util/mem.h"

#include <string.h>

/* The sources, in the order of enum spec_base_kind, then the options. */
static const char *const base_keys[] = {"pull", "rootfs", "oci", "debootstrap", "insecure"};
#define N_BASE_SOURCES 4
static const char *const debootstrap_keys[] = {"suite", "variant", "mirror", "include"};

static void load_debootstrap(struct spec_loader *ld, struct spec_base *b, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "debootstrap"))
		return;
	ld_check_keys(ld, n, debootstrap_keys, ARRAY_SIZE(debootstrap_keys), "debootstrap");
	const struct spec_node *v;
	if ((v = ld_get(n, "suite")))
		ld_dup_string(ld, v, "debootstrap.suite", &b->debootstrap.suite);
	else
		ld_error(ld, n, "base `%s`: debootstrap needs a `suite` (e.g. bookworm)", b->name);
	if ((v = ld_get(n, "variant")))
		ld_dup_string(ld, v, "debootstrap.variant", &b->debootstrap.variant);
	if ((v = ld_get(n, "mirror")))
		ld_dup_string(ld, v, "debootstrap.mirror", &b->debootstrap.mirror);
	if ((v = ld_get(n, "include"))) {
		/* debootstrap takes --include=a,b; accept that spelling as well as a list. */
		if (v->type == SPEC_NODE_SCALAR) {
			_cleanup_free_ char *copy = xstrdup(v->scalar);
			char *save = NULL;
			for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
				strv_push(&b->debootstrap.include, t);
		} else {
			ld_string_list(ld, v, "debootstrap.include", &b->debootstrap.include);
		}
	}
}

static void load_base(struct spec_loader *ld, struct spec_base *b, const struct spec_node *key,
		      const struct spec_node *n)
{
	char *err = NULL;
	if (!spec_ref_valid(key->scalar, &err)) {
		struct diag *d = ld_error(ld, key, "base name: %s", err);
		diag_hint(d, "name a base as a FROM line does, e.g. `ubuntu:focal`");
		free(err);
	}
	_cleanup_free_ char *what = xasprintf("bases.%s", b->name);
	if (!ld_is_map(ld, n, what))
		return;
	ld_check_keys(ld, n, base_keys, ARRAY_SIZE(base_keys), "a base");
	const struct spec_node *src = NULL;
	for (size_t i = 0; i < N_BASE_SOURCES; i++) {
		const struct spec_node *v = ld_get(n, base_keys[i]);
		if (!v)
			continue;
		if (src) {
			struct diag *d = ld_error(ld, ld_key(n, base_keys[i]),
						  "base `%s` has more than one source", b->name);
			diag_hint(d, "give exactly one of pull:, rootfs:, oci: or debootstrap:");
			return;
		}
		src = v;
		b->kind = (enum spec_base_kind)i; /* base_keys follows enum spec_base_kind */
	}
	if (!src) {
		struct diag *d = ld_error(ld, n, "base `%s` has no source", b->name);
		diag_hint(d, "give exactly one of pull:, rootfs:, oci: or debootstrap:");
		return;
	}
	const struct spec_node *insecure = ld_get(n, "insecure");
	if (insecure && b->kind != SPEC_BASE_PULL) {
		struct diag *d = ld_error(ld, ld_key(n, "insecure"), "base `%s`: `insecure` is an option of `pull:`",
					  b->name);
		diag_hint(d, "remove it: only a registry is spoken to over the network");
	} else if (insecure) {
		ld_bool(ld, insecure, "insecure", &b->insecure);
	}
	const char *s;
	switch (b->kind) {
	case SPEC_BASE_PULL:
		if (!ld_string(ld, src, "pull", &s))
			return;
		if (spec_ref_normalize(s, &b->ref, &err) < 0)
			ld_error_take(ld, src, err);
		break;
	case SPEC_BASE_ROOTFS:
	case SPEC_BASE_OCI:
		if (ld_string(ld, src, base_keys[b->kind], &s))
			b->path = ld_abs_path(ld, s);
		break;
	case SPEC_BASE_DEBOOTSTRAP:
		load_debootstrap(ld, b, src);
		break;
	}
}

void ld_bases(struct spec_loader *ld, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "bases"))
		return;
	struct spec_stack *s = ld->stack;
	s->bases = xcalloc(n->n_pairs, sizeof(*s->bases));
	for (size_t i = 0; i < n->n_pairs; i++) {
		struct spec_base *b = &s->bases[s->n_bases++];
		b->name = xstrdup(n->pairs[i].key->scalar);
		b->pos = ld_pos(ld, n->pairs[i].key);
		load_base(ld, b, n->pairs[i].key, n->pairs[i].value);
	}
}
