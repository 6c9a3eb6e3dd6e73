/* Reading what a forked helper (the import helper, debootstrap) writes
 * into a pipe, stoppable by a stop signal.  Internal to image/. */
#ifndef STACK_IMAGE_CHILD_READ_H
#define STACK_IMAGE_CHILD_READ_H

#include "util/error.h"

#include <stddef.h>
#include <sys/types.h>

/* Called with each chunk read, in order. */
typedef void (*img_chunk_fn)(void *ctx, const char *buf, size_t n);

/* Read `fd` until EOF, handing each chunk to `eat`; a stop signal
 * (SIGINT, SIGTERM ...) kills `pid` and is the error.  `what` names the
 * writer in errors ("the import helper").  The caller reaps `pid`. */
int img_child_read(int fd, pid_t pid, const char *what, img_chunk_fn eat, void *ctx, st_error_t *err);

#endif
