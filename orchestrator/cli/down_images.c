#include "builder/base.h"
#include "cli/ct_running.h"
#include "cli/down_extra.h"
#include "image/store.h"
#include "spec/names.h"
#include "supervisor/files.h"
#include "util/mem.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <string.h>

/* A running container of another project: its name and its layers,
 * bottom first. */
struct user {
	char *project, *container;
	struct strv layers;
};

/* Every running container of every project but `self`, from their
 * supervisors' state files, each checked by cli_ct_alive(). */
static struct user *running_elsewhere(const struct st_paths *paths, const char *self, size_t *n)
{
	struct user *u = NULL;
	size_t cap = 0;
	*n = 0;
	DIR *d = opendir(paths->run);
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!spec_name_valid(e->d_name) || strcmp(e->d_name, self) == 0)
			continue;
		_cleanup_free_ char *run = sup_run_dir(paths, e->d_name);
		json_t *recs = sup_state_list(run);
		size_t i;
		json_t *r;
		json_array_foreach (recs, i, r) {
			json_t *layers = json_object_get(r, "layers");
			if (!cli_ct_alive(r) || !json_array_size(layers))
				continue;
			u = xgrow(u, &cap, *n + 1, sizeof(*u));
			struct user *x = &u[(*n)++];
			memset(x, 0, sizeof(*x));
			x->project = xstrdup(e->d_name);
			const char *c = json_string_value(json_object_get(r, "container"));
			x->container = xstrdup(c ? c : "?");
			for (size_t k = json_array_size(layers); k-- > 0;) {
				const char *l = json_string_value(json_array_get(layers, k));
				strv_push(&x->layers, l ? l : "");
			}
		}
		json_decref(recs);
	}
	closedir(d);
	return u;
}

static void users_free(struct user *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].project);
		free(u[i].container);
		strv_free(&u[i].layers);
	}
	free(u);
}

/* The container of `users` that runs `img` or an image built on it (its
 * layers are the bottom of the container's), or NULL. */
static const struct user *used_by(const struct img_store *store, const struct img_image *img,
				  const struct user *users, size_t n)
{
	if (img->layers.n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (users[i].layers.n < img->layers.n)
			continue;
		bool same = true;
		for (size_t k = 0; same && k < img->layers.n; k++) {
			_cleanup_free_ char *p = img_layer_path(store, img->layers.v[k]);
			same = strcmp(p, users[i].layers.v[k]) == 0;
		}
		if (same)
			return &users[i];
	}
	return NULL;
}

/* What compose names a service's build without `image:`. */
static bool default_build_name(const struct spec_stack *stack, const struct spec_image *im)
{
	_cleanup_free_ char *dflt = xasprintf("%s-%s", stack->name, im->service);
	for (char *p = dflt; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return strcmp(im->name, dflt) == 0;
}

/* The store names to remove, each with the name the stack gives it. */
static void candidates(const struct spec_stack *stack, enum cli_rmi which, struct strv *shown, struct strv *store,
		       st_error_t *err, int *failed)
{
	for (size_t i = 0; i < stack->n_images; i++) {
		const struct spec_image *im = &stack->images[i];
		if (which == CLI_RMI_LOCAL && !(im->service && default_build_name(stack, im)))
			continue;
		strv_push(shown, im->name);
		strv_push(store, im->name);
	}
	if (which != CLI_RMI_ALL)
		return;
	for (size_t i = 0; i < stack->n_bases; i++) {
		char *key = build_base_store_name(&stack->bases[i], err);
		if (!key) {
			*failed = 1;
			return;
		}
		strv_push(shown, stack->bases[i].name);
		strv_push_take(store, key);
	}
}

int cli_down_images(const struct st_paths *paths, const struct spec_stack *stack, enum cli_rmi which, FILE *out,
		    st_error_t *err)
{
	if (which == CLI_RMI_NONE)
		return 0;
	struct strv shown = {0}, names = {0};
	int failed = 0, r = -1;
	candidates(stack, which, &shown, &names, err, &failed);
	if (failed) {
		strv_free(&shown);
		strv_free(&names);
		return -1;
	}
	struct img_store store = {0};
	size_t n_users = 0;
	struct user *users = running_elsewhere(paths, stack->name, &n_users);
	if (img_store_open(paths->root, &store, err) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		/* two bases of one source are one store name: once is enough */
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= strcmp(names.v[k], names.v[i]) == 0;
		if (dup)
			continue;
		struct img_image img = {0};
		int found = img_image_read(&store, names.v[i], &img, err);
		if (found < 0) {
			st_error_prefix(err, "image `%s`", shown.v[i]);
			goto out;
		}
		if (found == 0)
			continue; /* never built or fetched: nothing to remove */
		const struct user *u = used_by(&store, &img, users, n_users);
		img_image_free(&img);
		if (u) {
			fprintf(out, " Image %s  Kept: container %s of project `%s` runs it (or an image built on it)\n",
				shown.v[i], u->container, u->project);
			continue;
		}
		if (img_ref_remove(&store, names.v[i], err) < 0) {
			st_error_prefix(err, "image `%s`", shown.v[i]);
			goto out;
		}
		fprintf(out, " Image %s  Removed\n", shown.v[i]);
	}
	r = 0;
out:
	img_store_close(&store);
	users_free(users, n_users);
	strv_free(&shown);
	strv_free(&names);
	return r;
}
