/* Runtime errors as values, in the style of crun's libcrun_error_t.
 *
 * A function that can fail takes `st_error_t *err` last and returns a
 * negative value on failure after filling *err with the errno (if any) and
 * a message naming the step, the syscall and the path:
 *     return st_error(err, errno, "mount `%s` on `%s`", src, dst);
 * Callers add context on the way up with st_error_prefix(), and the CLI
 * prints it once.  Where a caller must tell one failure from another, the
 * error carries a kind (st_error_set_kind); the return value stays -1.
 * User-input errors (file:line:col) use util/diag.h. */
#ifndef STACK_UTIL_ERROR_H
#define STACK_UTIL_ERROR_H

#include <stdio.h>

/* What a caller may act on, beyond "it failed". */
enum st_error_kind {
	ST_ERR_OTHER = 0,
	ST_ERR_NOT_FOUND,      /* the command to run does not exist (a shell's 127) */
	ST_ERR_NOT_EXECUTABLE, /* it exists but cannot be executed (a shell's 126) */
};

struct st_error {
	int status; /* errno, or 0 when the failure is not a syscall's */
	enum st_error_kind kind;
	char *msg;
};
typedef struct st_error *st_error_t;

/* Set *err (if err is non-NULL and *err is not set yet) and return -1. */
int st_error(st_error_t *err, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepend "context: " to an existing error's message; returns -1. */
int st_error_prefix(st_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark an existing error (no-op if err or *err is NULL); returns -1. */
int st_error_set_kind(st_error_t *err, enum st_error_kind kind);
/* The kind of e; ST_ERR_OTHER for NULL. */
enum st_error_kind st_error_kind(const struct st_error *e);
void st_error_free(st_error_t *err);
/* Print "stack: MSG: strerror(status)" to `out` and free the error. */
void st_error_print(st_error_t *err, FILE *out);
/* The full text, "MSG: strerror" (static storage is not used; caller frees). */
char *st_error_text(const struct st_error *e);

#define _cleanup_error_ __attribute__((cleanup(st_error_free)))

#endif
