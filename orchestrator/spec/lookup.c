/* Finding the stack files and naming the project, as docker compose does. */
#include "spec/lookup.h"
#include "spec/names.h"
#include "util/fs.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const spec_default_files[] = {
	"stack.yaml", "stack.yml", "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
};
const size_t spec_n_default_files = ARRAY_SIZE(spec_default_files);

int spec_lookup_files(const struct strv *files, const char *workdir, struct strv *names, struct strv *paths,
		      struct diag_list *diags)
{
	if (files->n > 0) {
		int rc = 0;
		for (size_t i = 0; i < files->n; i++) {
			const char *f = files->v[i];
			if (strcmp(f, "-") == 0) {
				strv_push(names, "<stdin>");
				strv_push(paths, "-");
				continue;
			}
			char *abs = fs_path_join_clean(workdir, f);
			struct stat st;
			if (stat(abs, &st) < 0) {
				struct diag *d = diag_add(diags, f, 0, 0, "cannot open stack file: %s", strerror(errno));
				if (errno == ENOENT)
					diag_hint(d, "check the path given with -f (relative to %s)", workdir);
				rc = -1;
			} else if (S_ISDIR(st.st_mode)) {
				diag_add(diags, f, 0, 0, "cannot open stack file: it is a directory");
				rc = -1;
			}
			strv_push(names, f);
			strv_push_take(paths, abs);
		}
		return rc;
	}
	for (size_t i = 0; i < spec_n_default_files; i++) {
		char *abs = fs_path_join_clean(workdir, spec_default_files[i]);
		struct stat st;
		if (stat(abs, &st) == 0 && S_ISREG(st.st_mode)) {
			strv_push(names, spec_default_files[i]);
			strv_push_take(paths, abs);
			return 0;
		}
		free(abs);
	}
	struct diag *d = diag_add(diags, "stack", 0, 0, "no stack file found in %s", workdir);
	diag_hint(d, "create stack.yaml (or compose.yaml), or name a file with -f FILE");
	return -1;
}

char *spec_project_name_normalize(const char *raw)
{
	char *out = xmalloc(strlen(raw) + 1);
	size_t o = 0;
	for (const char *p = raw; *p; p++) {
		char c = (char)tolower((unsigned char)*p);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
			if (o == 0 && (c == '_' || c == '-'))
				continue;
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return out;
}

bool spec_project_name_valid(const char *name)
{
	if (!name[0] || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return strlen(name) <= SPEC_NAME_MAX;
}
