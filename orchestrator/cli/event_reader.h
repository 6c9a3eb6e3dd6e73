/* Reading the project's events file (supervisor/event_rec.h, files.h) for
 * `stack events`: the recorded history (the rotated file, then the
 * current one), then what is appended, across rotations and truncation.
 * It needs no supervisor: the file is the record.  A line that is not a
 * valid record (garbage, a line cut short by a crash or a full disk) is
 * skipped with a warning on stderr naming the file and line, never
 * fatal.  Only regular files are read: a FIFO or a symlink at the path is
 * refused with an error (cli/record_open.h). */
#ifndef STACK_CLI_EVENT_READER_H
#define STACK_CLI_EVENT_READER_H

#include "supervisor/event_rec.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Longer lines are no record of ours (ours are a few hundred bytes). */
#define CLI_EVENT_LINE_MAX 65536

typedef void (*cli_event_fn)(const struct sup_event_rec *r, void *ctx);

struct cli_event_reader {
	char *path;
	int fd;         /* the current file, at its end after a read; -1 */
	ino_t ino;
	off_t off;
	size_t lineno;  /* of the current file, for warnings */
	struct strbuf partial; /* a line without its newline yet */
	bool skipping;  /* in an over-long line: until its newline */
	size_t skipped; /* lines skipped so far */
	bool refused;   /* a file that is not a regular one was in its place (said on stderr) */
	ino_t refused_ino; /* the last such, said once */
	cli_event_fn fn;
	void *ctx;
};

void cli_event_reader_init(struct cli_event_reader *r, const char *path, cli_event_fn fn, void *ctx);
/* Every record of PATH.1 and PATH; a missing file is no history.  After
 * it the reader stays at the end of PATH.  Returns how many records. */
size_t cli_event_reader_history(struct cli_event_reader *r);
/* Records appended since; true if any line was read. */
bool cli_event_reader_poll(struct cli_event_reader *r);
/* End: a last line without its newline is a cut one (warned, skipped). */
void cli_event_reader_free(struct cli_event_reader *r);

#endif
