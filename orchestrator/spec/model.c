/* The typed model: small accessors and the one place that frees it. */
#include "spec/model.h"
#include "spec/ref.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

struct spec_kv *spec_kvlist_set(struct spec_kvlist *l, const char *key, const char *value)
{
	struct spec_kv *kv = NULL;
	for (size_t i = 0; i < l->n && !kv; i++)
		if (strcmp(l->v[i].key, key) == 0)
			kv = &l->v[i];
	if (kv) {
		free(kv->value);
	} else {
		l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
		kv = &l->v[l->n++];
		kv->key = xstrdup(key);
	}
	kv->value = xstrdup(value);
	kv->secret = false;
	return kv;
}

const struct spec_kv *spec_kvlist_get(const struct spec_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

void spec_kvlist_free(struct spec_kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

const struct spec_base *spec_find_base(const struct spec_stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_bases; i++)
		if (strcmp(s->bases[i].name, name) == 0)
			return &s->bases[i];
	return NULL;
}

const struct spec_image *spec_find_image(const struct spec_stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_images; i++)
		if (strcmp(s->images[i].name, name) == 0)
			return &s->images[i];
	return NULL;
}

const struct spec_secret *spec_find_secret(const struct spec_stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_secrets; i++)
		if (strcmp(s->secrets[i].name, name) == 0)
			return &s->secrets[i];
	return NULL;
}

const struct spec_service *spec_find_service(const struct spec_stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_services; i++)
		if (strcmp(s->services[i].name, name) == 0)
			return &s->services[i];
	return NULL;
}

const struct spec_network *spec_find_network(const struct spec_stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_networks; i++)
		if (strcmp(s->networks[i].name, name) == 0)
			return &s->networks[i];
	return NULL;
}

ssize_t spec_find_pull_base(const struct spec_stack *s, const char *name, const char *ref)
{
	for (size_t i = 0; i < s->n_bases; i++) {
		const struct spec_base *b = &s->bases[i];
		if (!strcmp(b->name, name) || (b->implicit && b->ref && !strcmp(b->ref, ref)))
			return (ssize_t)i;
		char *norm = NULL, *err = NULL;
		bool same = spec_ref_normalize(b->name, &norm, &err) == 0 && !strcmp(norm, ref);
		free(norm);
		free(err);
		if (same)
			return (ssize_t)i;
	}
	return -1;
}

struct spec_base *spec_add_implicit_base(struct spec_stack *s, const char *name, const char *ref)
{
	/* Callers may hold pointers into s->bases from earlier lookups; growing
	 * one element at a time keeps the rule simple: re-find after adding. */
	s->bases = xrealloc(s->bases, (s->n_bases + 1) * sizeof(*s->bases));
	struct spec_base *b = &s->bases[s->n_bases++];
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	b->kind = SPEC_BASE_PULL;
	b->ref = xstrdup(ref);
	b->implicit = true;
	return b;
}

static void base_free(struct spec_base *b)
{
	free(b->name);
	free(b->ref);
	free(b->path);
	free(b->debootstrap.suite);
	free(b->debootstrap.variant);
	free(b->debootstrap.mirror);
	strv_free(&b->debootstrap.include);
}

void spec_image_free(struct spec_image *im)
{
	free(im->name);
	free(im->context);
	free(im->dockerfile);
	free(im->dockerfile_inline);
	spec_kvlist_free(&im->args);
	free(im->target);
	spec_kvlist_free(&im->labels);
	free(im->service);
}

void spec_service_free(struct spec_service *sv)
{
	free(sv->name);
	free(sv->image);
	strv_free(&sv->command);
	strv_free(&sv->entrypoint);
	spec_kvlist_free(&sv->environment);
	strv_free(&sv->env_file);
	free(sv->working_dir);
	free(sv->user);
	free(sv->hostname);
	free(sv->logging.driver);
	for (size_t i = 0; i < sv->n_ports; i++)
		free(sv->ports[i].host_ip);
	free(sv->ports);
	for (size_t i = 0; i < sv->n_mounts; i++) {
		free(sv->mounts[i].source);
		free(sv->mounts[i].target);
	}
	free(sv->mounts);
	for (size_t i = 0; i < sv->n_secrets; i++) {
		free(sv->secrets[i].source);
		free(sv->secrets[i].target);
	}
	free(sv->secrets);
	for (size_t i = 0; i < sv->n_devices; i++) {
		free(sv->devices[i].source);
		free(sv->devices[i].target);
		free(sv->devices[i].permissions);
	}
	free(sv->devices);
	strv_free(&sv->cap_add);
	strv_free(&sv->cap_drop);
	free(sv->seccomp_profile);
	for (size_t i = 0; i < sv->n_ulimits; i++)
		free(sv->ulimits[i].name);
	free(sv->ulimits);
	for (size_t i = 0; i < sv->n_depends_on; i++)
		free(sv->depends_on[i].service);
	free(sv->depends_on);
	strv_free(&sv->health.test);
	free(sv->health.path);
	spec_kvlist_free(&sv->labels);
	strv_free(&sv->profiles);
	free(sv->network_service);
	for (size_t i = 0; i < sv->n_networks; i++) {
		free(sv->networks[i].network);
		strv_free(&sv->networks[i].aliases);
	}
	free(sv->networks);
}

void spec_stack_free(struct spec_stack *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_bases; i++)
		base_free(&s->bases[i]);
	free(s->bases);
	for (size_t i = 0; i < s->n_images; i++)
		spec_image_free(&s->images[i]);
	free(s->images);
	for (size_t i = 0; i < s->n_secrets; i++) {
		free(s->secrets[i].name);
		free(s->secrets[i].file);
		free(s->secrets[i].environment);
		free(s->secrets[i].value);
	}
	free(s->secrets);
	for (size_t i = 0; i < s->n_services; i++)
		spec_service_free(&s->services[i]);
	free(s->services);
	for (size_t i = 0; i < s->n_networks; i++) {
		free(s->networks[i].name);
		free(s->networks[i].subnet);
	}
	free(s->networks);
	free(s->name);
	free(s->project_dir);
	strv_free(&s->files);
	strv_free(&s->file_names);
	strv_free(&s->volumes);
	free(s);
}
