#include "cli/log_time.h"
#include "spec/units.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL
/* 9999-12-31T23:59:59Z: four digits of year are what the log form holds */
#define LAST_SECOND 253402300799LL

static int fail(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **errmsg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*errmsg = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* Exactly N digits at *p, advanced past them. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* .F: a fraction of a second, 1 to 9 digits (more are an error: nothing
 * is finer than the log's nanoseconds) */
static bool fraction(const char **p, long *ns)
{
	*ns = 0;
	if (**p != '.')
		return true;
	(*p)++;
	int n = 0;
	long scale = NS_PER_S;
	while (isdigit((unsigned char)**p)) {
		if (++n > 9)
			return false;
		scale /= 10;
		*ns += (**p - '0') * scale;
		(*p)++;
	}
	return n > 0;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Seconds since the epoch of a UTC civil time (proleptic Gregorian), by
 * the days-from-civil formula: timegm() would do, but is not POSIX and
 * normalizes out-of-range fields instead of refusing them. */
static int64_t civil_to_unix(int y, int m, int d, int hh, int mm, int ss)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + hh * 3600 + mm * 60 + ss;
}

/* RFC 3339 and the shorter forms docker takes.  1: parsed; 0: not this
 * form; -1: this form, but wrong (*errmsg set). */
static int parse_rfc3339(const char *s, int64_t *sec, long *ns, char **errmsg)
{
	const char *p = s;
	int y, mo, d, hh = 0, mi = 0, ss = 0;
	if (!digits(&p, 4, &y) || *p != '-')
		return 0;
	p++;
	if (!digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
		return fail(errmsg, "`%s` is not a date (YYYY-MM-DD)", s);
	if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo))
		return fail(errmsg, "`%s`: no such day", s);
	*ns = 0;
	bool zone = false;
	int64_t offset = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mi))
			return fail(errmsg, "`%s`: the time of day is not HH:MM[:SS[.F]]", s);
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &ss) || !fraction(&p, ns))
				return fail(errmsg, "`%s`: the seconds are not SS[.F] (at most 9 digits after the dot)", s);
		}
		if (hh > 23 || mi > 59 || ss > 59)
			return fail(errmsg, "`%s`: no such time of day", s);
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
		zone = true;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
			return fail(errmsg, "`%s`: the zone is not Z or +HH:MM / -HH:MM", s);
		offset = sign * (oh * 3600 + om * 60);
		zone = true;
	}
	if (*p)
		return fail(errmsg, "`%s`: unexpected text after the time", s);
	if (zone) {
		*sec = civil_to_unix(y, mo, d, hh, mi, ss) - offset;
		return 1;
	}
	/* no zone: the local time, as docker reads it */
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mi,
			.tm_sec = ss, .tm_isdst = -1};
	time_t t = mktime(&tm);
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
		return fail(errmsg, "`%s`: not a local time this machine can represent", s);
	*sec = (int64_t)t;
	return 1;
}

/* SECONDS[.F] since the epoch.  1, 0, -1 as parse_rfc3339. */
static int parse_unix(const char *s, int64_t *sec, long *ns, char **errmsg)
{
	const char *p = s;
	size_t whole = strspn(s, "0123456789");
	if (whole == 0 || (s[whole] && (s[whole] != '.' || s[whole + 1 + strspn(s + whole + 1, "0123456789")])))
		return 0; /* a duration (1.5s), or nothing */
	int64_t v = 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > LAST_SECOND)
			return fail(errmsg, "`%s` is after the year 9999", s);
		v = v * 10 + (*p - '0');
	}
	if (!fraction(&p, ns) || *p)
		return fail(errmsg, "`%s` is not a Unix time (SECONDS[.F], at most 9 digits after the dot)", s);
	*sec = v;
	return 1;
}

int cli_log_time_parse(const char *s, const struct timespec *now, char out[40], char **errmsg)
{
	int64_t sec = 0;
	long ns = 0;
	*errmsg = NULL;
	if (!s || !*s)
		return fail(errmsg, "%s", "an empty time");
	int r = parse_rfc3339(s, &sec, &ns, errmsg);
	if (r == 0)
		r = parse_unix(s, &sec, &ns, errmsg);
	if (r < 0)
		return -1;
	if (r == 0) {
		int64_t d;
		char *derr = NULL;
		if (s[0] == '-')
			return fail(errmsg, "`%s`: a duration counts back from now and cannot be negative", s);
		if (spec_parse_duration(s, &d, &derr) < 0) {
			free(derr);
			return fail(errmsg, "`%s` is neither a time nor a duration", s);
		}
		/* now - d, in ns without overflow: d is at most ~292 years */
		int64_t t_ns_sec = (int64_t)now->tv_sec - d / NS_PER_S;
		long t_ns = now->tv_nsec - (long)(d % NS_PER_S);
		if (t_ns < 0) {
			t_ns += NS_PER_S;
			t_ns_sec--;
		}
		sec = t_ns_sec;
		ns = t_ns;
	}
	if (sec > LAST_SECOND)
		return fail(errmsg, "`%s` is after the year 9999", s);
	if (sec < 0) {
		sec = 0;
		ns = 0;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return fail(errmsg, "`%s` cannot be represented", s);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%09ldZ", ns);
	return 0;
}
