/* Work dirs under the store's tmp/, shared by every importer (a rootfs
 * import, a registry pull, a debootstrap run).  Internal to image/.
 *
 * Each one is flock()ed by its maker for as long as it works in it; tmp/
 * itself is flock()ed while the sweep runs and a new dir is made and
 * locked, so the sweep never takes one before its lock is held.  An
 * unlocked work dir is what a killed importer left (a pid in the name
 * would prove nothing: pids are reused). */
#ifndef STACK_IMAGE_TMP_DIR_H
#define STACK_IMAGE_TMP_DIR_H

#include "image/store.h"
#include "util/error.h"

/* The names a sweep may take: tmp/KIND-XXXXXX. */
#define IMG_TMP_KINDS "import", "pull", "debootstrap"

/* Sweep the dead work dirs, then mkdtemp(`tmp`, a "ROOT/tmp/KIND-XXXXXX"
 * template with one of IMG_TMP_KINDS) and lock it: *lock_fd holds the
 * lock (closing it lets the next sweep take the dir, so remove the dir
 * first).  A stop signal while waiting for tmp/'s lock is EINTR. */
int img_tmp_dir_make(const struct img_store *s, char *tmp, int *lock_fd, st_error_t *err);

#endif
