/* Shared by the network module's files (network.c, net_addr.c,
 * net_attach.c); not for other modules. */
#ifndef STACK_SUPERVISOR_NET_INTERNAL_H
#define STACK_SUPERVISOR_NET_INTERNAL_H

#include "supervisor/network.h"

#include <stdbool.h>

/* The entry `key` ("svc:NAME", "run:ID") of net, or NULL. */
struct sup_net_host *sup_net_find_host(const struct sup_net *net, const char *key);
/* A new entry `key` at the lowest free address after the bridge's. */
int sup_net_alloc_addr(struct sup_net *net, const char *key, uint32_t *out, st_error_t *err);
/* Is container id looked after (its ID.lock under run held: see stale.h)? */
bool sup_net_container_live(const char *run, const char *id);
/* The holders gone(holder, ctx) says are gone lose their addresses: a
 * one-off container's address is freed, a service's stays the service's.
 * Whether any was dropped. */
bool sup_net_drop_holders(struct sup_net *net, bool (*gone)(const char *holder, const void *ctx), const void *ctx);
/* sup_net_drop_holders for the holders that are not live (their starter
 * is gone). */
void sup_net_drop_stale(const char *run, struct sup_net *net);

#endif
