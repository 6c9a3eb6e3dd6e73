/* Capabilities with libcap-ng, with Docker's defaults and cap_add/cap_drop
 * semantics.
 *
 * Order in the container's init (the uid switch happens in between):
 *   parent:  rt_caps_prepare()            names -> set, errors for unknown names
 *   child:   rt_caps_apply_bounding()     bounding set = the set; PR_SET_KEEPCAPS
 *            setgroups/setgid/setuid       (user.c)
 *            rt_caps_apply_final(uid)     root: permitted = effective = the set;
 *                                         non-root: permitted = effective = none
 *                                         (Docker 20.10+); ambient cleared
 * Inheritable is left EMPTY for everyone, as Docker does since 20.10.14
 * (CVE-2022-24769: a non-empty inheritable set lets a non-root process gain
 * caps by exec'ing a binary with inheritable file caps). */
#ifndef STACK_RUNTIME_CAPS_H
#define STACK_RUNTIME_CAPS_H

#include "util/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rt_caps {
	uint64_t set;         /* bit N = capability N: the container's caps */
	uint64_t unavailable; /* requested but not in our own bounding set: cannot be given */
};

/* Docker's 14 default capabilities as a mask. */
uint64_t rt_caps_default_mask(void);

/* "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" -> CAP_NET_ADMIN; -1 if unknown.
 * "ALL" is not a capability here (returns -1). */
int rt_caps_from_name(const char *name);
/* CAP_NET_ADMIN -> "NET_ADMIN" (read-only static storage, filled once:
 * safe from any thread); NULL if unknown. */
const char *rt_caps_to_name(int cap);

/* Compute the set from Docker's defaults and NULL-terminated add/drop lists
 * (either may be NULL), with Docker's rules: add contains ALL -> every cap
 * minus drop; drop contains ALL -> exactly add; else defaults - drop + add.
 * Every unknown name is reported in one error. */
int rt_caps_prepare(const char *const *add, const char *const *drop, struct rt_caps *out, st_error_t *err);

/* Child, before the uid switch: drop everything outside caps->set from the
 * bounding set and set PR_SET_KEEPCAPS so a setuid() keeps the permitted set
 * until rt_caps_apply_final(). */
int rt_caps_apply_bounding(const struct rt_caps *caps, st_error_t *err);

/* Child, after the uid switch (uid = the container user's uid in its user
 * namespace): set permitted/effective/inheritable/ambient and clear
 * PR_SET_KEEPCAPS. */
int rt_caps_apply_final(const struct rt_caps *caps, uid_t uid, st_error_t *err);

/* "CHOWN,DAC_OVERRIDE,...": the effective set for people to read (caller
 * frees). */
char *rt_caps_format(uint64_t mask);

#endif
