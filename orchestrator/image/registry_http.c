/* HTTP for the registry client: one reused libcurl handle, the transport
 * policy of registry.h (HTTPS; plain HTTP only where allowed and only after
 * HTTPS failed) and one answered auth challenge per request. */
#include "image/curl_dl.h"
#include "image/registry_int.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One transfer: the sink of a 2xx body, the first bytes of any other,
 * and the request body's read position. */
struct xfer {
	struct reg_client *c;
	struct reg_sink *sink;
	const struct reg_req *rq;
	int64_t sent;
	int read_errno;
	long status;
	struct strbuf errbody;
	bool cut; /* a body we keep no more than ERRBODY_MAX of was stopped there */
};

/* What is kept of a body nobody reads (an error's, a push reply's): enough
 * for an error message.  Past it the transfer stops, so a registry that
 * sends an endless one cannot hold a pull forever. */
#define ERRBODY_MAX 1024

static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;
	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after a redirect): forget the last one's. */
		const char *sp = memchr(buf, ' ', len);
		x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		free(x->c->content_type);
		free(x->c->challenge);
		free(x->c->location);
		x->c->content_type = x->c->challenge = x->c->location = NULL;
		return len;
	}
	const char *colon = memchr(buf, ':', len);
	if (!colon)
		return len;
	size_t klen = (size_t)(colon - buf);
	const char *v = colon + 1, *end = buf + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char **slot = NULL;
	if (klen == 12 && strncasecmp(buf, "content-type", 12) == 0)
		slot = &x->c->content_type;
	else if (klen == 16 && strncasecmp(buf, "www-authenticate", 16) == 0)
		slot = &x->c->challenge;
	else if (klen == 8 && strncasecmp(buf, "location", 8) == 0)
		slot = &x->c->location;
	if (slot) {
		free(*slot);
		*slot = xstrndup(v, (size_t)(end - v));
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;
	struct reg_sink *s = x->sink;
	if (x->status < 200 || x->status > 299 || !s) {
		if (x->errbody.n >= ERRBODY_MAX) {
			x->cut = true;
			return 0; /* stops the transfer: CURLE_WRITE_ERROR, taken as complete */
		}
		size_t room = ERRBODY_MAX - x->errbody.n;
		strbuf_add(&x->errbody, buf, len < room ? len : room);
		return len;
	}
	if (s->got + (int64_t)len > s->limit) {
		s->over = true;
		return 0; /* stops the transfer: CURLE_WRITE_ERROR */
	}
	if (s->md)
		st_sha256_update(s->md, buf, len);
	if (s->mem)
		strbuf_add(s->mem, buf, len);
	for (size_t off = 0; s->fd >= 0 && off < len;) {
		ssize_t w = write(s->fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->write_errno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	s->got += (int64_t)len;
	if (s->progress)
		s->progress(s->progress_ctx, s->got);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	const struct reg_req *rq = x->rq;
	size_t want = size * n;
	if (rq->body) {
		size_t left = rq->body_len - (size_t)x->sent;
		size_t k = left < want ? left : want;
		memcpy(buf, (const char *)rq->body + x->sent, k);
		x->sent += (int64_t)k;
		return k;
	}
	for (;;) {
		ssize_t got = pread(rq->body_fd, buf, want, (off_t)x->sent);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			x->read_errno = errno;
			return CURL_READFUNC_ABORT;
		}
		x->sent += got;
		return (size_t)got;
	}
}

/* Called by curl about once a second and on each chunk: a stop signal
 * ends the transfer at once. */
static int on_xferinfo(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return st_interrupted() != 0;
}

int reg_client_open(struct reg_client *c, const char *ref, const struct img_pull_opts *o, st_error_t *err)
{
	memset(c, 0, sizeof(*c));
	if (img_curl_load(err) < 0)
		return -1;
	if (reg_ref_parse(ref, &c->ref, err) < 0)
		return -1;
	c->insecure = o->insecure;
	c->http_ok = o->insecure || reg_host_is_loopback(c->ref.host);
	if (o->docker_config) {
		c->basic = reg_auth_from_config(o->docker_config, c->ref.host, err);
		if (!c->basic && *err) {
			reg_client_close(c);
			return -1;
		}
	}
	c->curl = lc.curl_easy_init();
	if (!c->curl) {
		reg_client_close(c);
		return st_error(err, ENOMEM, "curl_easy_init");
	}
	return 0;
}

void reg_client_close(struct reg_client *c)
{
	if (c->curl)
		lc.curl_easy_cleanup(c->curl);
	reg_ref_free(&c->ref);
	free(c->basic);
	free(c->authz);
	free(c->content_type);
	free(c->challenge);
	free(c->location);
	memset(c, 0, sizeof(*c));
}

/* A short, printable excerpt of an error body (registries send JSON). */
static char *excerpt(struct strbuf *b)
{
	if (!b->n)
		return xstrdup("");
	char *out = xasprintf(": %.200s", b->s);
	for (char *p = out; *p; p++)
		if (!isprint((unsigned char)*p))
			*p = ' ';
	return out;
}

long reg_http_get(struct reg_client *c, const char *url, const char *authz, const char *accept,
		  struct reg_sink *sink, st_error_t *err)
{
	struct reg_req rq = {.accept = accept, .body_fd = -1, .sink = sink};
	return reg_http(c, url, authz, &rq, err);
}

long reg_http(struct reg_client *c, const char *url, const char *authz, const struct reg_req *rq, st_error_t *err)
{
	CURL *h = c->curl;
	struct reg_sink *sink = rq->sink;
	struct xfer x = {.c = c, .sink = sink, .rq = rq};
	const char *method = rq->method ? rq->method : "GET";
	struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *accept_h = rq->accept ? xasprintf("Accept: %s", rq->accept) : NULL;
	_cleanup_free_ char *ctype_h = rq->content_type ? xasprintf("Content-Type: %s", rq->content_type) : NULL;
	if (accept_h)
		hdrs = lc.curl_slist_append(hdrs, accept_h);
	if (ctype_h)
		hdrs = lc.curl_slist_append(hdrs, ctype_h);
	if (authz)
		hdrs = lc.curl_slist_append(hdrs, authz);
	const char *protos = c->http_ok ? "http,https" : "https";
	lc.curl_easy_reset(h);
	lc.curl_easy_setopt(h, CURLOPT_URL, url);
	lc.curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	lc.curl_easy_setopt(h, CURLOPT_USERAGENT, "stack/" "0.1");
	lc.curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protos);
	lc.curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protos);
	/* Blob stores answer by redirect; curl drops our Authorization
	 * header when a redirect leaves the host (CURLOPT_UNRESTRICTED_AUTH
	 * stays off). */
	lc.curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	lc.curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	lc.curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	lc.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* No byte for a minute is a dead transfer, not a slow one. */
	lc.curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	lc.curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	lc.curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	lc.curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	lc.curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	lc.curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	lc.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	lc.curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	if (c->insecure) {
		lc.curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		lc.curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	bool has_body = rq->body || rq->body_fd >= 0;
	if (!strcmp(method, "HEAD")) {
		lc.curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, "PUT") || (!strcmp(method, "POST") && has_body)) {
		/* An upload: curl reads the body through on_read. */
		lc.curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		lc.curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		lc.curl_easy_setopt(h, CURLOPT_READDATA, &x);
		lc.curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				    (curl_off_t)(rq->body ? (int64_t)rq->body_len : has_body ? rq->body_size : 0));
		/* No redirect for an upload: a body is not resent. */
		lc.curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		if (strcmp(method, "PUT") != 0)
			lc.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	} else if (!strcmp(method, "POST")) {
		lc.curl_easy_setopt(h, CURLOPT_POST, 1L);
		lc.curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
		lc.curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	}
	c->requests++;
	CURLcode rc = lc.curl_easy_perform(h);
	lc.curl_slist_free_all(hdrs);
	long status = -1;
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && x.cut)) {
		status = x.status;
		if (status < 200 || status > 299) {
			_cleanup_free_ char *ex = excerpt(&x.errbody);
			/* The caller words the error; keep the server's words. */
			st_error(err, 0, "%s %s: HTTP %ld%s", method, url, status, ex);
		}
	} else if (sink && sink->over) {
		st_error(err, EFBIG, "%s %s: more than the %lld bytes expected", method, url, (long long)sink->limit);
	} else if (sink && sink->write_errno) {
		st_error(err, sink->write_errno, "%s %s: write the download", method, url);
	} else if (x.read_errno) {
		st_error(err, x.read_errno, "%s %s: read the upload", method, url);
	} else if (rc == CURLE_ABORTED_BY_CALLBACK) {
		char sig[32];
		st_error(err, EINTR, "%s %s: stopped by %s", method, url,
			 st_signal_name(st_interrupted(), sig, sizeof(sig)));
	} else if (rc == CURLE_UNSUPPORTED_PROTOCOL && c->location) {
		_cleanup_free_ char *to = xstrdup(c->location); /* the server's bytes: no escape reaches the terminal */
		for (char *p = to; *p; p++)
			if (!isprint((unsigned char)*p))
				*p = '?';
		st_error(err, 0, "%s %s: redirected to `%.200s`, which stack does not follow (%s only)", method, url,
			 to, protos);
	} else {
		st_error(err, 0, "%s %s: %s", method, url, lc.curl_easy_strerror(rc));
		/* Which failures mean "this is not HTTPS": the caller's to decide. */
		status = rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ? -2 : -1;
	}
	free(x.errbody.s);
	return status;
}

