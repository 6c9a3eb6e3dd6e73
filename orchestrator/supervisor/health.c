/* The health state machine: when to probe, what a result does to the
 * status, the log of the last results.  The probes themselves are in
 * health_net.c and health_exec.c. */
#include "supervisor/health_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "util/strv.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

struct sup_health {
	uv_loop_t *loop;
	struct rt_container *ct;
	sup_health_cb on_change;
	void *data;
	/* Our copy of the spec and of the exec settings. */
	struct spec_health spec;
	char *user;
	struct strv env;
	struct sup_health_exec exec;

	enum sup_health_status status;
	int streak;
	uint64_t probes;
	uint64_t started_ns; /* uv_hrtime() at sup_health_start */
	uv_timer_t tick;
	struct sup_probe *cur; /* the probe running, or NULL */
	struct sup_health_result log[SUP_HEALTH_LOG_MAX]; /* oldest first */
	size_t n_log;
	bool stopped;
};

#define NS_PER_MS 1000000LL

const char *sup_health_status_name(enum sup_health_status st)
{
	switch (st) {
	case SUP_HEALTH_STARTING:
		return "starting";
	case SUP_HEALTH_HEALTHY:
		return "healthy";
	case SUP_HEALTH_UNHEALTHY:
		return "unhealthy";
	}
	return "unknown";
}

/* ---- probes' common part ---- */

void sup_probe_init(struct sup_probe *p, const struct sup_probe_ops *ops, struct sup_health *h, uv_loop_t *loop)
{
	p->ops = ops;
	p->h = h;
	p->loop = loop;
	p->start_ns = uv_hrtime();
	clock_gettime(CLOCK_REALTIME, &p->res.start);
	p->res.end = p->res.start;
	p->res.exit_code = -1;
	p->res.output = NULL;
}

void sup_probe_report_raw(struct sup_probe *p, int exit_code, const char *out, size_t n)
{
	struct sup_health *h = p->h;
	if (!h)
		return;
	p->h = NULL;
	clock_gettime(CLOCK_REALTIME, &p->res.end);
	p->res.exit_code = exit_code;
	p->res.output = xstrndup(out, n < SUP_HEALTH_OUTPUT_MAX ? n : SUP_HEALTH_OUTPUT_MAX);
	sup_health_probe_done(h, p);
}

void sup_probe_report(struct sup_probe *p, int exit_code, const char *fmt, ...)
{
	if (!p->h)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *s = xvasprintf(fmt, ap);
	va_end(ap);
	sup_probe_report_raw(p, exit_code, s, strlen(s));
}

char *sup_probe_timeout_text(int64_t timeout_ns)
{
	/* As Go prints a time.Duration for round values: 30s, 1.5s, 200ms. */
	if (timeout_ns % 1000000000LL == 0)
		return xasprintf("Health check exceeded timeout (%llds)", (long long)(timeout_ns / 1000000000LL));
	if (timeout_ns >= 1000000000LL)
		return xasprintf("Health check exceeded timeout (%gs)", (double)timeout_ns / 1e9);
	return xasprintf("Health check exceeded timeout (%gms)", (double)timeout_ns / 1e6);
}

/* ---- the state machine ---- */

static bool in_start_period(const struct sup_health *h, uint64_t t_ns)
{
	return t_ns - h->started_ns < (uint64_t)h->spec.start_period;
}

/* Docker's getInterval(): start_interval while starting within the start
 * period, interval otherwise; measured from the end of the last probe. */
static uint64_t next_delay_ms(const struct sup_health *h)
{
	int64_t ns = h->status == SUP_HEALTH_STARTING && in_start_period(h, uv_hrtime()) ? h->spec.start_interval
											  : h->spec.interval;
	uint64_t ms = (uint64_t)(ns / NS_PER_MS);
	return ms > 0 ? ms : 1;
}

static void tick_cb(uv_timer_t *t);

static void schedule(struct sup_health *h)
{
	if (!h->stopped)
		uv_timer_start(&h->tick, tick_cb, next_delay_ms(h), 0);
}

static void log_push(struct sup_health *h, struct sup_health_result *r)
{
	if (h->n_log == SUP_HEALTH_LOG_MAX) {
		free(h->log[0].output);
		memmove(&h->log[0], &h->log[1], sizeof(h->log[0]) * (SUP_HEALTH_LOG_MAX - 1));
		h->n_log--;
	}
	h->log[h->n_log++] = *r;
	r->output = NULL;
}

/* moby's handleProbeResult. */
static void record(struct sup_health *h, struct sup_health_result *r, uint64_t start_ns)
{
	enum sup_health_status old = h->status;
	h->probes++;
	bool ok = r->exit_code == 0;
	log_push(h, r);
	if (ok) {
		h->streak = 0;
		h->status = SUP_HEALTH_HEALTHY;
	} else if (!(h->status == SUP_HEALTH_STARTING && in_start_period(h, start_ns))) {
		if (++h->streak >= h->spec.retries)
			h->status = SUP_HEALTH_UNHEALTHY;
	}
	schedule(h);
	/* Last: the callback may stop (and so free) h. */
	if (h->status != old && h->on_change)
		h->on_change(h, h->status, h->data);
}

void sup_health_probe_done(struct sup_health *h, struct sup_probe *p)
{
	if (h->cur == p)
		h->cur = NULL;
	record(h, &p->res, p->start_ns);
}

