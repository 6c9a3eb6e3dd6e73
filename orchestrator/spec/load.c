/* spec_load: files → node trees → interpolation → merge → typed model.
 *
 * Each file is parsed and interpolated on its own (its own .env-resolved
 * values, its own positions), then the trees are merged in -f order and
 * the merged tree is turned into the model section by section.  Every
 * section reports all of its problems; the model is handed out only when
 * there were none. */
#include "spec/dotenv.h"
#include "spec/load_internal.h"
#include "spec/lookup.h"
#include "spec/names.h"
#include "spec/node.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *const top_keys[] = {"name", "version", "bases", "images", "networks", "secrets", "services", "volumes"};

/* Read one stack file (or stdin) within the parser's size limit. */
static int read_stack_file(const char *name, const char *path, char **text, size_t *len, struct diag_list *diags)
{
	_cleanup_error_ st_error_t err = NULL;
	int r = strcmp(path, "-") == 0 ? fs_read_fd(STDIN_FILENO, "standard input", SPEC_YAML_MAX_BYTES, text, len, &err)
				       : fs_read_file(path, SPEC_YAML_MAX_BYTES, text, len, &err);
	if (r < 0) {
		if (err->status == EFBIG)
			diag_add(diags, name, 0, 0, "stack file is larger than %u bytes", SPEC_YAML_MAX_BYTES);
		else {
			_cleanup_free_ char *why = st_error_text(err);
			diag_add(diags, name, 0, 0, "cannot read stack file: %s", why);
		}
		return -1;
	}
	return 0;
}

/* PROJECT_DIR/.env: values for interpolation only (never the containers'). */
static void load_dotenv(struct spec_loader *ld, const char *first_name)
{
	_cleanup_free_ char *path = fs_path_join_clean(ld->stack->project_dir, ".env");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	_cleanup_error_ st_error_t err = NULL;
	int r = fs_read_file(path, 0, &text, &len, &err);
	if (r < 0 && err->status == ENOENT)
		return;
	_cleanup_free_ char *dir = fs_dirname(first_name);
	_cleanup_free_ char *name = strcmp(dir, ".") == 0 || strcmp(first_name, "<stdin>") == 0
					    ? xstrdup(".env")
					    : xasprintf("%s/.env", dir);
	if (r < 0) {
		_cleanup_free_ char *why = st_error_text(err);
		struct diag *d = diag_add(ld->diags, name, 0, 0, "cannot read .env file: %s", why);
		diag_hint(d, "it holds variables for interpolation; make it a readable file, or remove it");
		return;
	}
	/* .env may use the process environment but not itself via the (empty yet) dotenv. */
	struct spec_env penv = {.environ = ld->env.environ};
	spec_dotenv_parse(name, text, len, &penv, &ld->env.dotenv, ld->diags);
}

#define PROJECT_NAME_HINT                                                                                             \
	"use lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 63 characters"

static void load_project_name(struct spec_loader *ld, const struct spec_node *root)
{
	const char *flag = ld->opts->project_name;
	if (flag) {
		if (!spec_project_name_valid(flag)) {
			_cleanup_free_ char *shown = spec_name_printable(flag);
			struct diag *d = diag_add(ld->diags, "stack", 0, 0, "invalid project name `%s` given with -p",
						  shown);
			diag_hint(d, PROJECT_NAME_HINT);
			return;
		}
		ld->stack->name = xstrdup(flag);
		return;
	}
	const struct spec_node *n = root ? ld_get(root, "name") : NULL;
	if (n) {
		const char *s;
		if (!ld_string(ld, n, "name", &s))
			return;
		if (!spec_project_name_valid(s)) {
			_cleanup_free_ char *shown = spec_name_printable(s);
			struct diag *d = ld_error(ld, n, "invalid project name `%s`", shown);
			_cleanup_free_ char *norm = spec_project_name_normalize(s);
			if (norm[0])
				diag_hint(d, "use lower-case letters, digits, `-` and `_`, at most %d characters, e.g. `%.*s`",
					  SPEC_NAME_MAX, SPEC_NAME_MAX, norm);
			else
				diag_hint(d, PROJECT_NAME_HINT);
			return;
		}
		ld->stack->name = xstrdup(s);
		return;
	}
	const char *dir = ld->stack->project_dir;
	const char *base = strrchr(dir, '/');
	base = base && base[1] ? base + 1 : dir;
	char *norm = spec_project_name_normalize(base);
	if (!spec_project_name_valid(norm)) {
		_cleanup_free_ char *shown = spec_name_printable(base);
		struct diag *d = diag_add(ld->diags, "stack", 0, 0,
					  "cannot make a project name from the directory name `%s`", shown);
		diag_hint(d, "set `name:` in the stack file or pass -p NAME");
		free(norm);
		return;
	}
	ld->stack->name = norm;
}

