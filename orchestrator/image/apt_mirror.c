/* The host's Debian mirror, from its apt sources (apt_sources.h): the
 * `deb` entries, `Enabled: no` ones skipped. */
#include "image/apt_sources.h"
#include "image/debootstrap.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static void read_sources_file(struct img_apt_sources *ss, const char *path, bool deb822)
{
	_cleanup_free_ char *text = NULL;
	st_error_t e = NULL;
	if (fs_read_file(path, 1 << 20, &text, NULL, &e) < 0) {
		st_error_free(&e); /* an unreadable file is no source, as apt warns and goes on */
		return;
	}
	img_apt_sources_parse(text, deb822, ss);
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
	struct img_apt_sources ss = {0};
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
		const struct img_apt_source *s = &ss.v[i];
		if (!s->enabled || !strv_contains(&s->types, "deb"))
			continue;
		for (size_t u = 0; u < s->uris.n; u++) {
			const char *uri = s->uris.v[u];
			if (!strncmp(uri, "cdrom:", 6))
				continue;
			if (!exact && strv_contains(&s->suites, suite))
				exact = uri;
			for (size_t k = 0; !any && k < s->suites.n; k++)
				if (debian_suite(s->suites.v[k]))
					any = uri;
		}
	}
	char *out = exact ? xstrdup(exact) : any ? xstrdup(any) : NULL;
	img_apt_sources_free(&ss);
	if (!out)
		st_error(err, 0, "no Debian source in the host's apt config (%s/sources.list, sources.list.d/): "
				 "give the base a `mirror:` (e.g. http://deb.debian.org/debian)",
			 apt_dir);
	return out;
}
