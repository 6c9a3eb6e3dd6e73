#include "builder/cache.h"
#include "util/fs.h"
#include "util/mem.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static char *entry_path(const struct img_store *s, const char *key)
{
	return xasprintf("%s/cache/build/%s.json", s->root, key);
}

int build_cache_get(const struct img_store *s, const char key[ST_SHA256_HEX_LEN + 1], char **layer_id)
{
	*layer_id = NULL;
	_cleanup_free_ char *path = entry_path(s, key);
	json_t *j = json_load_file(path, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return 0;
	}
	json_t *layer = json_object_get(j, "layer");
	int r = 0;
	if (json_is_null(layer)) {
		r = 1;
	} else if (json_is_string(layer) && strncmp(json_string_value(layer), "sha256:", 7) == 0 &&
		   strlen(json_string_value(layer)) == 7 + ST_SHA256_HEX_LEN) {
		_cleanup_free_ char *dir = img_layer_path(s, json_string_value(layer));
		struct stat st;
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			*layer_id = xstrdup(json_string_value(layer));
			r = 1;
		}
	}
	json_decref(j);
	return r;
}

int build_cache_put(const struct img_store *s, const char key[ST_SHA256_HEX_LEN + 1], const char *layer_id,
		    st_error_t *err)
{
	_cleanup_free_ char *dir = xasprintf("%s/cache/build", s->root);
	_cleanup_free_ char *path = entry_path(s, key);
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	json_t *j = json_pack("{so}", "layer", layer_id ? json_string(layer_id) : json_null());
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	int r = fs_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r < 0 ? st_error_prefix(err, "build cache") : 0;
}
