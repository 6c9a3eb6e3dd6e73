/* A service's log: JSON lines {"time", "stream", "line"} in
 * STACK_ROOT/logs/PROJECT/SERVICE.log, rotated as Docker's json-file driver
 * rotates: when the next line would take the file past max_size it becomes
 * SERVICE.log.1 (.1 becomes .2, ... the one past max_file - 1 is deleted).
 *
 * Lines are gathered in a buffer and written to the file from the loop
 * thread at each sup_logfile_flush() (the log pipe flushes after every
 * read: one write for a read's lines, not one per line); a regular file's
 * write is a copy into the page cache, not a wait on the disk.  A write
 * that fails (ENOSPC, EIO) drops those lines and counts them; the service
 * is never stopped for its log.  A short write leaves the file in the
 * middle of a record: the next write ends that line first, so every
 * record a reader finds starts on a line of its own (the cut one is a
 * line that does not parse, which readers skip). */
#ifndef STACK_SUPERVISOR_LOGFILE_H
#define STACK_SUPERVISOR_LOGFILE_H

#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A longer line is split, as Docker splits at 16 KiB. */
#define SUP_LOG_LINE_MAX 16384

struct sup_logfile {
	char *path;
	int fd;
	uint64_t size; /* of the file, with what is buffered */
	uint64_t max_size;
	char *buf;     /* SUP_LOG_BUF bytes: whole records not written yet */
	size_t len;
	int max_file;
	uint64_t dropped; /* lines lost to failed writes */
	bool mid_line;    /* a short write cut the file's last record: it needs a newline */
};

/* Open (append) path; its directory must exist. */
int sup_logfile_open(struct sup_logfile *lf, const char *path, uint64_t max_size, int max_file, st_error_t *err);
/* Room for the records of one 64 KiB read, and for the longest record
 * (a 16 KiB line of bytes JSON writes as \u00XX: 6 each). */
#define SUP_LOG_BUF (SUP_LOG_LINE_MAX * 6 + 65536)

/* One line (without its newline) of `stream` ("stdout", "stderr"), read
 * at time ts (sup_log_timestamp), into the buffer. */
void sup_logfile_write(struct sup_logfile *lf, const char *ts, const char *stream, const char *line, size_t len);
/* Write out what is buffered. */
void sup_logfile_flush(struct sup_logfile *lf);
/* Flush, then close. */
/* A record already encoded (text[n-1] is its newline), with the same
 * rotation and accounting, written out at once: the events file
 * (event_rec.h) is kept so. */
void sup_logfile_write_record(struct sup_logfile *lf, const char *text, size_t n);
void sup_logfile_close(struct sup_logfile *lf);
/* PATH, PATH.1, ... PATH.(max_file-1) */
char *sup_logfile_rotated_name(const char *path, int n);

/* "2026-12-02T00:38:07.123456789Z" of now (CLOCK_REALTIME). */
void sup_log_timestamp(char buf[40]);

#endif
