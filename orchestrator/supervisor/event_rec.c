#include "supervisor/event_rec.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

char *sup_event_encode(const char *time, const char *action, const char *service, const char *container,
		       json_t *attrs)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "time", time, "type", "container", "action", action,
			      "service", service, "container", container, "attributes",
			      attrs ? json_incref(attrs) : json_object());
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int sup_event_parse_time(const char *s, int64_t *ns)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec;
	const char *p = s;
	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' || digits(&p, 2, &d) < 0 ||
	    *p++ != 'T' || digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0 || *p++ != ':' ||
	    digits(&p, 2, &sec) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n < 9) {
				frac = frac * 10 + (*p - '0');
				n++;
			}
			p++;
		}
		if (n == 0)
			return -1;
		for (; n < 9; n++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	*ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

static const char *field(json_t *o, const char *key, st_error_t *err)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v)
		st_error(err, EINVAL, "no string `%s`", key);
	return v;
}

int sup_event_parse(const char *line, size_t len, struct sup_event_rec *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	json_error_t jerr;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return st_error(err, EINVAL, "not JSON: %s (at byte %d)", jerr.text, jerr.position);
	if (!json_is_object(o)) {
		json_decref(o);
		return st_error(err, EINVAL, "not a JSON object");
	}
	struct sup_event_rec r = {.obj = o};
	if (!(r.time = field(o, "time", err)) || !(r.action = field(o, "action", err)) ||
	    !(r.service = field(o, "service", err)) || !(r.container = field(o, "container", err)))
		goto bad;
	if (sup_event_parse_time(r.time, &r.time_ns) < 0) {
		st_error(err, EINVAL, "`time` `%s` is not an RFC 3339 UTC time", r.time);
		goto bad;
	}
	r.attributes = json_object_get(o, "attributes");
	if (!r.attributes) {
		r.attributes = json_object();
		json_object_set_new(o, "attributes", r.attributes);
	} else if (!json_is_object(r.attributes)) {
		st_error(err, EINVAL, "`attributes` is not an object");
		goto bad;
	}
	*out = r;
	return 0;
bad:
	json_decref(o);
	return -1;
}

void sup_event_rec_free(struct sup_event_rec *r)
{
	json_decref(r->obj);
	memset(r, 0, sizeof(*r));
}
