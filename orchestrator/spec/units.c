/* Durations (Go's time.ParseDuration syntax, as compose uses) and sizes
 * (docker's units.RAMInBytes: binary multiples).  Both are checked for
 * overflow: a value that does not fit is an error, never a wrapped number. */
#include "spec/units.h"
#include "spec/units_internal.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int spec_units_error(char **errmsg, const char *fmt, ...)
{
	if (!errmsg)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	*errmsg = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- durations ---- */

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{"ns", 1ULL},
	{"us", 1000ULL},
	{"\xc2\xb5s", 1000ULL}, /* U+00B5 micro sign */
	{"\xce\xbcs", 1000ULL}, /* U+03BC Greek mu */
	{"ms", 1000000ULL},
	{"s", 1000000000ULL},
	{"m", 60ULL * 1000000000ULL},
	{"h", 3600ULL * 1000000000ULL},
};

#define DURATION_HINT "a duration is a number with a unit: ns, us, ms, s, m or h, e.g. 30s, 1m30s, 1.5s, 100ms"

int spec_parse_duration(const char *s, int64_t *ns, char **errmsg)
{
	const char *p = s;
	uint64_t total = 0;

	if (!s || !*s)
		return spec_units_error(errmsg, "empty duration: %s", DURATION_HINT);
	if (*p == '-')
		return spec_units_error(errmsg, "invalid duration `%s`: durations cannot be negative", s);
	if (*p == '+')
		p++;
	if (!strcmp(p, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return spec_units_error(errmsg, "invalid duration `%s`: %s", s, DURATION_HINT);
	while (*p) {
		uint64_t v = 0, frac = 0, scale = 1;
		bool digits = false;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return spec_units_error(errmsg, "invalid duration `%s`: %s", s, DURATION_HINT);
		for (; isdigit((unsigned char)*p); p++) {
			digits = true;
			if (v > (UINT64_MAX - 9) / 10)
				return spec_units_error(errmsg, "duration `%s` is too long", s);
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.') {
			p++;
			for (; isdigit((unsigned char)*p); p++) {
				digits = true;
				/* Digits past nanosecond precision of an hour cannot matter. */
				if (scale < 1000000000000000000ULL) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					scale *= 10;
				}
			}
		}
		if (!digits)
			return spec_units_error(errmsg, "invalid duration `%s`: %s", s, DURATION_HINT);
		const char *u = p;
		while (*p && !isdigit((unsigned char)*p) && *p != '.')
			p++;
		size_t ulen = (size_t)(p - u);
		if (ulen == 0)
			return spec_units_error(errmsg, "invalid duration `%s`: missing unit; %s", s, DURATION_HINT);
		uint64_t unit = 0;
		for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++)
			if (strlen(duration_units[i].name) == ulen && !memcmp(u, duration_units[i].name, ulen))
				unit = duration_units[i].ns;
		if (!unit)
			return spec_units_error(errmsg, "invalid duration `%s`: unknown unit `%.*s`; %s", s, (int)ulen,
						u, DURATION_HINT);
		if (v > (uint64_t)INT64_MAX / unit)
			return spec_units_error(errmsg, "duration `%s` is too long (the limit is about 292 years)", s);
		v *= unit;
		if (frac) {
			/* frac/scale < 1, so this part is < unit and cannot overflow on its own. */
			long double f = (long double)frac * (long double)unit / (long double)scale;
			v += (uint64_t)f;
		}
		if (v > (uint64_t)INT64_MAX - total)
			return spec_units_error(errmsg, "duration `%s` is too long (the limit is about 292 years)", s);
		total += v;
	}
	*ns = (int64_t)total;
	return 0;
}

/* ---- sizes ---- */

#define SIZE_HINT "a size is a number with an optional unit b, k, m, g, t or p (binary: 1k = 1024), e.g. 512m, 1g, 1.5g"

int spec_parse_size(const char *s, int64_t *bytes, char **errmsg)
{
	const char *p = s;
	uint64_t v = 0, frac = 0, scale = 1;

	if (!s || !*s)
		return spec_units_error(errmsg, "empty size: %s", SIZE_HINT);
	if (*p == '-')
		return spec_units_error(errmsg, "invalid size `%s`: sizes cannot be negative", s);
	if (!isdigit((unsigned char)*p))
		return spec_units_error(errmsg, "invalid size `%s`: %s", s, SIZE_HINT);
	for (; isdigit((unsigned char)*p); p++) {
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return spec_units_error(errmsg, "size `%s` is too large", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return spec_units_error(errmsg, "invalid size `%s`: %s", s, SIZE_HINT);
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (*p == ' ')
		p++; /* docker accepts "1 g" */
	uint64_t mult = 1;
	switch (tolower((unsigned char)*p)) {
	case 'k': mult = 1ULL << 10; break;
	case 'm': mult = 1ULL << 20; break;
	case 'g': mult = 1ULL << 30; break;
	case 't': mult = 1ULL << 40; break;
	case 'p': mult = 1ULL << 50; break;
	default: break;
	}
	if (mult > 1) {
		p++;
		if (tolower((unsigned char)*p) == 'i')
			p++;
	}
	if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p)
		return spec_units_error(errmsg, "invalid size `%s`: %s", s, SIZE_HINT);
	if (v > (uint64_t)INT64_MAX / mult)
		return spec_units_error(errmsg, "size `%s` is too large", s);
	v *= mult;
	/* frac/scale of one unit; truncated to whole bytes as docker does. */
	uint64_t part = (uint64_t)((long double)frac * (long double)mult / (long double)scale);
	if (part > (uint64_t)INT64_MAX - v)
		return spec_units_error(errmsg, "size `%s` is too large", s);
	*bytes = (int64_t)(v + part);
	return 0;
}
