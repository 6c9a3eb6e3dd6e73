/* Mount points the runtime made in a RUN step's upper dir for binds over
 * paths the image did not have (host_apt.h): taken out before the upper
 * dir becomes a layer, so the layer holds nothing of the binds. */
#ifndef STACK_BUILDER_MOUNT_POINTS_H
#define STACK_BUILDER_MOUNT_POINTS_H

#include "util/strv.h"

/* For each target and then each of its parents: an empty file or an empty
 * directory (not opaque) in `upper` goes when the layers below (`lowers`,
 * top first) have no such path, and an empty directory also when they
 * have one of the same mode and owner (an overlay copy-up the mount point
 * inside it caused).  Paths are taken in `upper` and the lowers without
 * following a symlink. */
void build_mount_points_prune(const char *upper, const struct strv *lowers, const struct strv *targets);

#endif
