/* Names that become paths or lines of generated files (see names.h). */
#include "spec/names.h"

#include "util/mem.h"

#include <stdio.h>
#include <string.h>

/* Not isalnum(): its answer depends on the locale, and a byte above 127
 * that some locale calls a letter must not pass. */
static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool spec_name_valid(const char *name)
{
	if (!name || !ascii_alnum(name[0]))
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++)
		if (!ascii_alnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return n <= SPEC_NAME_MAX;
}

bool spec_hostname_valid(const char *name)
{
	if (!name || !name[0] || strlen(name) > SPEC_HOSTNAME_MAX)
		return false;
	const char *label = name;
	for (;;) {
		size_t len = strcspn(label, ".");
		if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
			return false;
		for (size_t i = 0; i < len; i++)
			if (!ascii_alnum(label[i]) && label[i] != '-')
				return false;
		if (!label[len])
			return true;
		label += len + 1;
	}
}

char *spec_name_printable(const char *s)
{
	char *out = xmalloc(strlen(s) * 4 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			o += sprintf(o, "\\n");
		else if (*p == '\t')
			o += sprintf(o, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}
