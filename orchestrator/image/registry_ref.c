/* A normalized reference (spec/ref.h) split into where and what. */
#include "image/registry_int.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <string.h>

int reg_ref_parse(const char *ref, struct reg_ref *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	const char *slash = strchr(ref, '/');
	if (!slash || slash == ref)
		return st_error(err, 0, "image reference `%s` names no registry (normalize it first)", ref);
	out->host = xstrndup(ref, (size_t)(slash - ref));
	const char *path = slash + 1;
	/* A digest wins over a tag; a tag's ':' is after the last '/'. */
	const char *at = strchr(path, '@');
	const char *last_slash = strrchr(path, '/');
	const char *colon = strrchr(last_slash ? last_slash : path, ':');
	const char *end = at ? at : colon;
	if (!end || end == path) {
		reg_ref_free(out);
		return st_error(err, 0, "image reference `%s` has no tag or digest (normalize it first)", ref);
	}
	out->repo = xstrndup(path, (size_t)(end - path));
	out->reference = xstrdup(end + 1);
	/* Docker Hub's API is not at its name. */
	out->api_host = xstrdup(strcmp(out->host, "docker.io") == 0 ? "registry-1.docker.io" : out->host);
	return 0;
}

void reg_ref_free(struct reg_ref *r)
{
	free(r->host);
	free(r->api_host);
	free(r->repo);
	free(r->reference);
	memset(r, 0, sizeof(*r));
}

bool reg_host_is_loopback(const char *host)
{
	_cleanup_free_ char *h = NULL;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close)
			return false;
		h = xstrndup(host + 1, (size_t)(close - host - 1));
	} else {
		const char *colon = strchr(host, ':');
		h = colon ? xstrndup(host, (size_t)(colon - host)) : xstrdup(host);
	}
	if (strcmp(h, "localhost") == 0)
		return true;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}