static void sink_rewind(struct reg_sink *s)
{
	if (!s)
		return;
	/* Only a response that was refused before its body gets here: an
	 * error status or a TLS failure, which wrote nothing. */
	s->over = false;
	s->write_errno = 0;
}

/* `what` as a URL: a path of the API, or an absolute URL the registry
 * gave (Location).  *ours: it is the registry's own host, so our
 * credentials may go with it. */
static char *call_url(const struct reg_client *c, const char *what, bool *ours)
{
	const char *scheme = c->plain_http ? "http" : "https";
	*ours = true;
	if (what[0] == '/')
		return xasprintf("%s://%s%s", scheme, c->ref.api_host, what);
	if (strncmp(what, "http://", 7) && strncmp(what, "https://", 8))
		return xasprintf("%s://%s/v2/%s/%s", scheme, c->ref.api_host, c->ref.repo, what);
	const char *host = strstr(what, "://") + 3;
	size_t n = strcspn(host, "/?#");
	*ours = strlen(c->ref.api_host) == n && strncmp(host, c->ref.api_host, n) == 0;
	return xstrdup(what);
}

long reg_get(struct reg_client *c, const char *what, const char *accept, struct reg_sink *sink, st_error_t *err)
{
	struct reg_req rq = {.accept = accept, .body_fd = -1, .sink = sink};
	return reg_call(c, what, &rq, err);
}

long reg_call(struct reg_client *c, const char *what, const struct reg_req *rq, st_error_t *err)
{
	struct reg_sink *sink = rq->sink;
	for (int attempt = 0;; attempt++) {
		bool ours = true;
		_cleanup_free_ char *url = call_url(c, what, &ours);
		st_error_t e = NULL;
		long status = reg_http(c, url, ours ? c->authz : NULL, rq, &e);
		if (status == -2 && !c->plain_http && (!sink || sink->got == 0)) {
			if (!c->http_ok) {
				_cleanup_free_ char *why = st_error_text(e);
				st_error_free(&e);
				return st_error(err, 0,
						"registry `%s` does not answer HTTPS (%s); stack speaks plain HTTP only "
						"to a loopback registry or one whose base says `insecure: true`",
						c->ref.host, why);
			}
			st_error_free(&e);
			c->plain_http = true; /* as Docker does for an insecure registry */
			continue;
		}
		if (status == 401 && attempt < 2 && c->challenge) {
			st_error_free(&e);
			sink_rewind(sink);
			if (reg_auth_answer(c, err) < 0)
				return -1;
			continue;
		}
		if (e && !*err)
			*err = steal_pointer(&e);
		st_error_free(&e);
		return status;
	}
}
