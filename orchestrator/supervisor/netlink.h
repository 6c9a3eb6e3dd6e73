/* rtnetlink through libmnl, for the stack's networks: the few link,
 * address and route requests network.c needs, each on a socket made in a
 * given network namespace (a netlink socket acts in the namespace it was
 * made in, wherever it is used from).  IPv4 only; addresses in host byte
 * order.  Errors name the request and the interface. */
#ifndef STACK_SUPERVISOR_NETLINK_H
#define STACK_SUPERVISOR_NETLINK_H

#include "spec/subnet.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

struct sup_nl {
	struct mnl_socket *sock;
	unsigned portid, seq;
	char *buf; /* MNL_SOCKET_BUFFER_SIZE */
};

/* A socket in the namespace netns_fd names (an nsfs file or
 * /proc/PID/ns/net); -1: the calling thread's own. */
int sup_nl_open(struct sup_nl *nl, int netns_fd, st_error_t *err);
void sup_nl_close(struct sup_nl *nl);

/* The index of link `name`: > 0, 0 when there is none, -1 on error. */
int sup_nl_ifindex(struct sup_nl *nl, const char *name, st_error_t *err);
/* A bridge; EEXIST is an error (the caller looks first). */
int sup_nl_bridge_add(struct sup_nl *nl, const char *name, st_error_t *err);
/* A veth pair: `name` here, `peer` in the namespace peer_netns_fd names. */
int sup_nl_veth_add(struct sup_nl *nl, const char *name, const char *peer, int peer_netns_fd, st_error_t *err);
/* Enslave to master (> 0; 0: leave as is) and set up. */
int sup_nl_link_up(struct sup_nl *nl, int ifindex, int master, st_error_t *err);
/* Delete link `name`; none by that name is not an error. */
int sup_nl_link_del(struct sup_nl *nl, const char *name, st_error_t *err);
/* addr/prefix on ifindex; already there is not an error. */
int sup_nl_addr_add(struct sup_nl *nl, int ifindex, uint32_t addr, int prefix, st_error_t *err);
/* The default route via gw. */
int sup_nl_route_default(struct sup_nl *nl, uint32_t gw, st_error_t *err);
/* Every IPv4 prefix this namespace has an address in or a route to (the
 * default route aside), for the collision probe.  *out is malloc'd. */
int sup_nl_v4_prefixes(struct sup_nl *nl, struct spec_subnet **out, size_t *n, st_error_t *err);

#endif
