/* Opening a file of the supervisor's record (a service's log, the events
 * file) for reading.  Anyone who can write STACK_ROOT can put a FIFO
 * (its open would block the reader) or a symlink (the reader would print
 * whatever it points at) in its place: only a regular file is read, and
 * anything else is said once, not at every poll of a follower. */
#ifndef STACK_CLI_RECORD_OPEN_H
#define STACK_CLI_RECORD_OPEN_H

#include <sys/types.h>

/* The fd (close-on-exec, read-only), or -1: no file there (not an error:
 * nothing recorded yet), or -2: something else is there (or it cannot be
 * opened), said on stderr as `who: ...` unless *said is already its inode
 * (then *said is set to it). */
int cli_record_open(const char *path, const char *who, ino_t *said);

#endif
