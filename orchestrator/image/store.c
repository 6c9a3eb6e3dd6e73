#include "image/store.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

int img_store_open(const char *root, struct img_store *out, st_error_t *err)
{
	static const char *const dirs[] = {"layers", "images", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", root, dirs[i]);
		if (fs_mkdir_p(d, 0700, err) < 0)
			return st_error_prefix(err, "image store");
	}
	/* An image record's writer killed between link and rename. */
	_cleanup_free_ char *images = xasprintf("%s/images", root);
	fs_sweep_tmp(images);
	out->root = xstrdup(root);
	return 0;
}

void img_store_close(struct img_store *s)
{
	free(s->root);
	s->root = NULL;
}

char *img_layer_path(const struct img_store *s, const char *digest)
{
	const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
	return xasprintf("%s/layers/%s", s->root, hex);
}

/* Image names contain '/' and ':'; keep them readable but one path component. */
static char *image_file(const struct img_store *s, const char *name)
{
	size_t n = strlen(name);
	char *esc = xmalloc(n * 3 + 1), *o = esc;
	for (const char *p = name; *p; p++) {
		if (*p == '/' || *p == '%') {
			o += sprintf(o, "%%%02X", (unsigned char)*p);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	char *path = xasprintf("%s/images/%s.json", s->root, esc);
	free(esc);
	return path;
}

static void json_to_strv(json_t *arr, struct strv *out)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (json_is_string(v))
			strv_push(out, json_string_value(v));
}

static json_t *strv_to_json(const struct strv *sv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(arr, json_string(sv->v[i]));
	return arr;
}

static char *json_dup_string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) && *json_string_value(v) ? xstrdup(json_string_value(v)) : NULL;
}

int img_image_read(const struct img_store *s, const char *name, struct img_image *out, st_error_t *err)
{
	_cleanup_free_ char *path = image_file(s, name);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return 0;
		return st_error(err, 0, "image `%s`: %s:%d: %s (remove the file to re-import)", name, path,
				jerr.line, jerr.text);
	}
	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	json_to_strv(json_object_get(root, "layers"), &out->layers);
	json_t *cfg = json_object_get(root, "config");
	json_to_strv(json_object_get(cfg, "Env"), &out->env);
	json_to_strv(json_object_get(cfg, "Entrypoint"), &out->entrypoint);
	json_to_strv(json_object_get(cfg, "Cmd"), &out->cmd);
	out->working_dir = json_dup_string(cfg, "WorkingDir");
	out->user = json_dup_string(cfg, "User");
	json_decref(root);
	if (out->layers.n == 0) {
		img_image_free(out);
		return st_error(err, 0, "image `%s`: %s lists no layers (remove it to re-import)", name, path);
	}
	return 1;
}

int img_image_write(const struct img_store *s, const struct img_image *img, st_error_t *err)
{
	/* The config keys follow the OCI image config, so an export later is a copy. */
	json_t *cfg = json_pack("{s:o, s:o, s:o, s:s, s:s}", "Env", strv_to_json(&img->env), "Entrypoint",
				strv_to_json(&img->entrypoint), "Cmd", strv_to_json(&img->cmd), "WorkingDir",
				img->working_dir ? img->working_dir : "", "User", img->user ? img->user : "");
	json_t *root = json_pack("{s:s, s:o, s:o}", "name", img->name, "layers", strv_to_json(&img->layers),
				 "config", cfg);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	_cleanup_free_ char *path = image_file(s, img->name);
	int r = fs_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

void img_image_free(struct img_image *img)
{
	free(img->name);
	strv_free(&img->layers);
	strv_free(&img->env);
	strv_free(&img->entrypoint);
	strv_free(&img->cmd);
	free(img->working_dir);
	free(img->user);
	memset(img, 0, sizeof(*img));
}
