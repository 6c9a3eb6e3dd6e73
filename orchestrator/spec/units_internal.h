/* Shared by the typed-scalar parsers of units.h (units*.c). */
#ifndef STACK_SPEC_UNITS_INTERNAL_H
#define STACK_SPEC_UNITS_INTERNAL_H

/* Fail a parse: set *errmsg to the message (when the caller asked for one,
 * errmsg may be NULL) and return -1, so a check is one line:
 *     return spec_units_error(errmsg, "invalid size `%s`: ...", s); */
int spec_units_error(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
