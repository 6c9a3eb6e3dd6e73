/* refs.json: {"refs": {"NAME:TAG": {"id": "sha256:...", "source": "..."}}}.
 *
 * One file rather than a file per ref: `stack images` reads one file, and
 * a read-modify-write under locks/refs, replaced atomically, is all the
 * concurrency there is (readers take no lock: they see the old file or
 * the new one). */
#include "image/store_int.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REFS_MAX (64u << 20)

char *img_ref_normalize(const char *name)
{
	if (strchr(name, '@'))
		return xstrdup(name);
	const char *slash = strrchr(name, '/');
	const char *last = slash ? slash + 1 : name;
	if (strchr(last, ':'))
		return xstrdup(name);
	return xasprintf("%s:latest", name);
}

static char *refs_path(const struct img_store *s)
{
	return xasprintf("%s/refs.json", s->root);
}

/* The refs object (new reference), empty when there is no file yet. */
static int refs_load(const struct img_store *s, json_t **out, st_error_t *err)
{
	_cleanup_free_ char *path = refs_path(s);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (fs_read_file(path, REFS_MAX, &text, &len, &e) < 0) {
		if (e->status == ENOENT) {
			st_error_free(&e);
			*out = json_object();
			return 0;
		}
		if (err && !*err)
			*err = e;
		else
			st_error_free(&e);
		return -1;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	json_t *refs = json_object_get(doc, "refs");
	if (!json_is_object(refs)) {
		json_decref(doc);
		return st_error(err, 0, "`%s` is damaged (%s): remove it, then build or import the images again",
				path, doc ? "no \"refs\" object" : jerr.text);
	}
	*out = json_incref(refs);
	json_decref(doc);
	return 0;
}

static int refs_save(const struct img_store *s, json_t *refs, st_error_t *err)
{
	_cleanup_free_ char *path = refs_path(s);
	json_t *doc = json_pack("{s:O}", "refs", refs);
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	int r = fs_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

static int check_name(const char *name, st_error_t *err)
{
	size_t n = strlen(name);
	if (n == 0 || n > 1024)
		return st_error(err, 0, "image name `%.40s` must be 1 to 1024 characters", name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return st_error(err, 0, "image name `%s` has a space or control character", name);
	return 0;
}

int img_ref_resolve(const struct img_store *s, const char *name, char **id, st_error_t *err)
{
	json_t *refs = NULL;
	if (refs_load(s, &refs, err) < 0)
		return -1;
	_cleanup_free_ char *norm = img_ref_normalize(name);
	json_t *v = json_object_get(json_object_get(refs, norm), "id");
	int r = 0;
	if (json_is_string(v)) {
		*id = xstrdup(json_string_value(v));
		r = 1;
	}
	json_decref(refs);
	return r;
}

/* Apply `edit` to the refs under locks/refs and save them.  edit returns
 * 1 to save, 0 to leave the file as it is, -1 on error. */
static int refs_update(const struct img_store *s, int (*edit)(json_t *refs, void *ctx), void *ctx, st_error_t *err)
{
	_cleanup_close_ int lock = s->locked ? -1 : img_store_lock(s, err);
	if (!s->locked && lock < 0)
		return -1;
	json_t *refs = NULL;
	if (refs_load(s, &refs, err) < 0)
		return -1;
	int r = edit(refs, ctx);
	if (r > 0)
		r = refs_save(s, refs, err) < 0 ? -1 : 1;
	json_decref(refs);
	return r;
}

struct ref_edit {
	const char *name, *id, *source;
};

static int edit_set(json_t *refs, void *ctx)
{
	const struct ref_edit *e = ctx;
	json_t *v = json_pack("{s:s}", "id", e->id);
	if (e->source)
		json_object_set_new(v, "source", json_string(e->source));
	json_object_set_new(refs, e->name, v);
	return 1;
}

static int edit_remove(json_t *refs, void *ctx)
{
	const struct ref_edit *e = ctx;
	return json_object_del(refs, e->name) == 0 ? 1 : 0;
}

int img_ref_set(const struct img_store *s, const char *name, const char *id, const char *source, st_error_t *err)
{
	if (check_name(name, err) < 0)
		return -1;
	if (!img_digest_valid(id))
		return st_error(err, 0, "ref `%s`: `%.80s` is not an image id", name, id);
	_cleanup_free_ char *norm = img_ref_normalize(name);
	struct ref_edit e = {.name = norm, .id = id, .source = source};
	if (refs_update(s, edit_set, &e, err) < 0)
		return st_error_prefix(err, "set ref `%s`", name);
	return 0;
}

int img_ref_remove(const struct img_store *s, const char *name, st_error_t *err)
{
	_cleanup_free_ char *norm = img_ref_normalize(name);
	struct ref_edit e = {.name = norm};
	int r = refs_update(s, edit_remove, &e, err);
	if (r < 0)
		return st_error_prefix(err, "remove ref `%s`", name);
	return r;
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct img_ref *)a)->name, ((const struct img_ref *)b)->name);
}

int img_ref_list(const struct img_store *s, struct img_ref **out, size_t *n_out, st_error_t *err)
{
	json_t *refs = NULL;
	if (refs_load(s, &refs, err) < 0)
		return -1;
	struct img_ref *list = xcalloc(json_object_size(refs) + 1, sizeof(*list));
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach (refs, k, v) {
		json_t *id = json_object_get(v, "id"), *src = json_object_get(v, "source");
		if (!json_is_string(id))
			continue; /* not ours to interpret: left for a newer stack */
		list[n].name = xstrdup(k);
		list[n].id = xstrdup(json_string_value(id));
		list[n++].source = json_is_string(src) ? xstrdup(json_string_value(src)) : NULL;
	}
	json_decref(refs);
	qsort(list, n, sizeof(*list), cmp_ref);
	*out = list;
	*n_out = n;
	return 0;
}

void img_ref_list_free(struct img_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(refs[i].name);
		free(refs[i].id);
		free(refs[i].source);
	}
	free(refs);
}
