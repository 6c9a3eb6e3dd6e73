/* Between the listeners (ports.c) and the connections they relay
 * (ports_relay.c). */
#ifndef STACK_SUPERVISOR_PORTS_INTERNAL_H
#define STACK_SUPERVISOR_PORTS_INTERNAL_H

#include "supervisor/ports.h"

#include <stdbool.h>

struct sup_conn;
struct sup_udp_session;

struct sup_listener {
	struct sup_ports *ports;
	bool udp;
	union {
		uv_handle_t handle;
		uv_tcp_t tcp;
		uv_udp_t udp;
	} h;
	struct sup_udp_session *sessions; /* udp: one per client address */
	size_t n_sessions;
	char host_ip[64];   /* as shown: "0.0.0.0" for all addresses */
	uint16_t host_port; /* bound */
	uint16_t target;
	uint64_t accepted, refused, open; /* connections */
};

struct sup_ports {
	uv_loop_t *loop;
	struct rt_container *ct; /* NULL: refuse */
	struct sup_listener *ls;
	size_t n;
	size_t handles;          /* listener handles not closed yet */
	size_t conns;            /* connections and udp sessions not freed yet */
	struct sup_conn *first;  /* every open connection, for close */
	bool closing;
};

/* Count n descriptors of a new connection or session against
 * RLIMIT_NOFILE less SUP_PORTS_FD_RESERVE, over every port of this
 * process; false (nothing counted) when they would not fit. */
bool sup_ports_fds_take(size_t n);
/* A counted connection or session is gone. */
void sup_ports_fds_give(size_t n);

/* udp: start relaying datagrams that arrive on l (ports_udp.c). */
int sup_udp_start(struct sup_listener *l);
/* Close l's sessions (sup_ports_close). */
void sup_udp_close_all(struct sup_listener *l);

/* A new connection on l: relay it to l->ports->ct, or reset it. */
void sup_conn_accept(struct sup_listener *l);
/* Close every connection of p (sup_ports_close). */
void sup_conn_close_all(struct sup_ports *p);
/* ports.c: a connection of p was freed. */
void sup_ports_conn_freed(struct sup_ports *p);

#endif
