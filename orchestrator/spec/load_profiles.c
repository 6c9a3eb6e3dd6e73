/* Profiles, a pass of its own after the services are loaded and their
 * dependencies checked: services whose profiles are not enabled leave the
 * project, with the images built for them and the registry bases only
 * they named. */
#include "spec/load_internal.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static bool enabled(const struct spec_loader *ld, const struct spec_service *sv)
{
	if (sv->profiles.n == 0)
		return true;
	for (size_t i = 0; i < sv->profiles.n; i++)
		if (strv_contains(&ld->opts->profiles, sv->profiles.v[i]) || strv_contains(&ld->opts->profiles, "*"))
			return true;
	return false;
}

static void drop_service_image(struct spec_stack *s, const char *service)
{
	for (size_t i = 0; i < s->n_images; i++) {
		struct spec_image *im = &s->images[i];
		if (im->service && strcmp(im->service, service) == 0) {
			spec_image_free(im);
			memmove(im, im + 1, (s->n_images - i - 1) * sizeof(*im));
			s->n_images--;
			return;
		}
	}
}

/* Services whose profiles are not enabled are not part of the project, as in
 * compose; an enabled service may not need one. */
void ld_apply_profiles(struct spec_loader *ld)
{
	struct spec_stack *s = ld->stack;
	for (size_t i = 0; i < s->n_services; i++) {
		struct spec_service *sv = &s->services[i];
		if (!enabled(ld, sv))
			continue;
		for (size_t j = 0; j < sv->n_depends_on; j++) {
			const struct spec_service *t = spec_find_service(s, sv->depends_on[j].service);
			if (!t || enabled(ld, t))
				continue;
			struct spec_depends *dep = &sv->depends_on[j];
			if (dep->required) {
				struct diag *d = ld_error_at(ld, &dep->pos, "service `%s` depends on `%s`, which is not enabled",
							   sv->name, dep->service);
				diag_hint(d, "enable it with --profile %s, or mark the dependency `required: false`",
					  t->profiles.v[0]);
				continue;
			}
			free(dep->service);
			memmove(dep, dep + 1, (sv->n_depends_on - j - 1) * sizeof(*dep));
			sv->n_depends_on--;
			j--;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < s->n_services; i++) {
		if (enabled(ld, &s->services[i])) {
			s->services[o++] = s->services[i];
			continue;
		}
		drop_service_image(s, s->services[i].name);
		spec_service_free(&s->services[i]);
	}
	s->n_services = o;
	/* A registry image only a left-out service named is not needed. */
	size_t ob = 0;
	for (size_t i = 0; i < s->n_bases; i++) {
		struct spec_base *b = &s->bases[i];
		bool used = !b->implicit;
		for (size_t j = 0; j < s->n_services && !used; j++)
			used = s->services[j].image && strcmp(s->services[j].image, b->name) == 0;
		if (used) {
			s->bases[ob++] = *b;
			continue;
		}
		free(b->name);
		free(b->ref);
	}
	s->n_bases = ob;
}
