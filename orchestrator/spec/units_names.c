/* Names checked against the system's own tables: capabilities through
 * libcap-ng (so a new kernel capability is known as soon as libcap-ng knows
 * it), signals through glibc's sigabbrev_np. */
#include "spec/units.h"
#include "spec/units_internal.h"
#include "util/mem.h"
#include "util/strv.h"

#include <cap-ng.h>
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libcap-ng numbers capabilities densely from 0; 64 is past any kernel's. */
#define MAX_CAP_NUMBER 64

/* Upper-cases s in place; takes and returns ownership. */
static char *upcase(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

int spec_parse_capability(const char *s, char **out, char **errmsg)
{
	if (!s || !*s)
		return spec_units_error(errmsg, "empty capability name");
	const char *name = !strncasecmp(s, "CAP_", 4) ? s + 4 : s;
	if (!strcasecmp(name, "ALL")) {
		*out = xstrdup("ALL");
		return 0;
	}
	/* libcap-ng takes the bare name; digits would be read as numbers, which
	 * compose does not accept, so only letters and _ get that far. */
	bool plain = *name != '\0';
	for (const char *p = name; *p; p++)
		if (!isalpha((unsigned char)*p) && *p != '_')
			plain = false;
	if (plain && capng_name_to_capability(name) >= 0) {
		*out = upcase(xstrdup(name));
		return 0;
	}
	if (!errmsg)
		return -1;
	struct strv names = {0};
	for (int c = 0; c < MAX_CAP_NUMBER; c++) {
		const char *n = capng_capability_to_name((unsigned int)c);
		if (n && strcmp(n, "unknown"))
			strv_push_take(&names, upcase(xstrdup(n)));
	}
	_cleanup_free_ char *want = upcase(xstrdup(name));
	const char *guess = spec_suggest(want, (const char *const *)strv_argv(&names), names.n);
	size_t len = 0;
	for (size_t i = 0; i < names.n; i++)
		len += strlen(names.v[i]) + 1;
	char *list = xmalloc(len + 1), *p = list;
	for (size_t i = 0; i < names.n; i++)
		p += sprintf(p, "%s%s", i ? " " : "", names.v[i]);
	*p = '\0';
	if (guess)
		*errmsg = xasprintf("unknown capability `%s` (did you mean %s?); valid: ALL %s", s, guess, list);
	else
		*errmsg = xasprintf("unknown capability `%s`; valid (CAP_ prefix optional): ALL %s", s, list);
	free(list);
	strv_free(&names);
	return -1;
}

int spec_parse_signal(const char *s, int *sig, char **errmsg)
{
	if (!s || !*s)
		return spec_units_error(errmsg, "empty signal name");
	if (isdigit((unsigned char)*s)) {
		char *end = NULL;
		long v = strtol(s, &end, 10);
		if (*end || v < 1 || v >= NSIG)
			return spec_units_error(errmsg, "invalid signal number `%s`: expected 1-%d", s, NSIG - 1);
		*sig = (int)v;
		return 0;
	}
	const char *name = !strncasecmp(s, "SIG", 3) ? s + 3 : s;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, name)) {
			*sig = i;
			return 0;
		}
	}
	/* Real-time signals: RTMIN, RTMIN+N, RTMAX-N, as `kill -l` names them. */
	if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
		bool max = !strncasecmp(name, "RTMAX", 5);
		const char *r = name + 5;
		long off = 0;
		if (*r) {
			char *end = NULL;
			if ((max && *r != '-') || (!max && *r != '+') || !isdigit((unsigned char)r[1]))
				goto bad;
			off = strtol(r + 1, &end, 10);
			if (*end)
				goto bad;
		}
		long v = max ? SIGRTMAX - off : SIGRTMIN + off;
		if (v < SIGRTMIN || v > SIGRTMAX)
			goto bad;
		*sig = (int)v;
		return 0;
	}
bad:
	if (errmsg) {
		const char *names[NSIG];
		char buf[NSIG][16];
		size_t n = 0;
		for (int i = 1; i < NSIG; i++) {
			const char *abbrev = sigabbrev_np(i);
			if (!abbrev)
				continue;
			snprintf(buf[n], sizeof(buf[n]), "SIG%s", abbrev);
			names[n] = buf[n];
			n++;
		}
		_cleanup_free_ char *want = upcase(xasprintf("SIG%s", name));
		const char *guess = spec_suggest(want, names, n);
		if (guess)
			*errmsg = xasprintf("unknown signal `%s` (did you mean %s?)", s, guess);
		else
			*errmsg = xasprintf("unknown signal `%s`: expected a name like SIGTERM, TERM or a number like 15", s);
	}
	return -1;
}
