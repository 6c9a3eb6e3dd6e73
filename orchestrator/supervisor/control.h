/* The control socket's protocol (docs/control-protocol.md is the
 * reference): JSON lines over STACK_RUN/PROJECT/supervisor.sock.  One
 * request object per line, one reply object per request, in order.
 * Limits a client cannot push past: a line is at most SUP_CTL_MAX_LINE
 * bytes, a partial line is given SUP_CTL_PARTIAL_TIMEOUT_MS to complete,
 * at most SUP_CTL_MAX_CONNS clients at once, and at most
 * SUP_CTL_MAX_QUEUED bytes of replies wait for a client to read them (one
 * that sends on and never reads is cut off there, not kept in memory). */
#ifndef STACK_SUPERVISOR_CONTROL_H
#define STACK_SUPERVISOR_CONTROL_H

#include "util/error.h"

#include <jansson.h>
#include <stdbool.h>

#define SUP_CTL_MAX_LINE 65536
#define SUP_CTL_PARTIAL_TIMEOUT_MS 5000
#define SUP_CTL_MAX_CONNS 64
#define SUP_CTL_MAX_QUEUED (1024 * 1024)

/* Client side (the CLI), blocking with a deadline: connect to the
 * project's socket, send req, read one reply line.  timeout_ms bounds the
 * whole exchange (-1: none, for `down` and `stop` that wait for grace
 * periods).  The reply's "ok": false becomes an error with its "error". */
int sup_ctl_request(const char *run_dir, json_t *req, int timeout_ms, json_t **reply, st_error_t *err);

/* Connect a unix socket at path, also when path is longer than sun_path
 * (through /proc/self/fd of its directory).  bind_it: bind instead. */
int sup_unix_socket_at(const char *path, int fd, bool bind_it, st_error_t *err);

#endif
