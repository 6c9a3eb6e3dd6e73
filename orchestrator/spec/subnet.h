/* IPv4 subnets as a stack file writes them ("10.5.0.0/24"), for the
 * loader's check of `ipam.config.subnet` and the supervisor's address
 * plan.  Host byte order throughout: the arithmetic is on numbers. */
#ifndef STACK_SPEC_SUBNET_H
#define STACK_SPEC_SUBNET_H

#include <stdbool.h>
#include <stdint.h>

/* The prefix lengths a stack network may have: at least a /8 (larger
 * would take in ranges a host uses for itself), at most a /29 (the
 * network and broadcast addresses, the bridge, and room for services). */
#define SPEC_SUBNET_PREFIX_MIN 8
#define SPEC_SUBNET_PREFIX_MAX 29

struct spec_subnet {
	uint32_t addr; /* the network address: host bits zero */
	int prefix;
};

/* "A.B.C.D/N": dotted quad and a prefix in range, no host bits set, not
 * in 0/8, 127/8, 169.254/16, 224/4 or 240/4 (a bridge there would capture
 * this host's own loopback, link-local or multicast traffic as the
 * containers see it).  0, or -1 and *errmsg (malloc'd) saying why. */
int spec_subnet_parse(const char *s, struct spec_subnet *out, char **errmsg);
/* "A.B.C.D/N" into buf (at least SPEC_SUBNET_STRLEN bytes). */
#define SPEC_SUBNET_STRLEN 19
void spec_subnet_format(const struct spec_subnet *n, char *buf);
/* Dotted quad of a host-order address into buf (at least 16 bytes). */
void spec_ipv4_format(uint32_t addr, char *buf);
bool spec_subnet_overlap(const struct spec_subnet *a, const struct spec_subnet *b);
static inline uint32_t spec_subnet_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

#endif
