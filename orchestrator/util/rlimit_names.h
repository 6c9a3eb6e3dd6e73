/* Resource limit names as Docker and compose spell them in `ulimits:`
 * (RLIMIT_NOFILE -> "nofile"): one table for the loader (names, hints) and
 * the runtime (messages). */
#ifndef STACK_UTIL_RLIMIT_NAMES_H
#define STACK_UTIL_RLIMIT_NAMES_H

#include <stddef.h>

/* Every name, for "did you mean" hints. */
extern const char *const st_rlimit_names[];
extern const size_t st_n_rlimit_names;

/* "nofile" -> RLIMIT_NOFILE (exactly as spelled, as Docker takes it); -1 if
 * unknown. */
int st_rlimit_from_name(const char *name);
/* RLIMIT_NOFILE -> "nofile"; NULL if unknown.  Allocates nothing (the
 * container's init calls it between fork and exec). */
const char *st_rlimit_name(int resource);

#endif
