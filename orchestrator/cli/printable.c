#include "cli/printable.h"
#include "util/escape.h"

#include <string.h>

#define SHOWN_MAX 200

char *cli_printable(const char *s)
{
	size_t n = strlen(s), cut = n > SHOWN_MAX ? SHOWN_MAX : n;
	/* Cut between characters, not inside one (it would show as \xNN). */
	for (int k = 0; k < 3 && cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80; k++)
		cut--;
	struct strbuf b = {0};
	st_escape_add(&b, s, cut, ST_ESCAPE_BACKSLASH);
	if (cut < n)
		strbuf_adds(&b, "...");
	return strbuf_take(&b);
}
