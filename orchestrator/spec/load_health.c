/* healthcheck: compose's exec/shell tests, and our native tcp/http probes
 * that need no curl in the image. */
#include "spec/load_internal.h"
#include "spec/units.h"
#include "util/mem.h"

#include <string.h>

static const char *const health_keys[] = {"test", "tcp", "http", "interval", "timeout", "retries",
					  "start_period", "start_interval", "disable"};
static const char *const tcp_keys[] = {"port"};
static const char *const http_keys[] = {"port", "path", "status"};

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

static void load_test(struct spec_loader *ld, struct spec_health *h, const struct spec_node *n)
{
	if (n->type == SPEC_NODE_SCALAR) {
		if (strcmp(n->scalar, "NONE") == 0) {
			h->kind = SPEC_HEALTH_NONE;
		} else {
			h->kind = SPEC_HEALTH_SHELL;
			strv_push(&h->test, n->scalar);
		}
		return;
	}
	struct strv argv = {0};
	if (!ld_string_list(ld, n, "healthcheck.test", &argv))
		goto out;
	if (argv.n == 0) {
		ld_error(ld, n, "`healthcheck.test` is empty");
		goto out;
	}
	if (strcmp(argv.v[0], "NONE") == 0 && argv.n == 1) {
		h->kind = SPEC_HEALTH_NONE;
	} else if (strcmp(argv.v[0], "CMD") == 0 && argv.n >= 2) {
		h->kind = SPEC_HEALTH_CMD;
		for (size_t i = 1; i < argv.n; i++)
			strv_push(&h->test, argv.v[i]);
	} else if (strcmp(argv.v[0], "CMD-SHELL") == 0 && argv.n == 2) {
		h->kind = SPEC_HEALTH_SHELL;
		strv_push(&h->test, argv.v[1]);
	} else {
		const char *m;
		if (strcmp(argv.v[0], "CMD") == 0)
			m = "[CMD, ...] needs the program to run after CMD";
		else if (strcmp(argv.v[0], "CMD-SHELL") == 0)
			m = "[CMD-SHELL, ...] takes exactly one command string";
		else if (strcmp(argv.v[0], "NONE") == 0)
			m = "[NONE] takes nothing after NONE";
		else
			m = "a test list must start with CMD, CMD-SHELL or NONE";
		struct diag *d = ld_error(ld, n->items[0], "`healthcheck.test`: %s", m);
		diag_hint(d, "use [CMD, prog, args...], [CMD-SHELL, \"command\"], [NONE] or a string (run by sh -c)");
	}
out:
	strv_free(&argv);
}

static bool load_port(struct spec_loader *ld, const struct spec_node *map, const char *what, uint16_t *port)
{
	const struct spec_node *v = ld_get(map, "port");
	char *err = NULL;
	if (!v) {
		ld_error(ld, map, "`%s` needs a `port`", what);
		return false;
	}
	if (!ld_is_scalar(ld, v, what))
		return false;
	if (spec_parse_port_number(v->scalar, port, &err) < 0 || *port == 0) {
		ld_error_take(ld, v, err ? err : xasprintf("`%s.port`: 0 is not a port", what));
		return false;
	}
	return true;
}

static void load_timings(struct spec_loader *ld, struct spec_health *h, const struct spec_node *n)
{
	static const char *const names[] = {"interval", "timeout", "start_period", "start_interval"};
	int64_t *fields[] = {&h->interval, &h->timeout, &h->start_period, &h->start_interval};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct spec_node *v = ld_get(n, names[i]);
		_cleanup_free_ char *what = xasprintf("healthcheck.%s", names[i]);
		int64_t ns;
		if (!v || !ld_duration(ld, v, what, &ns))
			continue;
		/* Docker refuses periods under 1ms; start_period may be 0. */
		if (fields[i] != &h->start_period && ns < NS_PER_MS) {
			ld_error(ld, v, "`%s` must be at least 1ms, got `%s`", what, v->scalar);
			continue;
		}
		*fields[i] = ns;
	}
	const struct spec_node *v = ld_get(n, "retries");
	int64_t r;
	if (v && ld_int(ld, v, "healthcheck.retries", 1, 1000000, &r))
		h->retries = (int)r;
}

void ld_healthcheck(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	struct spec_health *h = &sv->health; /* Docker's default timings are set by service_defaults() */
	if (!ld_is_map(ld, n, "healthcheck"))
		return;
	ld_check_keys(ld, n, health_keys, ARRAY_SIZE(health_keys), "healthcheck");
	load_timings(ld, h, n);
	const struct spec_node *v;
	bool disable = false;
	if ((v = ld_get(n, "disable")) && ld_bool(ld, v, "healthcheck.disable", &disable) && disable) {
		h->kind = SPEC_HEALTH_NONE;
		return;
	}
	static const char *const kinds[] = {"test", "tcp", "http"};
	const char *first = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!ld_get(n, kinds[i]))
			continue;
		if (first) {
			struct diag *d = ld_error(ld, ld_key(n, kinds[i]), "healthcheck has both `%s` and `%s`", first,
						  kinds[i]);
			diag_hint(d, "give exactly one of test, tcp or http");
			return;
		}
		first = kinds[i];
	}
	if ((v = ld_get(n, "test"))) {
		load_test(ld, h, v);
	} else if ((v = ld_get(n, "tcp"))) {
		if (ld_is_map(ld, v, "healthcheck.tcp")) {
			ld_check_keys(ld, v, tcp_keys, ARRAY_SIZE(tcp_keys), "healthcheck.tcp");
			if (load_port(ld, v, "healthcheck.tcp", &h->port))
				h->kind = SPEC_HEALTH_TCP;
		}
	} else if ((v = ld_get(n, "http"))) {
		if (!ld_is_map(ld, v, "healthcheck.http"))
			return;
		ld_check_keys(ld, v, http_keys, ARRAY_SIZE(http_keys), "healthcheck.http");
		const struct spec_node *p = ld_get(v, "path"), *st = ld_get(v, "status");
		int64_t status = 0;
		if (p && ld_is_scalar(ld, p, "healthcheck.http.path") && p->scalar[0] != '/')
			ld_error(ld, p, "`healthcheck.http.path` must start with /, got `%s`", p->scalar);
		if (st && !ld_int(ld, st, "healthcheck.http.status", 100, 599, &status))
			return;
		if (!load_port(ld, v, "healthcheck.http", &h->port))
			return;
		h->kind = SPEC_HEALTH_HTTP;
		h->path = xstrdup(p && p->type == SPEC_NODE_SCALAR ? p->scalar : "/");
		h->status = (int)status;
	}
}
