/* A supervisor event as it is recorded: one JSON object per line of the
 * project's events file (files.h: STACK_ROOT/events/PROJECT.jsonl), in the
 * shape `docker compose events --json` prints:
 *
 *   {"time": "2026-12-02T00:38:07.123456789Z", "type": "container",
 *    "action": "die", "service": "web", "container": "p-web-1",
 *    "attributes": {"exit_code": 137, "signal": 9}}
 *
 * Actions: create, start, die, oom, health_status, restart, kill, stop,
 * destroy (docs/control-protocol.md has their attributes).  Pure code: no
 * I/O, so the encoding and the parsing of what a reader finds (a line cut
 * by a crash, garbage) are unit-tested on their own. */
#ifndef STACK_SUPERVISOR_EVENT_REC_H
#define STACK_SUPERVISOR_EVENT_REC_H

#include "util/error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct sup_event_rec {
	json_t *obj;           /* the whole record (owned) */
	int64_t time_ns;       /* `time` since the epoch */
	const char *time;      /* these point into obj */
	const char *action;
	const char *service;
	const char *container;
	json_t *attributes;    /* an object, maybe empty */
};

/* The record's line, without a newline (caller frees).  attrs may be
 * NULL; it is not taken.  time is RFC 3339 UTC (sup_log_timestamp). */
char *sup_event_encode(const char *time, const char *action, const char *service, const char *container,
		       json_t *attrs);

/* Parse one line (without its newline).  -1 and *err saying what is wrong
 * with it (not JSON, a field missing or of the wrong type, a time that is
 * not RFC 3339 UTC); nothing to free then. */
int sup_event_parse(const char *line, size_t len, struct sup_event_rec *out, st_error_t *err);
void sup_event_rec_free(struct sup_event_rec *r);

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" to ns since the epoch; -1 if it is not that. */
int sup_event_parse_time(const char *s, int64_t *ns);

#endif
