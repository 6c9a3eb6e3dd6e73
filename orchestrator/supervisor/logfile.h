/* A service's log: JSON lines {"time", "stream", "line"} in
 * STACK_ROOT/logs/PROJECT/SERVICE.log, rotated as Docker's json-file driver
 * rotates: when the next line would take the file past max_size it becomes
 * SERVICE.log.1 (.1 becomes .2, ... the one past max_file - 1 is deleted).
 *
 * Writes go straight to the file from the loop thread: a regular file's
 * write is a copy into the page cache, not a wait on the disk.  A write
 * that fails (ENOSPC, EIO) drops that line and counts it; the service is
 * never stopped for its log. */
#ifndef STACK_SUPERVISOR_LOGFILE_H
#define STACK_SUPERVISOR_LOGFILE_H

#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

/* A longer line is split, as Docker splits at 16 KiB. */
#define SUP_LOG_LINE_MAX 16384

struct sup_logfile {
	char *path;
	int fd;
	uint64_t size;
	uint64_t max_size;
	int max_file;
	uint64_t dropped; /* lines lost to failed writes */
};

/* Open (append) path; its directory must exist. */
int sup_logfile_open(struct sup_logfile *lf, const char *path, uint64_t max_size, int max_file, st_error_t *err);
/* One line (without its newline) of `stream` ("stdout", "stderr"). */
void sup_logfile_write(struct sup_logfile *lf, const char *stream, const char *line, size_t len);
/* A line already encoded (text[n-1] is its newline), with the same
 * rotation and accounting: the events file (event_rec.h) is kept so. */
void sup_logfile_write_record(struct sup_logfile *lf, const char *text, size_t n);
void sup_logfile_close(struct sup_logfile *lf);
/* PATH, PATH.1, ... PATH.(max_file-1) */
char *sup_logfile_rotated_name(const char *path, int n);

/* "2026-12-02T00:38:07.123456789Z" of now (CLOCK_REALTIME). */
void sup_log_timestamp(char buf[40]);

#endif
