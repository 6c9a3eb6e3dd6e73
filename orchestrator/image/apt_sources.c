/* Parsing apt's sources lists (apt_sources.h). */
#include "image/apt_sources.h"
#include "util/mem.h"

#include <string.h>
#include <strings.h>

static struct img_apt_source *add(struct img_apt_sources *ss)
{
	ss->v = xgrow(ss->v, &ss->cap, ss->n + 1, sizeof(*ss->v));
	struct img_apt_source *s = &ss->v[ss->n++];
	memset(s, 0, sizeof(*s));
	s->enabled = true;
	return s;
}

static void split(const char *s, size_t n, const char *seps, struct strv *out)
{
	_cleanup_free_ char *copy = xstrndup(s, n);
	char *save = NULL;
	for (char *w = strtok_r(copy, seps, &save); w; w = strtok_r(NULL, seps, &save))
		strv_push(out, w);
}

/* `deb [arch=amd64 signed-by=/k.gpg] URI SUITE COMPONENT...` */
static void one_line(struct img_apt_sources *ss, const char *line, size_t len)
{
	struct strv w = {0};
	const char *hash = memchr(line, '#', len);
	split(line, hash ? (size_t)(hash - line) : len, " \t\r", &w);
	size_t i = 1;
	if (w.n < 1 || (strcmp(w.v[0], "deb") && strcmp(w.v[0], "deb-src"))) {
		strv_free(&w);
		return;
	}
	struct img_apt_source *s = add(ss);
	strv_push(&s->types, w.v[0]);
	if (i < w.n && w.v[i][0] == '[') {
		for (; i < w.n; i++) {
			char *o = w.v[i] + (w.v[i][0] == '[');
			char *close = strchr(o, ']');
			if (close)
				*close = '\0';
			if (!strncasecmp(o, "signed-by=", 10))
				split(o + 10, strlen(o + 10), ",", &s->signed_by);
			if (close)
				break;
		}
		i++;
	}
	if (i < w.n)
		strv_push(&s->uris, w.v[i]);
	if (i + 1 < w.n)
		strv_push(&s->suites, w.v[i + 1]);
	strv_free(&w);
}

/* "Name:" at the start of a stanza line: its value, else NULL. */
static const char *field(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	return line + n + 1;
}

static void deb822(struct img_apt_sources *ss, const char *text)
{
	struct img_apt_source *s = NULL;
	struct strv *cur = NULL; /* the field an indented line goes on with */
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = xstrndup(p, len);
		p += len + (nl ? 1 : 0);
		if (line[0] == '#')
			continue;
		if (line[strspn(line, " \t\r")] == '\0') {
			s = NULL; /* a blank line ends the stanza */
			cur = NULL;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (cur)
				split(line, len, cur == &s->signed_by ? ", \t\r" : " \t\r", cur);
			continue;
		}
		if (!s)
			s = add(ss);
		const char *v;
		cur = NULL;
		if ((v = field(line, "Types")))
			cur = &s->types;
		else if ((v = field(line, "URIs")))
			cur = &s->uris;
		else if ((v = field(line, "Suites")))
			cur = &s->suites;
		else if ((v = field(line, "Signed-By")))
			cur = &s->signed_by;
		else if ((v = field(line, "Enabled")))
			s->enabled = strstr(v, "no") == NULL;
		if (cur)
			split(v, strlen(v), cur == &s->signed_by ? ", \t\r" : " \t\r", cur);
	}
}

void img_apt_sources_parse(const char *text, bool deb822_format, struct img_apt_sources *out)
{
	if (deb822_format) {
		deb822(out, text);
		return;
	}
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		one_line(out, p, len);
		p += len + (nl ? 1 : 0);
	}
}

void img_apt_sources_free(struct img_apt_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		strv_free(&s->v[i].types);
		strv_free(&s->v[i].uris);
		strv_free(&s->v[i].suites);
		strv_free(&s->v[i].signed_by);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
