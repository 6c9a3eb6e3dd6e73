/* Compose's short port syntax:
 *
 *   [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]
 *
 * HOST_IP is IPv4, or IPv6 in brackets; an empty HOST_PORT after an IP
 * ("127.0.0.1::5000") or no HOST_PORT at all ("5000") means an ephemeral
 * host port.  Ranges expand to one spec_port each and must be as long on
 * both sides. */
#include "spec/units.h"
#include "spec/units_internal.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int spec_parse_port_number(const char *s, uint16_t *port, char **errmsg)
{
	unsigned long v = 0;
	if (!s || !*s)
		return spec_units_error(errmsg, "empty port number: a port is 1-65535");
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return spec_units_error(errmsg, "invalid port `%s`: a port is a number 1-65535", s);
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return spec_units_error(errmsg, "port `%s` is out of range: a port is 1-65535", s);
	}
	if (v == 0)
		return spec_units_error(errmsg, "port 0 is not valid: a port is 1-65535");
	*port = (uint16_t)v;
	return 0;
}

/* "A" or "A-B" → [lo, hi]. */
static int parse_range(const char *s, const char *what, uint16_t *lo, uint16_t *hi, char **errmsg)
{
	const char *dash = strchr(s, '-');
	_cleanup_free_ char *first = xstrndup(s, dash ? (size_t)(dash - s) : strlen(s));
	char *e = NULL;
	if (spec_parse_port_number(first, lo, &e) < 0) {
		spec_units_error(errmsg, "invalid %s: %s", what, e);
		free(e);
		return -1;
	}
	if (!dash) {
		*hi = *lo;
		return 0;
	}
	if (spec_parse_port_number(dash + 1, hi, &e) < 0) {
		spec_units_error(errmsg, "invalid %s range end: %s", what, e);
		free(e);
		return -1;
	}
	if (*hi < *lo)
		return spec_units_error(errmsg, "invalid %s range `%s`: the end is below the start", what, s);
	return 0;
}

int spec_parse_ports(const char *s, struct spec_port **out, size_t *n, char **errmsg)
{
	enum spec_proto proto = SPEC_PROTO_TCP;
	_cleanup_free_ char *spec = xstrdup(s ? s : "");
	_cleanup_free_ char *ip = NULL;
	char *host = NULL, *container;

	if (!*spec)
		return spec_units_error(errmsg, "empty port mapping: expected e.g. \"8080:80\"");
	char *slash = strrchr(spec, '/');
	if (slash) {
		*slash = '\0';
		const char *p = slash + 1;
		if (!strcasecmp(p, "tcp"))
			proto = SPEC_PROTO_TCP;
		else if (!strcasecmp(p, "udp"))
			proto = SPEC_PROTO_UDP;
		else if (!strcasecmp(p, "sctp"))
			return spec_units_error(errmsg, "port `%s`: protocol sctp is not supported; use tcp or udp", s);
		else
			return spec_units_error(errmsg, "port `%s`: unknown protocol `%s`; use tcp or udp", s, p);
	}
	char *rest = spec;
	if (*rest == '[') {
		char *close = strchr(rest, ']');
		if (!close || close[1] != ':')
			return spec_units_error(errmsg, "port `%s`: expected [IPV6]:HOST:CONTAINER", s);
		ip = xstrndup(rest + 1, (size_t)(close - rest - 1));
		struct in6_addr a6;
		if (inet_pton(AF_INET6, ip, &a6) != 1)
			return spec_units_error(errmsg, "port `%s`: `%s` is not an IPv6 address", s, ip);
		rest = close + 2;
		char *colon = strrchr(rest, ':');
		if (!colon)
			return spec_units_error(errmsg, "port `%s`: expected [IPV6]:HOST:CONTAINER (HOST may be empty)",
						s);
		*colon = '\0';
		host = rest;
		container = colon + 1;
	} else {
		char *colon = strrchr(rest, ':');
		if (!colon) {
			container = rest;
		} else {
			*colon = '\0';
			container = colon + 1;
			char *c2 = strrchr(rest, ':');
			if (!c2) {
				host = rest;
			} else {
				*c2 = '\0';
				host = c2 + 1;
				ip = xstrdup(rest);
				if (strchr(ip, ':'))
					return spec_units_error(errmsg,
								"port `%s`: write an IPv6 address in brackets, "
								"e.g. \"[::1]:8080:80\"",
								s);
				struct in_addr a4;
				if (inet_pton(AF_INET, ip, &a4) != 1)
					return spec_units_error(errmsg, "port `%s`: `%s` is not an IPv4 address", s, ip);
			}
		}
	}
	if (host && !*host && !ip)
		return spec_units_error(errmsg,
					"port `%s`: the host port is empty; write \"%s\" for an ephemeral host port", s,
					container);

	uint16_t clo, chi, hlo = 0, hhi = 0;
	if (parse_range(container, "container port", &clo, &chi, errmsg) < 0)
		return -1;
	if (host && *host) {
		if (parse_range(host, "host port", &hlo, &hhi, errmsg) < 0)
			return -1;
		if (hhi - hlo != chi - clo)
			return spec_units_error(errmsg,
						"port `%s`: the host range has %d ports and the container range %d; "
						"they must be the same length",
						s, hhi - hlo + 1, chi - clo + 1);
	}
	size_t count = (size_t)(chi - clo) + 1;
	*out = xrealloc(*out, (*n + count) * sizeof(**out));
	for (size_t i = 0; i < count; i++) {
		struct spec_port *p = &(*out)[*n + i];
		p->host_ip = ip ? xstrdup(ip) : NULL;
		p->published = hlo ? (uint16_t)(hlo + i) : 0;
		p->target = (uint16_t)(clo + i);
		p->protocol = proto;
	}
	*n += count;
	return 0;
}
