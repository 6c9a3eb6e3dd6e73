/* Containers whose starter died.
 *
 * Whoever starts a container holds an flock on STACK_RUN/PROJECT/ID.lock
 * for as long as it looks after it.  A lock nobody holds means the starter
 * crashed or was killed: its container's processes died with it
 * (die_with_parent) and its mounts with them, but the cgroup and the state
 * directory remain.  The sweep removes those; `stack run` sweeps before it
 * starts, and `stack down` will do the same for the whole project.  The
 * lock file only ever appears under its name already locked (see
 * stale.c), so "unlocked" always means "its starter is gone". */
#ifndef STACK_SUPERVISOR_STALE_H
#define STACK_SUPERVISOR_STALE_H

#include "spec/model.h"
#include "util/error.h"
#include "util/paths.h"

#include <stdbool.h>

/* An id that names what stack keeps for another container beside its
 * state dir (ID.lock, ID.lock.PID, ID.secrets): as a container's own id it
 * would share (and remove) that container's files. */
bool sup_id_is_reserved(const char *id);
#define SUP_ID_RESERVED_HINT "a name may not end in `.lock`, `.lock.NUMBER` or `.secrets`"

/* Take the lock for container `id`; *fd holds it until sup_lock_release. */
int sup_lock_take(const struct st_paths *paths, const struct spec_stack *stack, const char *id, int *fd,
		  st_error_t *err);
void sup_lock_release(const struct st_paths *paths, const struct spec_stack *stack, const char *id, int fd);

/* Remove every container of the project whose lock nobody holds.  Returns
 * how many were removed, or -1 (the first failure; the sweep goes on). */
int sup_sweep_stale(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err);

#endif
