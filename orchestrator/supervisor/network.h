/* The stack's networks (issue 8, item 5).
 *
 * Each network of a stack is a bridge `br0` in a network namespace of its
 * own, as rootless podman keeps its bridges: nothing of the stack appears
 * in the host's network namespace (no bridge, no veth end, no address, no
 * route).  The namespace is held by a bind mount of its nsfs file at
 * STACK_RUN/PROJECT/netns/NETWORK, so it outlives every stack process and
 * `stack down` after a crash finds it there.  A container on the network
 * gets a veth pair made in that namespace: one end on the bridge, the
 * other born in the container's namespace as eth0 (eth1, ... for more
 * networks), with the service's address and, on its first network, the
 * default route via the bridge's address.  The namespace has no way out:
 * containers reach each other and nothing else (published ports come in
 * through sockets the supervisor makes in a container's namespace).
 *
 * Addresses are stable per service: the first setup gives every service
 * of each network an address, recorded with the subnets in
 * STACK_RUN/PROJECT/.networks.json (written atomically under the flock
 * of .networks.flock; the leading dot keeps both clear of container ids).
 * A service keeps its address across restarts and later setups, so the
 * /etc/hosts entries every container gets at start (all services of its
 * networks, by name, hostname and aliases) never go stale.  One-off
 * containers (`stack run`) get an address of their own, freed on release
 * (or by the next setup once their starter is gone).
 *
 * Subnets: `ipam.config[0].subnet`, or a /24 of 10.90.0.0/15 picked from a
 * hash of PROJECT/NETWORK, probing past those other stacks' state files
 * record and those the host has addresses or routes in.  IPv4 only. */
#ifndef STACK_SUPERVISOR_NETWORK_H
#define STACK_SUPERVISOR_NETWORK_H

#include "spec/model.h"
#include "spec/subnet.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/strv.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where stack picks subnets when the file names none. */
#define SUP_NET_POOL "10.90.0.0/15"
#define SUP_NET_BRIDGE "br0"
/* eth0 .. eth15 */
#define SUP_NET_MAX_PER_CONTAINER 16

struct sup_net_host {
	char *key;     /* "svc:SERVICE" (stable) or "run:ID" (a one-off container) */
	uint32_t addr; /* host byte order */
	char *holder;  /* the container using it now, or NULL */
};

struct sup_net {
	char *name;
	char *netns_path; /* STACK_RUN/PROJECT/netns/NAME */
	struct spec_subnet subnet;
	uint32_t gateway; /* the bridge's address: the subnet's first */
	struct sup_net_host *hosts;
	size_t n_hosts;
};

struct sup_nets {
	struct sup_net *v;
	size_t n;
	bool keep; /* made or adopted by a long-lived owner (sup_net_setup): one-off containers never remove them */
};

/* Create or adopt the stack's namespaces and bridges and give every
 * service its address (see above).  A network recorded with another
 * subnet than the stack file now gives is an error (`stack down` first). */
int sup_net_setup(const struct st_paths *paths, const struct spec_stack *stack, struct sup_nets *out,
		  st_error_t *err);
/* The same for a one-off container (`stack run`): networks it finds are
 * joined as they are, networks it makes are not marked `keep`. */
int sup_net_setup_oneoff(const struct st_paths *paths, const struct spec_stack *stack, struct sup_nets *out,
			 st_error_t *err);
void sup_nets_free(struct sup_nets *nets);
const struct sup_net *sup_nets_find(const struct sup_nets *nets, const char *name);

/* One container's place on its networks: the data for sup_net_attach_hook. */
struct sup_net_link {
	const struct sup_net *net;
	uint32_t addr;
	char ifname[16];      /* in the container: eth0, eth1, ... */
	char host_ifname[16]; /* on the bridge, in the network's namespace */
};

struct sup_net_attach {
	struct sup_net_link *links;
	size_t n;
	char *id;     /* the container's */
	bool one_off; /* `stack run`'s */
};

/* The links of container `id` of `svc` and the NAME:ADDR lines for its
 * /etc/hosts (rt_config's extra_hosts): every service of its networks by
 * name, hostname and aliases.  The container takes the service's stable
 * address, recorded as its holder (the holder's ID.lock must be held
 * while it runs: see stale.h); a service container finding it held by
 * another live container is an error.  A one-off container (`stack run`)
 * takes it too when free, so it answers to the service's name as
 * compose's run does, else an address of its own.  Nothing to do (n = 0)
 * unless svc is on the stack's networks.  nets must outlive out. */
int sup_net_attach_prepare(const struct st_paths *paths, const struct spec_stack *stack, const struct sup_nets *nets,
			   const struct spec_service *svc, const char *id, bool one_off, struct sup_net_attach *out,
			   struct strv *extra_hosts, st_error_t *err);
/* rt_net_hook_fn: data is a struct sup_net_attach. */
int sup_net_attach_hook(pid_t pid, void *data, st_error_t *err);
/* The container is gone: its addresses lose their holder, and a one-off
 * container's own address is freed.  Its bridge ends go with its network
 * namespace (the kernel's cleanup, shortly after); a new container on the
 * same address removes a leftover end first.  A holder that died without this is dropped by
 * the next setup or prepare (its ID.lock is free). */
int sup_net_release_container(const struct st_paths *paths, const struct spec_stack *stack,
			      const struct sup_net_attach *a, st_error_t *err);
void sup_net_attach_free(struct sup_net_attach *a);

/* For a one-off container, once it is gone: unless a long-lived owner
 * keeps the networks (sup_net_setup) or another container of the project
 * is looked after (an ID.lock other than self_id's is held: see stale.h),
 * tear them down as sup_net_teardown does, so `stack run` leaves nothing
 * behind, also what an earlier one killed with SIGKILL left. */
int sup_net_teardown_if_unused(const struct st_paths *paths, const struct spec_stack *stack, const char *self_id,
			       st_error_t *err);

/* For `stack down`, once the supervisor is gone: tear the networks down
 * as sup_net_teardown does, unless a container of the project is still
 * looked after (a `stack run`'s: its ID.lock is held), then 1. */
int sup_net_teardown_down(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err);

/* Remove every namespace under STACK_RUN/PROJECT/netns (their bridges and
 * veths go with them) and the state.  Needs no live stack process and
 * no stack file agreeing with what was made; idempotent. */
int sup_net_teardown(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err);

#endif
