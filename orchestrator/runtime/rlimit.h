/* Resource limits (ulimits) for the container's init.
 *
 * Raising a hard limit needs CAP_SYS_RESOURCE, which root does not always
 * hold (this workplace's machines run without it).  runc and podman fail the
 * container start there; we clamp to the current hard limit instead and say
 * so: rt_rlimit_prepare() in the parent computes what will really be set and
 * the warnings, rt_rlimit_apply() in the child sets it without allocating. */
#ifndef STACK_RUNTIME_RLIMIT_H
#define STACK_RUNTIME_RLIMIT_H

#include "util/error.h"
#include "util/strv.h"

#include <stddef.h>
#include <stdint.h>

struct rt_rlimit {
	int resource; /* RLIMIT_* */
	int64_t soft, hard; /* -1 = unlimited */
};

/* Parent: validate (soft <= hard, known resource) and clamp in place every
 * entry that would raise a hard limit above the current one while we lack
 * CAP_SYS_RESOURCE (soft is clamped to the new hard); one warning per
 * clamped entry ("nofile hard limit 1048576 clamped to 524288: no
 * CAP_SYS_RESOURCE").  warnings may be NULL. */
int rt_rlimit_prepare(struct rt_rlimit *list, size_t n, struct strv *warnings, st_error_t *err);

/* Child: setrlimit() each entry; if the kernel still refuses a raise (EPERM),
 * clamp to the current hard limit and retry.  Allocates only for the
 * error (naming the limit; err may be NULL); returns 0 or -errno. */
int rt_rlimit_apply(const struct rt_rlimit *list, size_t n, st_error_t *err);

#endif
