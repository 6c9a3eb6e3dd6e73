/* Which apt.conf.d files host_apt lends (host_apt.h): those whose every
 * statement sets an Acquire:: option, read in apt.conf's syntax (`//`,
 * `#` and C comments, quoted values, `name { ... };` scopes).  A
 * directive (#include, #clear) or any other top-level name keeps the
 * file out: a DPkg:: hook may call a tool only the host has. */
#include "builder/host_apt.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char *skip_comment(const char *p)
{
	if (p[0] == '/' && p[1] == '/')
		return strchrnul(p, '\n');
	if (p[0] == '/' && p[1] == '*') {
		const char *end = strstr(p + 2, "*/");
		return end ? end + 2 : p + strlen(p);
	}
	return NULL;
}

bool build_apt_conf_acquire_only(const char *s)
{
	int depth = 0;
	bool start = true, any = false;
	for (const char *p = s; *p;) {
		const char *c = skip_comment(p);
		if (c) {
			p = c;
			continue;
		}
		if (*p == '#') {
			if (!strncmp(p, "#include", 8) || !strncmp(p, "#clear", 6))
				return false;
			p = strchrnul(p, '\n');
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			if (!end)
				return false;
			p = end + 1;
			start = false;
			continue;
		}
		if (*p == '{') {
			depth++;
		} else if (*p == '}') {
			if (--depth < 0)
				return false;
		} else if (*p == ';') {
			start = depth == 0;
		} else if (start && depth == 0) {
			if (strncasecmp(p, "Acquire", 7) || (p[7] != ':' && p[7] != '{' && !isspace((unsigned char)p[7])))
				return false;
			any = true;
			start = false;
		}
		p++;
	}
	return any && depth == 0;
}
