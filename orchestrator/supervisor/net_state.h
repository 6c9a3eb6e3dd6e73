/* STACK_RUN/PROJECT/.networks.json: the subnets and addresses of a
 * project's networks (see network.h), and its lock. */
#ifndef STACK_SUPERVISOR_NET_STATE_H
#define STACK_SUPERVISOR_NET_STATE_H

#include "supervisor/network.h"

/* Take the project's network lock (creating STACK_RUN/PROJECT); *fd holds it. */
int sup_net_lock(const char *project_run, int *fd, st_error_t *err);
/* Release; with remove, the lock file goes too (teardown). */
void sup_net_unlock(const char *project_run, int fd, bool remove);
/* Read the state (none: an empty set) into nets; netns paths are filled. */
int sup_net_state_read(const char *project_run, struct sup_nets *nets, st_error_t *err);
int sup_net_state_write(const char *project_run, const struct sup_nets *nets, st_error_t *err);
/* The subnets other projects under run record (not `self`), for the probe. */
void sup_net_state_others(const char *run, const char *self, struct spec_subnet **out, size_t *n);
char *sup_net_state_path(const char *project_run);

#endif
