/* Published ports: listeners on the host that carry each connection into
 * a container's network namespace, on the supervisor's libuv loop.
 *
 *     sup_ports_bind(loop, svc->ports, svc->n_ports, &p, &err);  (before anything starts)
 *     sup_ports_attach(p, ct);      (once ct runs; NULL while it restarts)
 *     sup_ports_close(p);           (stack down)
 *
 * Mechanism: a TCP proxy on the loop.  Each accepted connection gets a
 * socket made in the container's network namespace (rt_container_socket)
 * connected to 127.0.0.1:TARGET there, and the loop relays bytes both
 * ways in reads of up to SUP_PORTS_CHUNK, each written on at once; only
 * what the peer's socket does not take is copied and queued.
 * Backpressure: when the buffers queued for one side's writes number
 * more than SUP_PORTS_QUEUE_HIGH / SUP_PORTS_CHUNK (counted as whole
 * chunks, so a trickle of small segments cannot queue without bound),
 * the other side is not read until they are below SUP_PORTS_QUEUE_LOW /
 * SUP_PORTS_CHUNK, so a peer that stops reading holds the sender back
 * (TCP flow control) instead of growing our memory; a connection holds
 * at most about 2 x (HIGH + 64 KiB).  All connections together hold
 * about SUP_PORTS_QUEUE_TOTAL: past it, a side that queues is not read
 * until the queues are back under half of it, and reads are 4 KiB, so
 * the overshoot is at most 4 KiB and a write request per side.  Connections open
 * at once are capped so that SUP_PORTS_FD_RESERVE descriptors stay free
 * for the rest of the supervisor; one past the cap is reset.  EOF is
 * passed on as a shutdown (half-close), a reset as a reset.
 *
 * Why a proxy and not nftables DNAT (docker's way): DNAT cannot reach an
 * app bound to the container's 127.0.0.1 (a packet from outside is never
 * delivered to loopback without route_localnet, which opens the host's
 * loopback to the network), needs a veth and a bridge (a container on
 * RT_NET_NONE has only lo), and leaves firewall rules in the host's
 * tables that a crashed supervisor would leave behind for good.  The proxy
 * reaches any app that listens on 0.0.0.0 or 127.0.0.1 in the container,
 * needs no host state but its listening sockets (which die with the
 * supervisor), and a bind error is the port-in-use error the user needs.
 * Its cost: one copy through user space, and the app sees every client
 * as 127.0.0.1 (the client's address is not visible to it; it is in the
 * supervisor's accept, nowhere else).
 *
 * UDP: each client address gets a session, a UDP socket in the container
 * connected to 127.0.0.1:TARGET, whose replies go back to that client
 * from the published port; a session idle for SUP_PORTS_UDP_IDLE_MS is
 * closed, and at most SUP_PORTS_UDP_SESSIONS are open per port, within
 * the descriptors SUP_PORTS_FD_RESERVE leaves (a
 * datagram from one more client is dropped, as one the container is not
 * attached for: UDP has no refusal to give).  A datagram is relayed as it
 * came, or dropped when a socket's buffer is full (no queue of ours).
 *
 * Everything here is non-blocking but rt_container_socket's setns (a few
 * syscalls per new connection). */
#ifndef STACK_SUPERVISOR_PORTS_H
#define STACK_SUPERVISOR_PORTS_H

#include "runtime/container.h"
#include "spec/model.h"
#include "util/error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SUP_PORTS_CHUNK (64 * 1024)
#define SUP_PORTS_QUEUE_HIGH (1024 * 1024)
#define SUP_PORTS_QUEUE_LOW (256 * 1024)
#define SUP_PORTS_QUEUE_TOTAL (32 * 1024 * 1024)
#define SUP_PORTS_UDP_IDLE_MS 60000
#define SUP_PORTS_UDP_SESSIONS 1024
/* Descriptors of RLIMIT_NOFILE that connections (two each) and UDP
 * sessions (one each), all ports together, leave to the rest of the
 * supervisor: past that a new connection is reset, a new session's
 * datagram dropped. */
#define SUP_PORTS_FD_RESERVE 256

struct sup_ports;

/* Bind and listen on every host port now (host_ip NULL: all addresses,
 * IPv4 and IPv6; published 0: a port the kernel picks, see
 * sup_ports_json).  A port in use, an address that is not the host's, a
 * /udp port: -1 and an error naming the port, with nothing left
 * listening.  Until attached, connections are refused (and datagrams
 * dropped).  n may be 0. */
int sup_ports_bind(uv_loop_t *loop, const struct spec_port *ports, size_t n, struct sup_ports **out,
		   st_error_t *err);

/* New connections go to ct (which must stay valid until the next attach
 * or close), or with NULL are refused with a reset (the container is
 * restarting).  TCP connections already relayed are left as they are;
 * UDP sessions to the container attached before are closed. */
void sup_ports_attach(struct sup_ports *p, struct rt_container *ct);

/* Close the listeners and every connection; freed once the handles
 * closed (the loop runs on).  p may be NULL. */
void sup_ports_close(struct sup_ports *p);

/* The host port that `target`/proto is published on (the first, when it
 * is published more than once), or 0.  For `stack port SERVICE PORT`. */
uint16_t sup_ports_host_port(const struct sup_ports *p, uint16_t target, enum spec_proto proto);

/* [{"host_ip": "0.0.0.0", "host_port": 5055, "target": 5000, "protocol":
 *   "tcp", "connections": 2, "accepted": 10, "refused": 1}, ...]:
 * host_port is the bound one (a kernel-picked port for published 0);
 * connections are open now, accepted and refused since the bind (for
 * udp: sessions, and datagrams dropped for want of a container or of a
 * session).  A new reference. */
json_t *sup_ports_json(const struct sup_ports *p);

#endif
