/* "K=V" environment lists (environ, a container's env, an image's ENV):
 * one lookup for every module. */
#ifndef STACK_UTIL_ENV_H
#define STACK_UTIL_ENV_H

#include <stddef.h>
#include <sys/types.h>

/* Index of the entry whose key is the first klen bytes of key (so the key
 * of another "K=V" entry can be passed as is), or -1.  env is
 * NULL-terminated; NULL is an empty list. */
ssize_t st_env_index(const char *const *env, const char *key, size_t klen);
/* The value of key, or NULL when it is not set. */
const char *st_env_get(const char *const *env, const char *key);

#endif
