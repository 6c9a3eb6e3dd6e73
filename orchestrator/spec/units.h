/* Parsers for the typed scalars of a stack file.  Each returns 0, or -1 with
 * *errmsg (malloc'd) saying what is wrong and what is expected; the caller
 * adds the FILE:LINE:COL of the node. */
#ifndef STACK_SPEC_UNITS_H
#define STACK_SPEC_UNITS_H

#include "spec/model.h"

#include <stdint.h>

/* Go/compose durations: "1m30s", "1.5s", "100ms", "2h", "10us", "0"; result in ns. */
int spec_parse_duration(const char *s, int64_t *ns, char **errmsg);
/* Docker sizes: "1g", "512m", "1024k", "100b", "1.5g", "1GB", "1GiB" (binary units), plain bytes. */
int spec_parse_size(const char *s, int64_t *bytes, char **errmsg);
/* Compose short port syntax: [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO], IPv6 in [..].
 * Ranges are expanded; *out is appended to (n updated). */
int spec_parse_ports(const char *s, struct spec_port **out, size_t *n, char **errmsg);
int spec_parse_port_number(const char *s, uint16_t *port, char **errmsg);
/* A capability name: case-insensitive, optional CAP_ prefix, or ALL; checked
 * with libcap-ng.  *out is upper-case without the prefix.  The error lists
 * the valid names. */
int spec_parse_capability(const char *s, char **out, char **errmsg);
/* SIGTERM, TERM, 15 */
int spec_parse_signal(const char *s, int *sig, char **errmsg);
/* "did you mean" helper: the candidate closest to `word` (edit distance), or NULL. */
const char *spec_suggest(const char *word, const char *const *candidates, size_t n);
/* The distance spec_suggest uses (optimal string alignment: Levenshtein
 * plus adjacent transpositions, case-insensitive), for callers with their
 * own threshold; SIZE_MAX for words over 64 bytes. */
size_t spec_edit_distance(const char *a, const char *b);

#endif
