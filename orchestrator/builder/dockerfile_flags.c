/* The flags each instruction accepts (BuildKit's BFlags per command) and
 * their checks: unknown or misplaced flags, missing values, booleans,
 * repeats of single-valued flags. */
#include "builder/dockerfile_int.h"
#include "util/mem.h"

#include <string.h>
#include <strings.h>

enum df_flag_type {
	FLAG_STRING, /* --x=v, at most once */
	FLAG_BOOL,   /* --x or --x=true|false */
	FLAG_LIST,   /* --x=v, repeatable */
};

struct df_flag_spec {
	const char *name;
	enum df_flag_type type;
};

#define MAX_FLAGS 8 /* most flags an instruction has, for counting repeats */

static const struct df_flag_spec from_flags[] = {{"platform", FLAG_STRING}, {0}};
static const struct df_flag_spec run_flags[] = {
	{"mount", FLAG_LIST}, {"network", FLAG_STRING}, {"security", FLAG_STRING}, {0}};
static const struct df_flag_spec copy_flags[] = {
	{"from", FLAG_STRING}, {"chown", FLAG_STRING}, {"chmod", FLAG_STRING},
	{"link", FLAG_BOOL},   {"parents", FLAG_BOOL}, {"exclude", FLAG_LIST}, {0}};
static const struct df_flag_spec add_flags[] = {
	{"chown", FLAG_STRING},    {"chmod", FLAG_STRING},  {"link", FLAG_BOOL},
	{"keep-git-dir", FLAG_BOOL}, {"checksum", FLAG_STRING}, {"exclude", FLAG_LIST}, {0}};
static const struct df_flag_spec healthcheck_flags[] = {
	{"interval", FLAG_STRING},     {"timeout", FLAG_STRING}, {"start-period", FLAG_STRING},
	{"start-interval", FLAG_STRING}, {"retries", FLAG_STRING}, {0}};

_Static_assert(ARRAY_SIZE(add_flags) <= MAX_FLAGS + 1 && ARRAY_SIZE(copy_flags) <= MAX_FLAGS + 1 &&
		       ARRAY_SIZE(run_flags) <= MAX_FLAGS + 1 && ARRAY_SIZE(healthcheck_flags) <= MAX_FLAGS + 1,
	       "MAX_FLAGS too small");

/* Instructions with flags; every other one takes none. */
static const struct df_flag_spec *const tables[DF_N_CMDS] = {
	[DF_FROM] = from_flags, [DF_RUN] = run_flags,		  [DF_COPY] = copy_flags,
	[DF_ADD] = add_flags,	[DF_HEALTHCHECK] = healthcheck_flags,
};

static void list_flags(struct strbuf *b, const struct df_flag_spec *fl)
{
	for (size_t i = 0; fl[i].name; i++) {
		strbuf_adds(b, i ? ", --" : "--");
		strbuf_adds(b, fl[i].name);
	}
}

bool df_check_flags(struct df_ctx *cx, int lineno, enum df_cmd cmd, const struct strv *flags)
{
	const struct df_flag_spec *table = tables[cmd];
	_cleanup_free_ char *ucmd = df_upper(df_cmd_name(cmd));

	bool ok = true;
	unsigned seen[MAX_FLAGS] = {0};
	for (size_t i = 0; i < flags->n; i++) {
		const char *f = flags->v[i];
		const char *name = f + 2; /* df_extract_flags keeps only "--" words */
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		int shown = nlen > 80 ? df_clip(name) : (int)nlen; /* of a name in a message */
		if (!table) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "%s takes no flags, got --%.*s",
					   ucmd, shown, name),
				  "remove the flag (a word starting with -- must be quoted or come after --)");
			ok = false;
			continue;
		}
		const struct df_flag_spec *fs = NULL;
		for (size_t j = 0; table[j].name; j++)
			if (strlen(table[j].name) == nlen && strncmp(table[j].name, name, nlen) == 0)
				fs = &table[j];
		if (!fs) {
			struct strbuf b = {0};
			list_flags(&b, table);
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "unknown flag --%.*s for %s",
					   shown, name, ucmd),
				  "%s accepts %s", ucmd, b.s);
			free(b.s);
			ok = false;
			continue;
		}
		if (fs->type == FLAG_BOOL) {
			if (eq && strcasecmp(eq + 1, "true") != 0 && strcasecmp(eq + 1, "false") != 0) {
				diag_hint(diag_add(cx->diags, cx->path, lineno, 0,
						   "flag --%s of %s expects true or false, got `%.*s`",
						   fs->name, ucmd, df_clip(eq + 1), eq + 1),
					  "write --%s or --%s=false", fs->name, fs->name);
				ok = false;
			}
			continue;
		}
		if (!eq) {
			diag_hint(diag_add(cx->diags, cx->path, lineno, 0, "flag --%s of %s needs a value",
					   fs->name, ucmd),
				  "write --%s=VALUE", fs->name);
			ok = false;
			continue;
		}
		/* Counted per flag, not by comparing pairs: a 1 MiB line of flags
		 * must not take quadratic time. */
		if (fs->type == FLAG_STRING && seen[fs - table]++ == 1) {
			diag_add(cx->diags, cx->path, lineno, 0, "flag --%s of %s is given more than once",
				 fs->name, ucmd);
			ok = false;
		}
	}
	return ok;
}
