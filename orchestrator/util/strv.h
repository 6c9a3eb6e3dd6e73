/* A growable, NULL-terminated vector of owned strings (argv, env, lists). */
#ifndef STACK_UTIL_STRV_H
#define STACK_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v; /* always NULL-terminated once non-empty */
	size_t n, cap;
};

void strv_push(struct strv *sv, const char *s);     /* copies s */
void strv_push_take(struct strv *sv, char *s);      /* takes ownership */
void strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_copy(struct strv *dst, const struct strv *src); /* appends */
bool strv_contains(const struct strv *sv, const char *s);
void strv_free(struct strv *sv);
/* argv-style view: never NULL, even when empty. */
char **strv_argv(struct strv *sv);

#endif
