#include "cli/printable.h"
#include "util/strbuf.h"

#include <stdio.h>

#define SHOWN_MAX 200

char *cli_printable(const char *s)
{
	struct strbuf b = {0};
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n == SHOWN_MAX) {
			strbuf_adds(&b, "...");
			break;
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			strbuf_addc(&b, (char)*p);
		else {
			char hex[5];
			snprintf(hex, sizeof(hex), "\\x%02x", *p);
			strbuf_adds(&b, hex);
		}
	}
	return strbuf_take(&b);
}