static void load_root(struct spec_loader *ld, const struct spec_node *root)
{
	size_t errors_before = ld->diags->n;
	static const struct ld_unsupported_key unsupported[] = {
		{"configs", "mount files with a service's `volumes:`, or `secrets:` for secret ones"},
		{"include", "pass each file with -f instead"},
		{"models", "remove it"},
	};
	ld_check_keys_unsupported(ld, root, top_keys, ARRAY_SIZE(top_keys), unsupported, ARRAY_SIZE(unsupported),
				  "the top level of the stack file");
	const struct spec_node *v = spec_map_get(root, "version");
	if (v && v->type != SPEC_NODE_SCALAR)
		ld_is_scalar(ld, v, "version");

	/* Order matters: services refer to volumes, images, bases and secrets. */
	if ((v = ld_get(root, "volumes")))
		ld_volumes(ld, v);
	if ((v = ld_get(root, "bases")))
		ld_bases(ld, v);
	if ((v = ld_get(root, "images")))
		ld_images(ld, v);
	if ((v = ld_get(root, "secrets")))
		ld_secrets(ld, v);
	if ((v = ld_get(root, "networks")))
		ld_networks(ld, v);
	if ((v = ld_get(root, "services"))) {
		ld_services(ld, v);
		if (ld_check_depends(ld)) {
			ld_apply_profiles(ld);
			ld_check_networks(ld);
		}
	}
	/* Not worth saying when the cause is already reported (e.g. `servics:`). */
	const struct spec_node *sv = ld_get(root, "services"), *im = ld_get(root, "images");
	size_t defined = (sv && sv->type == SPEC_NODE_MAP ? sv->n_pairs : 0) +
			 (im && im->type == SPEC_NODE_MAP ? im->n_pairs : 0);
	if (defined == 0 && ld->diags->n == errors_before) {
		struct diag *d = ld_error(ld, root, "stack file defines no services and no images");
		diag_hint(d, "add a `services:` section (each service needs `image:` or `build:`)");
	}
}

static char *getcwd_or_root(void)
{
	char *cwd = getcwd(NULL, 0);
	return cwd ? cwd : xstrdup("/");
}

static char *home_dir(struct spec_loader *ld)
{
	const char *h = spec_env_get(&ld->env, "HOME");
	if (h && h[0] == '/')
		return xstrdup(h);
	struct passwd *pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
}

int spec_load(const struct spec_load_opts *opts, struct spec_stack **out, struct diag_list *diags)
{
	*out = NULL;
	size_t errors_before = diags->n;
	struct spec_stack *s = xzalloc(sizeof(*s));
	struct spec_loader ld = {.stack = s, .diags = diags, .opts = opts};
	ld.env.environ = opts->environ ? opts->environ : environ;
	_cleanup_free_ char *workdir = opts->workdir ? fs_path_join_clean("/", opts->workdir) : getcwd_or_root();
	struct spec_doc **docs = NULL;
	size_t n_docs = 0;
	struct spec_node *root = NULL;

	if (spec_lookup_files(&opts->files, workdir, &s->file_names, &s->files, diags) < 0)
		goto done;
	s->project_dir = strcmp(s->files.v[0], "-") == 0 ? xstrdup(workdir) : fs_dirname(s->files.v[0]);
	ld.home = home_dir(&ld);
	load_dotenv(&ld, s->file_names.v[0]);

	docs = xcalloc(s->files.n, sizeof(*docs));
	n_docs = s->files.n;
	for (size_t i = 0; i < n_docs; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		if (read_stack_file(s->file_names.v[i], s->files.v[i], &text, &len, diags) < 0)
			continue;
		size_t before = diags->n;
		if (spec_yaml_parse(s->file_names.v[i], text, len, &docs[i], diags) < 0 || diags->n > before) {
			continue;
		}
		if (!docs[i]->root) {
			struct diag *d = diag_add(diags, s->file_names.v[i], 0, 0,
						  "empty stack file: define at least one service or image");
			diag_hint(d, "start with `services:` and a service with an `image:`");
			continue;
		}
		if (docs[i]->root->type != SPEC_NODE_MAP) {
			ld_error(&ld, docs[i]->root, "a stack file must be a mapping (name:, services:, ...), got %s",
				 spec_node_type_name(docs[i]->root));
			continue;
		}
		spec_interpolate_tree(docs[i]->root, &ld.env, diags);
	}
	if (diags->n > errors_before)
		goto done;

	for (size_t i = 0; i < n_docs; i++) {
		struct spec_node *r = steal_pointer(&docs[i]->root);
		if (!root)
			root = r;
		else if (spec_node_merge(&root, r, diags) < 0)
			goto done;
	}
	/* !reset / !override tags of a single file (merge applies them itself). */
	spec_node_apply_reset(&root);
	if (!root || root->type != SPEC_NODE_MAP) {
		diag_add(diags, s->file_names.v[0], 0, 0, "empty stack file: define at least one service or image");
		goto done;
	}
	load_project_name(&ld, root);
	if (diags->n > errors_before)
		goto done;
	load_root(&ld, root);

done:
	if (root)
		spec_node_free(root);
	for (size_t i = 0; i < n_docs; i++)
		if (docs[i])
			spec_doc_free(docs[i]);
	free(docs);
	free(ld.home);
	spec_kvlist_free(&ld.env.dotenv);
	if (diags->n > errors_before) {
		spec_stack_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
