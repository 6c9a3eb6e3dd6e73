/* A network namespace held by a bind mount of its nsfs file, as
 * `ip netns add` keeps one: it lives until the mount goes, whoever made
 * it and whatever became of them. */
#ifndef STACK_SUPERVISOR_NET_NS_H
#define STACK_SUPERVISOR_NET_NS_H

#include "util/error.h"

#include <stdbool.h>

/* The namespace at path, made if path is not one already (a leftover
 * plain file of a creator killed half-way is replaced).  *created says
 * which. */
int sup_netns_ensure(const char *path, bool *created, st_error_t *err);
/* Unmount and unlink path; nothing there is not an error. */
int sup_netns_remove(const char *path, st_error_t *err);

#endif
