/* The host's Debian mirror, from its apt sources: one-line sources.list
 * entries (`deb [opts] URI SUITE COMPONENT...`) and deb822 .sources
 * stanzas (Types/URIs/Suites, `Enabled: no` skipped). */
#include "image/debootstrap.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct source {
	char *uri;
	struct strv suites;
};

struct sources {
	struct source *v;
	size_t n, cap;
};

static void add_source(struct sources *ss, const char *uri, const struct strv *suites)
{
	ss->v = xgrow(ss->v, &ss->cap, ss->n + 1, sizeof(*ss->v));
	struct source *s = &ss->v[ss->n++];
	memset(s, 0, sizeof(*s));
	s->uri = xstrdup(uri);
	strv_copy(&s->suites, suites);
}

static void split_words(const char *s, struct strv *out)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		strv_push(out, w);
}

static void parse_one_line(struct sources *ss, char *text)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		struct strv w = {0};
		split_words(line, &w);
		size_t i = 1;
		if (w.n >= 1 && strcmp(w.v[0], "deb") == 0) {
			if (i < w.n && w.v[i][0] == '[') { /* [arch=amd64 signed-by=...] */
				while (i < w.n && !strchr(w.v[i], ']'))
					i++;
				i++;
			}
			if (i + 1 < w.n) {
				struct strv suite = {0};
				strv_push(&suite, w.v[i + 1]);
				add_source(ss, w.v[i], &suite);
				strv_free(&suite);
			}
		}
		strv_free(&w);
	}
}

/* "Field: value" of one stanza line, NULL when the line is another field. */
static const char *field(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	return line + n + 1;
}

static void end_stanza(struct sources *ss, struct strv *types, struct strv *uris, struct strv *suites, bool *enabled)
{
	if (*enabled && strv_contains(types, "deb"))
		for (size_t i = 0; i < uris->n; i++)
			add_source(ss, uris->v[i], suites);
	strv_free(types);
	strv_free(uris);
	strv_free(suites);
	*enabled = true;
}

static void parse_deb822(struct sources *ss, char *text)
{
	struct strv types = {0}, uris = {0}, suites = {0};
	bool enabled = true;
	char *p = text;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		const char *v;
		if (p[strspn(p, " \t")] == '\0')
			end_stanza(ss, &types, &uris, &suites, &enabled);
		else if (*p == '#')
			;
		else if ((v = field(p, "Types")))
			split_words(v, &types);
		else if ((v = field(p, "URIs")))
			split_words(v, &uris);
		else if ((v = field(p, "Suites")))
			split_words(v, &suites);
		else if ((v = field(p, "Enabled")))
			enabled = strstr(v, "no") == NULL;
		p = nl ? nl + 1 : NULL;
	}
	end_stanza(ss, &types, &uris, &suites, &enabled);
}

static void read_sources_file(struct sources *ss, const char *path, bool deb822)
{
	_cleanup_free_ char *text = NULL;
	st_error_t e = NULL;
	if (fs_read_file(path, 1 << 20, &text, NULL, &e) < 0) {
		st_error_free(&e); /* an unreadable file is no source, as apt warns and goes on */
		return;
	}
	if (deb822)
		parse_deb822(ss, text);
	else
		parse_one_line(ss, text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A suite of the Debian archive proper (not -security, -updates, or a
 * third party's "nodistro"). */
static bool debian_suite(const char *s)
{
	static const char *const known[] = {"buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid",
					    "oldoldstable", "oldstable", "stable", "testing", "unstable"};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(s, known[i]) == 0)
			return true;
	return false;
}

char *img_apt_debian_mirror(const char *apt_dir, const char *suite, st_error_t *err)
{
	struct sources ss = {0};
	_cleanup_free_ char *list = xasprintf("%s/sources.list", apt_dir);
	read_sources_file(&ss, list, false);
	_cleanup_free_ char *dir = xasprintf("%s/sources.list.d", apt_dir);
	DIR *d = opendir(dir);
	struct strv names = {0};
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (ends_with(e->d_name, ".list") || ends_with(e->d_name, ".sources"))
			strv_push(&names, e->d_name);
	if (d)
		closedir(d);
	/* apt reads them in order of their names */
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names.v[i]);
		read_sources_file(&ss, path, ends_with(names.v[i], ".sources"));
	}
	strv_free(&names);
	const char *exact = NULL, *any = NULL;
	for (size_t i = 0; i < ss.n; i++) {
		const struct source *s = &ss.v[i];
		if (!strncmp(s->uri, "cdrom:", 6))
			continue;
		if (!exact && strv_contains(&s->suites, suite))
			exact = s->uri;
		for (size_t k = 0; !any && k < s->suites.n; k++)
			if (debian_suite(s->suites.v[k]))
				any = s->uri;
	}
	char *out = exact ? xstrdup(exact) : any ? xstrdup(any) : NULL;
	for (size_t i = 0; i < ss.n; i++) {
		free(ss.v[i].uri);
		strv_free(&ss.v[i].suites);
	}
	free(ss.v);
	if (!out)
		st_error(err, 0, "no Debian source in the host's apt config (%s/sources.list, sources.list.d/): "
				 "give the base a `mirror:` (e.g. http://deb.debian.org/debian)",
			 apt_dir);
	return out;
}
