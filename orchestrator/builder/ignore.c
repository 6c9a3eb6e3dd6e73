#include "builder/ignore.h"
#include "util/fs.h"
#include "util/mem.h"

#include <fnmatch.h>
#include <string.h>

void build_ignore_parse(const char *text, struct build_ignore *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = 0;
	const char *p = text;
	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		_cleanup_free_ char *line = xstrndup(p, len);
		p = e ? e + 1 : NULL;
		if (line[0] == '#')
			continue;
		char *s = line, *end = line + strlen(line);
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (!*s)
			continue;
		bool exception = false;
		if (*s == '!') {
			exception = true;
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
		}
		struct build_ignore_pat pat = {.exception = exception};
		fs_path_split_clean(s, &pat.parts);
		out->v = xgrow(out->v, &cap, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = pat;
		out->has_exceptions |= exception;
	}
}

void build_ignore_free(struct build_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		strv_free(&ig->v[i].parts);
	free(ig->v);
	memset(ig, 0, sizeof(*ig));
}

/* Pattern components p[0..np) against path components s[0..ns), whole. */
static bool match_parts(char *const *p, size_t np, char *const *s, size_t ns)
{
	if (np == 0)
		return ns == 0;
	if (!strcmp(p[0], "**")) {
		if (np == 1)
			return true; /* "**" at the end: everything below */
		for (size_t k = 0; k <= ns; k++)
			if (match_parts(p + 1, np - 1, s + k, ns - k))
				return true;
		return false;
	}
	if (ns == 0 || fnmatch(p[0], s[0], 0) != 0)
		return false;
	return match_parts(p + 1, np - 1, s + 1, ns - 1);
}

bool build_ignore_excluded(const struct build_ignore *ig, const char *path)
{
	if (!ig->n)
		return false;
	struct strv parts = {0};
	fs_path_split_clean(path, &parts);
	bool matched = false;
	for (size_t i = 0; i < ig->n; i++) {
		const struct build_ignore_pat *pat = &ig->v[i];
		/* An exception only matters once something matched, and a
		 * pattern only when nothing did yet (patternmatcher's rule). */
		if (pat->exception != matched)
			continue;
		bool m = false;
		/* The path itself, or one of its parents (a pattern naming a
		 * directory excludes what is in it). */
		for (size_t k = parts.n; k >= 1 && !m; k--)
			m = match_parts(pat->parts.v, pat->parts.n, parts.v, k);
		if (m)
			matched = !pat->exception;
	}
	strv_free(&parts);
	return matched;
}
