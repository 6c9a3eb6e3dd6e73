/* The T of `stack logs --since T / --until T`, in the forms `docker logs`
 * accepts: an RFC 3339 time, a Unix time, or a Go duration back from now. */
#ifndef STACK_CLI_LOG_TIME_H
#define STACK_CLI_LOG_TIME_H

#include <time.h>

/* What to write instead, for error messages. */
#define CLI_LOG_TIME_HINT                                                                                      \
	"use an RFC 3339 time (2026-12-02T04:30:00Z, 2026-12-02T06:30:00.5+02:00, 2026-12-02T04:30 in local "  \
	"time, 2026-12-02), a Unix time (1764649800, 1764649800.25) or a duration back from now (42s, 10m, "  \
	"1h30m)"

/* Parse S, a duration counting back from NOW, into OUT in the log files'
 * time form (supervisor/logfile.h: UTC, "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"),
 * which compares with strcmp as the times do.  A time before 1970 is
 * 1970-01-01 (no record is older).  Returns 0, or -1 with *errmsg
 * (malloc'd) saying what is wrong, without CLI_LOG_TIME_HINT.
 *
 *   RFC 3339: YYYY-MM-DD[(T|t|space)HH:MM[:SS[.F]]][Z|z|(+|-)HH:MM], as
 *             docker: no zone is local time, a date alone is its midnight
 *   Unix:     SECONDS[.F]
 *   duration: spec_parse_duration (1h30m, 1.5s, 100ms); a negative one is
 *             an error (docker takes it as a time in the future, which a
 *             user writing `-10m` hardly means) */
int cli_log_time_parse(const char *s, const struct timespec *now, char out[40], char **errmsg);

#endif
