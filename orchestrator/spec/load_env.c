/* A service's environment: env_file values first, then environment:. */
#include "spec/dotenv.h"
#include "spec/load_internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <string.h>

static const char *const env_file_keys[] = {"path", "required", "format"};

/* A file that is also mounted as one of this service's secrets holds
 * secret values: `stack config` must not print them. */
static bool is_secret_file(struct spec_loader *ld, const struct spec_service *sv, const char *path)
{
	for (size_t i = 0; i < sv->n_secrets; i++) {
		const struct spec_secret *sec = spec_find_secret(ld->stack, sv->secrets[i].source);
		if (sec && sec->file && strcmp(sec->file, path) == 0)
			return true;
	}
	return false;
}

static void load_env_file(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *item)
{
	const char *path = NULL;
	bool required = true;
	const struct spec_node *at = item;
	if (item->type == SPEC_NODE_MAP) {
		ld_check_keys(ld, item, env_file_keys, ARRAY_SIZE(env_file_keys), "an env_file entry");
		const struct spec_node *v = ld_get(item, "path");
		if (!v) {
			ld_error(ld, item, "env_file entry without `path`");
			return;
		}
		if (!ld_string(ld, v, "env_file.path", &path))
			return;
		at = v;
		if ((v = ld_get(item, "required")))
			ld_bool(ld, v, "env_file.required", &required);
		if ((v = ld_get(item, "format")) && ld_is_scalar(ld, v, "env_file.format") &&
		    strcmp(v->scalar, "raw") != 0 && strcmp(v->scalar, "") != 0)
			ld_error(ld, v, "`env_file.format`: unknown format `%s`", v->scalar);
	} else if (!ld_string(ld, item, "env_file", &path)) {
		return;
	}
	_cleanup_free_ char *abs = ld_abs_path(ld, path);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	_cleanup_error_ st_error_t err = NULL;
	if (fs_read_file(abs, 0, &text, &len, &err) < 0) {
		if (err->status == ENOENT && !required)
			return;
		/* A missing file is said in the user's words (the hint says what
		 * to do); anything else with the whole story (a size limit, the
		 * absolute path that was refused). */
		_cleanup_free_ char *why = err->status == ENOENT ? xstrdup(strerror(ENOENT)) : st_error_text(err);
		struct diag *d = ld_error(ld, at, "env_file `%s`: %s", path, why);
		if (err->status == ENOENT)
			diag_hint(d, "create it, or mark it optional with {path: %s, required: false}", path);
		return;
	}
	struct spec_kvlist vals = {0};
	if (spec_dotenv_parse(path, text, len, &ld->env, &vals, ld->diags) == 0) {
		bool secret = is_secret_file(ld, sv, abs);
		for (size_t i = 0; i < vals.n; i++) {
			const char *value = vals.v[i].value ? vals.v[i].value : spec_env_get(&ld->env, vals.v[i].key);
			spec_kvlist_set(&sv->environment, vals.v[i].key, value)->secret = secret;
		}
	}
	spec_kvlist_free(&vals);
	strv_push(&sv->env_file, abs);
}

void ld_service_env(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	const struct spec_node *v;
	if ((v = ld_get(map, "env_file"))) {
		if (v->type == SPEC_NODE_SEQ) {
			for (size_t i = 0; i < v->n_items; i++)
				load_env_file(ld, sv, v->items[i]);
		} else if (v->type == SPEC_NODE_SCALAR || v->type == SPEC_NODE_MAP) {
			load_env_file(ld, sv, v);
		} else {
			ld_is_seq(ld, v, "env_file");
		}
	}
	if ((v = ld_get(map, "environment")))
		ld_kvlist(ld, v, "environment", true, &sv->environment);
}
