/* What the store's own files share.  Internal to image/. */
#ifndef STACK_IMAGE_STORE_INT_H
#define STACK_IMAGE_STORE_INT_H

#include "image/store.h"

/* flock(fd, how), waiting; a stop signal (st_interrupt_catch) ends the wait. */
int img_flock(int fd, int how, const char *path, st_error_t *err);
/* locks/refs, exclusive: the fd (close to release), or -1.  Held for a
 * refs.json read-modify-write and for a migration, never for long. */
int img_store_lock(const struct img_store *s, st_error_t *err);

#endif
