#include "builder/exec_config.h"
#include "spec/units.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void bcfg_init(struct bcfg *c)
{
	memset(c, 0, sizeof(*c));
	strv_push(&c->shell, "/bin/sh");
	strv_push(&c->shell, "-c");
}

void bcfg_free(struct bcfg *c)
{
	img_image_free(&c->img);
	strv_free(&c->shell);
	memset(c, 0, sizeof(*c));
}

void bcfg_reset(struct bcfg *c)
{
	bcfg_free(c);
	bcfg_init(c);
}

/* Through the store's own serialization: one definition of what an image
 * config holds. */
static void copy_image(struct img_image *dst, const struct img_image *src)
{
	_cleanup_free_ char *json = img_config_json(src);
	st_error_t err = NULL;
	if (img_config_parse(json, strlen(json), dst, &err) < 0)
		abort(); /* our own serialization always parses */
	/* img_config_json keeps what a config has; the layers are in it. */
}

void bcfg_copy(struct bcfg *dst, const struct bcfg *src)
{
	bcfg_free(dst);
	copy_image(&dst->img, &src->img);
	strv_copy(&dst->shell, &src->shell);
	dst->cmd_set_here = src->cmd_set_here;
}

void bcfg_from_image(struct bcfg *dst, const struct img_image *img)
{
	bcfg_reset(dst);
	copy_image(&dst->img, img);
}

char *bcfg_identity(const struct bcfg *c)
{
	_cleanup_free_ char *json = img_config_json(&c->img);
	struct strbuf b = {0};
	strbuf_adds(&b, json);
	strbuf_adds(&b, "\nshell");
	for (size_t i = 0; i < c->shell.n; i++) {
		strbuf_addc(&b, '\n');
		strbuf_adds(&b, c->shell.v[i]);
	}
	return strbuf_take(&b);
}

static ssize_t env_index(const struct bcfg *c, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < c->img.env.n; i++)
		if (!strncmp(c->img.env.v[i], key, n) && c->img.env.v[i][n] == '=')
			return (ssize_t)i;
	return -1;
}

const char *bcfg_env_get(const struct bcfg *c, const char *key)
{
	ssize_t i = env_index(c, key);
	return i < 0 ? NULL : c->img.env.v[i] + strlen(key) + 1;
}

void bcfg_env_set(struct bcfg *c, const char *key, const char *value)
{
	ssize_t i = env_index(c, key);
	char *kv = xasprintf("%s=%s", key, value ? value : "");
	if (i < 0) {
		strv_push_take(&c->img.env, kv);
	} else {
		free(c->img.env.v[i]);
		c->img.env.v[i] = kv;
	}
}

static void add_port(struct bcfg *c, unsigned long port, const char *proto)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lu/%s", port, proto);
	if (!strv_contains(&c->img.exposed_ports, buf))
		strv_push(&c->img.exposed_ports, buf);
}

int bcfg_expose(struct bcfg *c, const char *spec, st_error_t *err)
{
	_cleanup_free_ char *p = xstrdup(spec);
	char *slash = strchr(p, '/');
	const char *proto = "tcp";
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
		for (char *q = slash + 1; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return st_error(err, 0, "EXPOSE %s: the protocol is tcp, udp or sctp", spec);
	}
	char *end = NULL;
	errno = 0;
	unsigned long lo = strtoul(p, &end, 10), hi = lo;
	if (end && *end == '-')
		hi = strtoul(end + 1, &end, 10);
	if (!*p || !isdigit((unsigned char)*p) || errno || *end || lo == 0 || hi > 65535 || hi < lo)
		return st_error(err, 0, "EXPOSE %s: not a port or port range (1-65535)", spec);
	for (unsigned long port = lo; port <= hi; port++)
		add_port(c, port, proto);
	return 0;
}

void bcfg_volume(struct bcfg *c, const char *path)
{
	if (!strv_contains(&c->img.volumes, path))
		strv_push(&c->img.volumes, path);
}

int bcfg_stop_signal(struct bcfg *c, const char *sig, st_error_t *err)
{
	/* The signal is checked here, not when a container stops. */
	const char *name = !strncasecmp(sig, "SIG", 3) ? sig + 3 : sig;
	char *end = NULL;
	long n = strtol(sig, &end, 10);
	bool ok = *sig && !*end && n > 0 && n < NSIG;
	for (int s = 1; !ok && s < NSIG; s++) {
		const char *abbrev = sigabbrev_np(s);
		ok = abbrev && !strcasecmp(abbrev, name);
	}
	if (!ok && !strncasecmp(name, "RTMIN", 5))
		ok = true;
	if (!ok)
		return st_error(err, 0, "STOPSIGNAL %s: not a signal name or number", sig);
	free(c->img.stop_signal);
	c->img.stop_signal = xstrdup(sig);
	return 0;
}

static int duration_flag(const struct df_instr *in, const char *name, int64_t *out, st_error_t *err)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < in->flags.n; i++) {
		const char *f = in->flags.v[i] + 2;
		if (strncmp(f, name, n) || f[n] != '=')
			continue;
		_cleanup_free_ char *msg = NULL;
		if (spec_parse_duration(f + n + 1, out, &msg) < 0)
			return st_error(err, 0, "HEALTHCHECK --%s=%s: %s", name, f + n + 1, msg);
	}
	return 0;
}

int bcfg_healthcheck(struct bcfg *c, const struct df_instr *in, st_error_t *err)
{
	struct img_healthcheck *h = &c->img.healthcheck;
	strv_free(&h->test);
	memset(h, 0, sizeof(*h));
	if (!in->args.n)
		return st_error(err, 0, "HEALTHCHECK needs NONE or CMD");
	if (!strcasecmp(in->args.v[0], "none")) {
		strv_push(&h->test, "NONE");
		return 0;
	}
	if (in->json) {
		strv_push(&h->test, "CMD");
		for (size_t i = 1; i < in->args.n; i++)
			strv_push(&h->test, in->args.v[i]);
	} else {
		strv_push(&h->test, "CMD-SHELL");
		strv_push(&h->test, in->args.n > 1 ? in->args.v[1] : "");
	}
	if (duration_flag(in, "interval", &h->interval, err) < 0 || duration_flag(in, "timeout", &h->timeout, err) < 0 ||
	    duration_flag(in, "start-period", &h->start_period, err) < 0 ||
	    duration_flag(in, "start-interval", &h->start_interval, err) < 0)
		return -1;
	for (size_t i = 0; i < in->flags.n; i++) {
		const char *f = in->flags.v[i] + 2;
		if (strncmp(f, "retries=", 8))
			continue;
		char *end = NULL;
		long r = strtol(f + 8, &end, 10);
		if (!f[8] || *end || r < 0 || r > 1000000)
			return st_error(err, 0, "HEALTHCHECK --retries=%s: give a number", f + 8);
		h->retries = (int)r;
	}
	return 0;
}

void bcfg_history(struct bcfg *c, const char *created_by, bool empty_layer)
{
	struct img_image *img = &c->img;
	img->history = xrealloc(img->history, (img->n_history + 1) * sizeof(*img->history));
	img->history[img->n_history++] = (struct img_history){
		.created_by = xstrdup(created_by),
		.empty_layer = empty_layer,
	};
}