static void tick_cb(uv_timer_t *t)
{
	struct sup_health *h = t->data;
	st_error_t err = NULL;
	uint64_t start_ns = uv_hrtime();
	struct sup_health_result r = {.exit_code = -1};
	clock_gettime(CLOCK_REALTIME, &r.start);
	struct sup_probe *p;
	if (h->spec.kind == SPEC_HEALTH_TCP || h->spec.kind == SPEC_HEALTH_HTTP)
		p = sup_probe_net_start(h->loop, h, h->ct, &h->spec, &err);
	else
		p = sup_probe_exec_start(h->loop, h, h->ct, &h->spec, &h->exec, &err);
	if (p) {
		h->cur = p;
		return;
	}
	/* It could not run (the container is gone, exec failed): a failed
	 * probe, as Docker records one (exit code -1, the error as output). */
	clock_gettime(CLOCK_REALTIME, &r.end);
	r.output = st_error_text(err);
	if (strlen(r.output) > SUP_HEALTH_OUTPUT_MAX)
		r.output[SUP_HEALTH_OUTPUT_MAX] = '\0';
	st_error_free(&err);
	record(h, &r, start_ns);
}

int sup_health_start(uv_loop_t *loop, const struct spec_health *spec, const struct sup_health_exec *exec,
		     struct rt_container *ct, sup_health_cb on_change, void *data, struct sup_health **out,
		     st_error_t *err)
{
	*out = NULL;
	switch (spec->kind) {
	case SPEC_HEALTH_TCP:
	case SPEC_HEALTH_HTTP:
		if (spec->port == 0)
			return st_error(err, EINVAL, "health check: no port to probe");
		break;
	case SPEC_HEALTH_CMD:
	case SPEC_HEALTH_SHELL:
		if (spec->test.n == 0)
			return st_error(err, EINVAL, "health check: no command to run");
		break;
	case SPEC_HEALTH_INHERIT:
	case SPEC_HEALTH_NONE:
		return st_error(err, EINVAL, "health check: none to run (disabled, or the image's not resolved)");
	}
	if (spec->interval <= 0 || spec->timeout <= 0 || spec->start_interval <= 0 || spec->start_period < 0)
		return st_error(err, EINVAL, "health check: interval, timeout and start_interval must be positive");
	struct sup_health *h = xzalloc(sizeof(*h));
	h->loop = loop;
	h->ct = ct;
	h->on_change = on_change;
	h->data = data;
	h->spec.kind = spec->kind;
	strv_copy(&h->spec.test, &spec->test);
	h->spec.port = spec->port;
	h->spec.path = xstrdup(spec->path ? spec->path : "/");
	h->spec.status = spec->status;
	h->spec.interval = spec->interval;
	h->spec.timeout = spec->timeout;
	h->spec.start_period = spec->start_period;
	h->spec.start_interval = spec->start_interval;
	h->spec.retries = spec->retries > 0 ? spec->retries : 3;
	if (exec) {
		h->user = exec->user ? xstrdup(exec->user) : NULL;
		for (const char *const *e = exec->env; e && *e; e++)
			strv_push(&h->env, *e);
	}
	h->exec.user = h->user;
	h->exec.env = h->env.n ? (const char *const *)strv_argv(&h->env) : NULL;
	h->status = SUP_HEALTH_STARTING;
	h->started_ns = uv_hrtime();
	uv_timer_init(loop, &h->tick);
	h->tick.data = h;
	schedule(h);
	*out = h;
	return 0;
}

static void health_free(uv_handle_t *t)
{
	struct sup_health *h = t->data;
	for (size_t i = 0; i < h->n_log; i++)
		free(h->log[i].output);
	strv_free(&h->spec.test);
	free(h->spec.path);
	free(h->user);
	strv_free(&h->env);
	free(h);
}

void sup_health_stop(struct sup_health *h)
{
	if (!h || h->stopped)
		return;
	h->stopped = true;
	h->on_change = NULL;
	h->ct = NULL;
	if (h->cur) {
		struct sup_probe *p = steal_pointer(&h->cur);
		p->h = NULL;
		p->ops->cancel(p);
	}
	uv_close((uv_handle_t *)&h->tick, health_free);
}

enum sup_health_status sup_health_status(const struct sup_health *h) { return h->status; }
int sup_health_failing_streak(const struct sup_health *h) { return h->streak; }

const struct sup_health_result *sup_health_log(const struct sup_health *h, size_t *n)
{
	*n = h->n_log;
	return h->log;
}

/* ---- JSON ---- */

static json_t *time_json(const struct timespec *ts)
{
	struct tm tm;
	char buf[64];
	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts->tv_nsec);
	return json_string(buf);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A probe's output is whatever the program wrote; JSON needs UTF-8, so
 * each byte that does not start a valid sequence becomes U+FFFD (jansson
 * refuses invalid UTF-8 outright, and NUL is dropped with it). */
static json_t *text_json(const char *s)
{
	size_t n = strlen(s);
	struct strbuf b = {0};
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len((const unsigned char *)s + i, n - i);
		if (l) {
			strbuf_add(&b, s + i, l);
			i += l;
		} else {
			strbuf_adds(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	_cleanup_free_ char *t = strbuf_take(&b);
	return json_string(t);
}

json_t *sup_health_json(const struct sup_health *h)
{
	json_t *log = json_array();
	for (size_t i = 0; i < h->n_log; i++) {
		const struct sup_health_result *r = &h->log[i];
		json_array_append_new(log, json_pack("{s:o, s:o, s:i, s:o}", "start", time_json(&r->start), "end",
						     time_json(&r->end), "exit_code", r->exit_code, "output",
						     text_json(r->output ? r->output : "")));
	}
	return json_pack("{s:s, s:i, s:I, s:o}", "status", sup_health_status_name(h->status), "failing_streak",
			 h->streak, "probes", (json_int_t)h->probes, "log", log);
}
