/* Registry auth: the WWW-Authenticate challenge (RFC 7235) answered with a
 * Bearer token from the realm it names (Docker's token protocol) or with
 * Basic credentials, and those credentials read from a Docker config.json. */
#include "image/curl_dl.h"
#include "image/registry_int.h"
#include "util/fs.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

/* The value of parameter `key` in a challenge's `k="v", k2=v2` list. */
static char *challenge_param(const char *params, const char *key)
{
	const char *p = params;
	size_t klen = strlen(key);
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *k = p;
		while (*p && *p != '=' && *p != ',')
			p++;
		size_t this_len = (size_t)(p - k);
		if (*p != '=')
			continue;
		p++;
		struct strbuf v = {0};
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				strbuf_addc(&v, *p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ')
				strbuf_addc(&v, *p++);
		}
		if (this_len == klen && strncasecmp(k, key, klen) == 0)
			return strbuf_take(&v);
		free(v.s);
	}
	return NULL;
}

/* The host[:port] of an http(s) URL, or NULL. */
static char *url_host(const char *url, bool *https)
{
	const char *rest;
	if (strncasecmp(url, "https://", 8) == 0) {
		*https = true;
		rest = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*https = false;
		rest = url + 7;
	} else {
		return NULL;
	}
	size_t n = strcspn(rest, "/?#");
	return n ? xstrndup(rest, n) : NULL;
}

static char *escaped(const char *s)
{
	char *e = lc.curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	lc.curl_free(e);
	return out;
}

static int fetch_token(struct reg_client *c, const char *params, st_error_t *err)
{
	_cleanup_free_ char *realm = challenge_param(params, "realm");
	_cleanup_free_ char *service = challenge_param(params, "service");
	_cleanup_free_ char *scope = challenge_param(params, "scope");
	bool https = false;
	_cleanup_free_ char *realm_host = realm ? url_host(realm, &https) : NULL;
	if (!realm_host)
		return st_error(err, 0, "registry `%s` asks for a token but names no http(s) realm (`%s`)",
				c->ref.host, c->challenge);
	/* The credentials go to the realm too: never in clear text to a
	 * host the transport policy would not speak HTTP to. */
	if (!https && !c->insecure && !reg_host_is_loopback(realm_host))
		return st_error(err, 0,
				"registry `%s` sends for its token to plain-HTTP `%s`; refused (only a loopback or "
				"`insecure: true` registry may use HTTP)",
				c->ref.host, realm);
	if (!scope)
		scope = xasprintf("repository:%s:%s", c->ref.repo, c->push ? "pull,push" : "pull");
	_cleanup_free_ char *esc_scope = escaped(scope);
	_cleanup_free_ char *esc_service = service ? escaped(service) : NULL;
	_cleanup_free_ char *url = xasprintf("%s%sscope=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", esc_scope,
					     esc_service ? "&service=" : "", esc_service ? esc_service : "");
	_cleanup_free_ char *basic = c->basic ? xasprintf("Authorization: Basic %s", c->basic) : NULL;
	struct strbuf body = {0};
	struct reg_sink sink = {.mem = &body, .fd = -1, .limit = 1 << 20};
	st_error_t e = NULL;
	long status = reg_http_get(c, url, basic, "application/json", &sink, &e);
	if (status == 401 || status == 403) {
		st_error_free(&e);
		free(body.s);
		if (c->basic)
			return st_error(err, EACCES, "registry `%s` refused the credentials of config.json for `%s`",
					c->ref.host, c->ref.host);
		return st_error(err, EACCES,
				"registry `%s` wants credentials for `%s`: add `auths.\"%s\".auth` (base64 of "
				"user:password) to config.json ($DOCKER_CONFIG or ~/.docker)",
				c->ref.host, c->ref.repo, c->ref.host);
	}
	if (status != 200) {
		free(body.s);
		if (e && !*err)
			*err = steal_pointer(&e);
		st_error_free(&e);
		return st_error_prefix(err, "registry `%s`: get a token", c->ref.host);
	}
	json_error_t jerr;
	json_t *doc = json_loadb(body.s ? body.s : "", body.n, 0, &jerr);
	free(body.s);
	const char *token = json_string_value(json_object_get(doc, "token"));
	if (!token || !*token)
		token = json_string_value(json_object_get(doc, "access_token"));
	bool ok = token && *token && !strpbrk(token, "\r\n");
	if (ok) {
		free(c->authz);
		c->authz = xasprintf("Authorization: Bearer %s", token);
	}
	json_decref(doc);
	if (!ok)
		return st_error(err, 0, "registry `%s`: the token realm `%s` sent no token", c->ref.host, realm);
	return 0;
}

