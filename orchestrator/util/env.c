#include "util/env.h"

#include <string.h>

ssize_t st_env_index(const char *const *env, const char *key, size_t klen)
{
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
			return (ssize_t)i;
	return -1;
}

const char *st_env_get(const char *const *env, const char *key)
{
	size_t klen = strlen(key);
	ssize_t i = st_env_index(env, key, klen);
	return i < 0 ? NULL : env[i] + klen + 1;
}
