/* IPv4 subnets (see subnet.h). */
#include "spec/subnet.h"

#include "util/mem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	uint32_t addr;
	int prefix;
	const char *what;
} reserved[] = {
	{0x00000000u, 8, "`this network` (0.0.0.0/8)"},
	{0x7f000000u, 8, "loopback (127.0.0.0/8)"},
	{0xa9fe0000u, 16, "link-local (169.254.0.0/16)"},
	{0xe0000000u, 4, "multicast (224.0.0.0/4)"},
	{0xf0000000u, 4, "reserved (240.0.0.0/4)"},
};

int spec_subnet_parse(const char *s, struct spec_subnet *out, char **errmsg)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || slash - s > 15) {
		*errmsg = xasprintf("`%s` is not a subnet in CIDR form, like 10.5.0.0/24", s);
		return -1;
	}
	char quad[16];
	memcpy(quad, s, (size_t)(slash - s));
	quad[slash - s] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, quad, &a) != 1) {
		*errmsg = xasprintf("`%s`: `%s` is not an IPv4 address (stack networks are IPv4 only)", s, quad);
		return -1;
	}
	const char *p = slash + 1;
	char *end = NULL;
	long prefix = isdigit((unsigned char)*p) ? strtol(p, &end, 10) : -1;
	if (prefix < 0 || *end || end - p > 2) {
		*errmsg = xasprintf("`%s`: the prefix length `%s` is not a number", s, p);
		return -1;
	}
	if (prefix < SPEC_SUBNET_PREFIX_MIN || prefix > SPEC_SUBNET_PREFIX_MAX) {
		*errmsg = xasprintf("`%s`: prefix length /%ld is out of range: use /%d to /%d", s, prefix,
				    SPEC_SUBNET_PREFIX_MIN, SPEC_SUBNET_PREFIX_MAX);
		return -1;
	}
	uint32_t addr = ntohl(a.s_addr), mask = spec_subnet_mask((int)prefix);
	if (addr & ~mask) {
		char net[16];
		spec_ipv4_format(addr & mask, net);
		*errmsg = xasprintf("`%s` has host bits set: did you mean %s/%ld?", s, net, prefix);
		return -1;
	}
	struct spec_subnet n = {.addr = addr, .prefix = (int)prefix};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct spec_subnet r = {.addr = reserved[i].addr, .prefix = reserved[i].prefix};
		if (spec_subnet_overlap(&n, &r)) {
			*errmsg = xasprintf("`%s` overlaps the %s range: use a private range such as 10.0.0.0/8, "
					    "172.16.0.0/12 or 192.168.0.0/16",
					    s, reserved[i].what);
			return -1;
		}
	}
	*out = n;
	return 0;
}

void spec_ipv4_format(uint32_t addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff);
}

void spec_subnet_format(const struct spec_subnet *n, char *buf)
{
	spec_ipv4_format(n->addr, buf);
	size_t len = strlen(buf);
	snprintf(buf + len, SPEC_SUBNET_STRLEN - len, "/%d", n->prefix);
}

bool spec_subnet_overlap(const struct spec_subnet *a, const struct spec_subnet *b)
{
	/* Two CIDR blocks overlap iff one contains the other: compare under
	 * the shorter prefix. */
	uint32_t mask = spec_subnet_mask(a->prefix < b->prefix ? a->prefix : b->prefix);
	return (a->addr & mask) == (b->addr & mask);
}