int reg_auth_answer(struct reg_client *c, st_error_t *err)
{
	const char *ch = c->challenge;
	size_t scheme_len = strcspn(ch, " ");
	const char *params = ch + scheme_len;
	if (scheme_len == 6 && strncasecmp(ch, "Bearer", 6) == 0) {
		if (c->authz && strncmp(c->authz, "Authorization: Bearer", 21) == 0)
			return st_error(err, EACCES, "registry `%s` refused the token it issued for `%s`", c->ref.host,
					c->ref.repo);
		return fetch_token(c, params, err);
	}
	if (scheme_len == 5 && strncasecmp(ch, "Basic", 5) == 0) {
		if (!c->basic)
			return st_error(err, EACCES,
					"registry `%s` wants a user and password: add `auths.\"%s\".auth` (base64 of "
					"user:password) to config.json ($DOCKER_CONFIG or ~/.docker)",
					c->ref.host, c->ref.host);
		if (c->authz)
			return st_error(err, EACCES, "registry `%s` refused the credentials of config.json", c->ref.host);
		c->authz = xasprintf("Authorization: Basic %s", c->basic);
		return 0;
	}
	return st_error(err, 0, "registry `%s`: unsupported auth challenge `%.*s`", c->ref.host, (int)scheme_len, ch);
}

/* "https://host:port/v1/" and "host" both name host:port. */
static bool auth_key_matches(const char *key, const char *host)
{
	if (strncasecmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncasecmp(key, "http://", 7) == 0)
		key += 7;
	size_t n = strcspn(key, "/");
	if (strlen(host) == n && strncasecmp(key, host, n) == 0)
		return true;
	/* Docker Hub's credentials are filed under its index. */
	return strcmp(host, "docker.io") == 0 && n == 15 && strncasecmp(key, "index.docker.io", 15) == 0;
}

static bool is_base64(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/' && *s != '=')
			return false;
	return true;
}

char *reg_auth_from_config(const char *config_path, const char *host, st_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (fs_read_file(config_path, 1 << 20, &text, &len, &e) < 0) {
		bool missing = e && e->status == ENOENT;
		if (!missing && !*err)
			*err = steal_pointer(&e);
		st_error_free(&e);
		if (!missing)
			st_error_prefix(err, "registry credentials");
		return NULL; /* no config is no credentials */
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	if (!doc) {
		/* Not jerr.text: its "near '...'" may quote a credential. */
		st_error(err, 0, "registry credentials: %s:%d:%d: not valid JSON: fix it there, or point "
			 "DOCKER_CONFIG elsewhere", config_path, jerr.line, jerr.column);
		return NULL;
	}
	char *out = NULL;
	const char *key;
	json_t *v;
	json_object_foreach (json_object_get(doc, "auths"), key, v) {
		const char *auth = json_string_value(json_object_get(v, "auth"));
		if (auth_key_matches(key, host) && auth) {
			if (!is_base64(auth)) {
				st_error(err, 0, "registry credentials: %s: auths.\"%s\".auth is not base64", config_path,
					 key);
				break;
			}
			out = xstrdup(auth);
			break;
		}
	}
	json_decref(doc);
	return out;
}
