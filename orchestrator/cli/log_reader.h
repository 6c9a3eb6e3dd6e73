/* Reading services' log files (supervisor/logfile.h) for `stack logs` and
 * the foreground `stack up`: merged across services by time, from the
 * rotated files oldest first, the last N lines each, and followed as they
 * grow, across rotations and restarts.  It needs no supervisor: the files
 * are the log. */
#ifndef STACK_CLI_LOG_READER_H
#define STACK_CLI_LOG_READER_H

#include "util/strv.h"

#include <stdbool.h>
#include <stdio.h>

struct cli_log_src;

struct cli_log_view {
	struct cli_log_src *src;
	size_t n;
	size_t width;    /* of the widest service name, for aligned prefixes */
	bool prefix;     /* "service  | " */
	bool color;
	bool timestamps; /* the line's time before it */
	/* Only records from `since` to `until`, both included, as docker
	 * logs (cli/log_time.h forms, which order as strings); "": no bound. */
	char since[40], until[40];
	FILE *out;
	bool gone;       /* writing `out` failed (EPIPE: its reader left): nothing more is read */
};

/* One source per service, reading LOG_DIR/SERVICE.log and its rotations. */
void cli_log_view_init(struct cli_log_view *v, const char *log_dir, const struct strv *services);
/* Print what is there: with tail >= 0 only the last `tail` lines of each
 * service (of those from `since` to `until`).  At the end each source stays at the end of its current file. */
void cli_log_view_dump(struct cli_log_view *v, long tail);
/* Print what was added since; true if anything was. */
bool cli_log_view_poll(struct cli_log_view *v);
/* The output failed (`stack logs -f | head -1`): following it is pointless. */
bool cli_log_view_gone(const struct cli_log_view *v);
/* A log file was not a regular file (a FIFO, a symlink planted in
 * STACK_ROOT): it was refused, with an error on stderr (once per file),
 * and not read. */
bool cli_log_view_refused(const struct cli_log_view *v);
void cli_log_view_free(struct cli_log_view *v);

#endif
