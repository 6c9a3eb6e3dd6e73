/* Docker image references: validation and normalization (see ref.h). */
#include "spec/ref.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define REF_NAME_MAX 255
#define REF_TAG_MAX 128

struct ref_parts {
	char *domain; /* NULL: none given */
	char *path;
	char *tag;    /* NULL: none */
	char *digest; /* NULL: none */
};

static void parts_free(struct ref_parts *p)
{
	free(p->domain);
	free(p->path);
	free(p->tag);
	free(p->digest);
}

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]))
		return false;
	while (i < n) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n || !is_lower_alnum(s[i]) || i == sep)
			return false;
	}
	return true;
}

static bool path_ok(const char *path, char **errmsg, const char *whole)
{
	const char *s = path;
	for (const char *c = path; *c; c++) {
		if (isupper((unsigned char)*c)) {
			*errmsg = xasprintf("invalid image reference `%s`: repository name must be lowercase", whole);
			return false;
		}
	}
	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (!path_component_ok(s, n)) {
			*errmsg = xasprintf("invalid image reference `%s`: `%.*s` is not a valid name component "
					    "(lower-case letters and digits, separated by `.`, `_`, `__` or `-`)",
					    whole, (int)n, s);
			return false;
		}
		if (!e)
			return true;
		s = e + 1;
	}
}

static bool domain_ok(const char *d)
{
	const char *colon = strrchr(d, ':');
	size_t hostlen = colon ? (size_t)(colon - d) : strlen(d);
	if (colon) {
		if (!colon[1])
			return false;
		for (const char *p = colon + 1; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	if (hostlen == 0)
		return false;
	/* host labels: [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? joined by '.' */
	size_t i = 0;
	while (i < hostlen) {
		size_t start = i;
		while (i < hostlen && (isalnum((unsigned char)d[i]) || d[i] == '-'))
			i++;
		if (i == start || d[start] == '-' || d[i - 1] == '-')
			return false;
		if (i < hostlen) {
			if (d[i] != '.')
				return false;
			i++;
			if (i == hostlen)
				return false;
		}
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > REF_TAG_MAX)
		return false;
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

static bool digest_ok(const char *d)
{
	const char *colon = strchr(d, ':');
	if (!colon || colon == d)
		return false;
	for (const char *p = d; p < colon; p++)
		if (!(is_lower_alnum(*p) || *p == '+' || *p == '.' || *p == '_' || *p == '-'))
			return false;
	size_t hexlen = strlen(colon + 1);
	for (const char *p = colon + 1; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	if (strncmp(d, "sha256:", 7) == 0) {
		if (hexlen != 64)
			return false;
		for (const char *p = colon + 1; *p; p++)
			if (isupper((unsigned char)*p))
				return false;
		return true;
	}
	return hexlen >= 32;
}

static int ref_parse(const char *ref, struct ref_parts *p, char **errmsg)
{
	memset(p, 0, sizeof(*p));
	if (!ref[0]) {
		*errmsg = xstrdup("empty image reference");
		return -1;
	}
	_cleanup_free_ char *s = xstrdup(ref);
	char *at = strchr(s, '@');
	if (at) {
		*at = '\0';
		if (!digest_ok(at + 1)) {
			*errmsg = xasprintf("invalid image reference `%s`: bad digest `%s` (expected sha256: and 64 hex digits)",
					    ref, at + 1);
			return -1;
		}
		p->digest = xstrdup(at + 1);
	}
	char *slash = strrchr(s, '/');
	char *colon = strrchr(slash ? slash : s, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1)) {
			*errmsg = xasprintf("invalid image reference `%s`: bad tag `%s` (letters, digits, `_`, `.`, `-`; at most 128)",
					    ref, colon + 1);
			return -1;
		}
		p->tag = xstrdup(colon + 1);
	}
	char *first = strchr(s, '/');
	const char *path = s;
	if (first) {
		size_t n = (size_t)(first - s);
		if (memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && memcmp(s, "localhost", 9) == 0)) {
			*first = '\0';
			if (!domain_ok(s)) {
				*errmsg = xasprintf("invalid image reference `%s`: bad registry `%s`", ref, s);
				return -1;
			}
			p->domain = xstrdup(s);
			path = first + 1;
		}
	}
	if (!path_ok(path, errmsg, ref))
		return -1;
	size_t total = strlen(path) + (p->domain ? strlen(p->domain) + 1 : 0);
	if (total > REF_NAME_MAX) {
		*errmsg = xasprintf("invalid image reference `%s`: name longer than %d characters", ref, REF_NAME_MAX);
		return -1;
	}
	p->path = xstrdup(path);
	return 0;
}

bool spec_ref_valid(const char *ref, char **errmsg)
{
	struct ref_parts p;
	int r = ref_parse(ref, &p, errmsg);
	parts_free(&p);
	return r == 0;
}

int spec_ref_normalize(const char *ref, char **out, char **errmsg)
{
	struct ref_parts p;
	if (ref_parse(ref, &p, errmsg) < 0) {
		parts_free(&p);
		return -1;
	}
	const char *domain = p.domain ? p.domain : "docker.io";
	if (strcmp(domain, "index.docker.io") == 0)
		domain = "docker.io";
	bool hub = strcmp(domain, "docker.io") == 0;
	const char *lib = hub && !strchr(p.path, '/') ? "library/" : "";
	const char *tag = p.tag ? p.tag : (p.digest ? NULL : "latest");
	*out = xasprintf("%s/%s%s%s%s%s%s", domain, lib, p.path, tag ? ":" : "", tag ? tag : "",
			 p.digest ? "@" : "", p.digest ? p.digest : "");
	parts_free(&p);
	return 0;
}

bool spec_image_name_valid(const char *name, char **errmsg)
{
	if (!name[0]) {
		*errmsg = xstrdup("empty image name");
		return false;
	}
	if (strchr(name, '@') || strchr(name, ':')) {
		*errmsg = xasprintf("invalid image name `%s`: a stack image is named without a tag or digest", name);
		return false;
	}
	if (strlen(name) > REF_NAME_MAX) {
		*errmsg = xasprintf("invalid image name `%s`: longer than %d characters", name, REF_NAME_MAX);
		return false;
	}
	for (const char *c = name; *c; c++) {
		if (isupper((unsigned char)*c)) {
			*errmsg = xasprintf("invalid image name `%s`: image names must be lowercase", name);
			return false;
		}
	}
	return path_ok(name, errmsg, name);
}
