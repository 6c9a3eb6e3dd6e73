/* Names from a stack file or a command line that become host paths
 * (STACK_RUN/PROJECT/ID.lock, ID.secrets/SECRET, volumes/PROJECT_VOLUME)
 * or lines of a generated file (/etc/hosts, /etc/hostname).  Checked by the
 * loader with a FILE:LINE:COL error, and again where cheap at the place the
 * path is built, so a caller that skipped the loader cannot escape either. */
#ifndef STACK_SPEC_NAMES_H
#define STACK_SPEC_NAMES_H

#include <stdbool.h>

/* Longest service, volume, secret, project or container name: a DNS
 * label's length, so a service name is also a usable default hostname, and
 * the names joined into one path component
 * (PROJECT-SERVICE-run-XXXXXX.lock.PID, PROJECT_VOLUME) stay below
 * NAME_MAX (255). */
#define SPEC_NAME_MAX 63

/* The rule Docker and compose apply to container, service, volume, network
 * and secret names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most SPEC_NAME_MAX bytes.
 * No `/`, no `..` component, no leading dot or dash, no control byte. */
bool spec_name_valid(const char *name);
#define SPEC_NAME_HINT "use letters, digits, `_`, `.` and `-`, starting with a letter or digit, at most 63 characters"

/* The kernel's limit on a UTS hostname or domainname (__NEW_UTS_LEN). */
#define SPEC_HOSTNAME_MAX 64

/* An RFC 1123 host name: labels of letters, digits and `-` (not first or
 * last), at most 63 bytes each, joined by `.`, and at most
 * SPEC_HOSTNAME_MAX bytes in all (sethostname refuses more). */
bool spec_hostname_valid(const char *name);
#define SPEC_HOSTNAME_HINT                                                                                            \
	"use labels of letters, digits and `-` (at most 63 each, not starting or ending with `-`) joined by `.`, "   \
	"at most 64 characters in all"

/* s for an error message: control bytes as \n, \t or \xHH, so a hostile
 * value cannot start a line of its own on the user's terminal.  Malloc'd. */
char *spec_name_printable(const char *s);

#endif
