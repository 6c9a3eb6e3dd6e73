/* services: the per-service keys that are single values; the groups of
 * related keys (mounts, limits, security, env, health, depends_on) have
 * their own files. */
#include "spec/load_internal.h"
#include "spec/names.h"
#include "spec/ref.h"
#include "spec/units.h"
#include "util/mem.h"

#include <ctype.h>
#include <signal.h>
#include <string.h>

static const char *const service_keys[] = {
	"image", "build", "command", "entrypoint", "environment", "env_file", "working_dir", "user", "hostname",
	"network_mode", "networks", "ports", "volumes", "secrets", "tmpfs", "read_only", "cap_add", "cap_drop", "pids_limit",
	"mem_limit", "memswap_limit", "cpu_shares", "cpus", "deploy", "security_opt", "ulimits", "init",
	"stop_signal", "stop_grace_period", "restart", "depends_on", "healthcheck", "labels", "profiles",
	"devices", "logging",
};

/* Compose keys stack does not implement: said plainly, rather than as an
 * unknown key with an unhelpful did-you-mean. */
static const struct ld_unsupported_key unsupported_keys[] = {
	{"container_name", "stack names containers PROJECT-SERVICE-N itself"},
	{"links", "use `depends_on:` for start order"},
	{"external_links", NULL},
	{"privileged", "add only the capabilities needed with `cap_add:`"},
	{"expose", "use `ports:` to publish a port"},
	{"stdin_open", NULL},
	{"tty", NULL},
	{"extra_hosts", NULL},
	{"dns", NULL},
	{"dns_search", NULL},
	{"sysctls", NULL},
	{"shm_size", "mount a tmpfs at /dev/shm with `tmpfs: [\"/dev/shm:size=...\"]`"},
	{"platform", NULL},
	{"pull_policy", NULL},
	{"scale", NULL},
	{"ipc", NULL},
	{"pid", NULL},
	{"userns_mode", NULL},
	{"cgroup_parent", NULL},
	{"mem_reservation", "stack enforces limits only: use `mem_limit:`"},
	{"mem_swappiness", NULL},
	{"cpu_quota", "use `cpus:`"},
	{"cpu_period", "use `cpus:`"},
	{"cpuset", NULL},
	{"configs", "mount the file with `volumes:` or `secrets:`"},
	{"runtime", NULL},
	{"extends", "use YAML anchors and merge keys (<<: *name), or a second -f file"},
};

static void service_defaults(struct spec_service *sv)
{
	sv->no_new_privileges = true;
	sv->init = true;
	sv->stop_signal = SIGTERM;
	sv->stop_grace_period = 10 * 1000000000LL;
	sv->restart = SPEC_RESTART_NO;
	sv->network_mode = SPEC_NET_PRIVATE;
	sv->health.kind = SPEC_HEALTH_INHERIT;
	/* Docker's healthcheck defaults, also for an image's own HEALTHCHECK. */
	sv->health.interval = 30 * 1000000000LL;
	sv->health.timeout = 30 * 1000000000LL;
	sv->health.start_period = 0;
	sv->health.start_interval = 5 * 1000000000LL;
	sv->health.retries = 3;
	sv->logging.max_size = SPEC_LOG_MAX_SIZE_DEFAULT;
	sv->logging.max_file = SPEC_LOG_MAX_FILE_DEFAULT;
}

/* logging: {driver, options: {max-size, max-file}}.  stack has one log
 * format (its JSON-lines files, which `stack logs` reads): the drivers that
 * keep a local file are accepted, the others said plainly. */
static void load_logging(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	static const char *const keys[] = {"driver", "options"};
	static const char *const opt_keys[] = {"max-size", "max-file", "compress", "mode", "max-buffer-size"};
	if (!ld_is_map(ld, n, "logging"))
		return;
	sv->logging.set = true;
	ld_check_keys(ld, n, keys, ARRAY_SIZE(keys), "`logging`");
	const struct spec_node *v;
	if ((v = ld_get(n, "driver")) && ld_dup_string(ld, v, "logging.driver", &sv->logging.driver) &&
	    strcmp(sv->logging.driver, "json-file") != 0 && strcmp(sv->logging.driver, "local") != 0) {
		struct diag *d = ld_error(ld, v, "`logging.driver`: `%s` is not supported by stack", sv->logging.driver);
		diag_hint(d, "stack writes JSON-lines files that `stack logs` reads: use json-file or local");
	}
	const struct spec_node *opts = ld_get(n, "options");
	if (!opts || !ld_is_map(ld, opts, "logging.options"))
		return;
	ld_check_keys(ld, opts, opt_keys, ARRAY_SIZE(opt_keys), "`logging.options`");
	char *err = NULL;
	if ((v = ld_get(opts, "max-size")) && ld_is_scalar(ld, v, "logging.options.max-size")) {
		int64_t size;
		if (spec_parse_size(v->scalar, &size, &err) < 0) {
			ld_error(ld, v, "`logging.options.max-size`: %s", err);
			free(err);
		} else if (size < 4096) {
			struct diag *d = ld_error(ld, v, "`logging.options.max-size`: %s is too small", v->scalar);
			diag_hint(d, "give at least 4k (a log line is up to 16 KiB, split beyond)");
		} else {
			sv->logging.max_size = size;
		}
	}
	int64_t files;
	if ((v = ld_get(opts, "max-file")) &&
	    ld_int_hint(ld, v, "logging.options.max-file", 1, 100, "the number of files kept, from 1 to 100", &files))
		sv->logging.max_file = (int)files;
}

static void load_restart(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	const char *s;
	if (!ld_string(ld, n, "restart", &s))
		return;
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0) {
		sv->restart = SPEC_RESTART_NO;
	} else if (strcmp(s, "always") == 0) {
		sv->restart = SPEC_RESTART_ALWAYS;
	} else if (strcmp(s, "unless-stopped") == 0) {
		sv->restart = SPEC_RESTART_UNLESS_STOPPED;
	} else if (strncmp(s, "on-failure", 10) == 0 && (s[10] == '\0' || s[10] == ':')) {
		sv->restart = SPEC_RESTART_ON_FAILURE;
		if (s[10] == ':') {
			const char *num = s + 11;
			char *end = NULL;
			long v = strtol(num, &end, 10);
			if (!isdigit((unsigned char)num[0]) || *end || v < 0 || v > 1000000) {
				ld_error(ld, n, "`restart`: `%s` is not a number of retries in `%s`", num, s);
				return;
			}
			sv->restart_max = (int)v;
		}
	} else {
		struct diag *d = ld_error(ld, n, "`restart`: unknown policy `%s`", s);
		diag_hint(d, "use no, always, on-failure[:N] or unless-stopped");
	}
}

static void load_network_mode(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	const char *s;
	if (!ld_string(ld, n, "network_mode", &s))
		return;
	if (strcmp(s, "bridge") == 0 || strcmp(s, "private") == 0) {
		sv->network_mode = SPEC_NET_PRIVATE;
	} else if (strcmp(s, "none") == 0) {
		sv->network_mode = SPEC_NET_NONE;
	} else if (strcmp(s, "host") == 0) {
		sv->network_mode = SPEC_NET_HOST;
	} else if (strncmp(s, "service:", 8) == 0 && spec_name_valid(s + 8)) {
		/* The target is checked once every service is known (ld_check_networks). */
		sv->network_mode = SPEC_NET_SERVICE;
		sv->network_mode_pos = ld_pos(ld, n);
		free(sv->network_service);
		sv->network_service = xstrdup(s + 8);
	} else {
		_cleanup_free_ char *shown = spec_name_printable(s);
		struct diag *d = ld_error(ld, n, "`network_mode`: `%s` is not supported by stack's runtime", shown);
		diag_hint(d, "use bridge (the stack's networks, the default), host, none or service:NAME");
	}
}

static void load_simple(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	const struct spec_node *v;
	char *err = NULL;
	if ((v = ld_get(map, "command")) && ld_command(ld, v, "command", &sv->command))
		sv->command_set = true;
	if ((v = ld_get(map, "entrypoint")) && ld_command(ld, v, "entrypoint", &sv->entrypoint))
		sv->entrypoint_set = true;
	if ((v = ld_get(map, "working_dir")))
		ld_container_path(ld, v, "working_dir", &sv->working_dir);
	if ((v = ld_get(map, "user")))
		ld_dup_string(ld, v, "user", &sv->user);
	if ((v = ld_get(map, "hostname")) && ld_dup_string(ld, v, "hostname", &sv->hostname) &&
	    !spec_hostname_valid(sv->hostname)) {
		/* It becomes a line of the container's /etc/hosts and /etc/hostname. */
		_cleanup_free_ char *shown = spec_name_printable(v->scalar);
		struct diag *d = ld_error(ld, v, "`hostname`: `%s` is not a valid host name", shown);
		diag_hint(d, "%s", SPEC_HOSTNAME_HINT);
	}
	if ((v = ld_get(map, "network_mode")))
		load_network_mode(ld, sv, v);
	if ((v = ld_get(map, "networks")))
		ld_service_networks(ld, sv, v);
	if ((v = ld_get(map, "read_only")))
		ld_bool(ld, v, "read_only", &sv->read_only);
	if ((v = ld_get(map, "init")))
		ld_bool(ld, v, "init", &sv->init);
	if ((v = ld_get(map, "stop_signal")) && ld_is_scalar(ld, v, "stop_signal") &&
	    spec_parse_signal(v->scalar, &sv->stop_signal, &err) < 0)
		ld_error_take(ld, v, err);
	if ((v = ld_get(map, "stop_grace_period")))
		ld_duration(ld, v, "stop_grace_period", &sv->stop_grace_period);
	if ((v = ld_get(map, "restart")))
		load_restart(ld, sv, v);
	if ((v = ld_get(map, "labels")))
		ld_labels(ld, v, &sv->labels);
	if ((v = ld_get(map, "profiles")))
		ld_string_list(ld, v, "profiles", &sv->profiles);
}

/* The image a service runs: with build:, the image built for it (named by
 * image: or PROJECT-SERVICE); else a stack image, a base, or a registry
 * reference that becomes an implicit pull base. */
static void load_image(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map,
		       const struct spec_node *key)
{
	const struct spec_node *img = ld_get(map, "image"), *build = ld_get(map, "build");
	const char *name = NULL;
	if (img && !ld_string(ld, img, "image", &name))
		return;
	if (build) {
		_cleanup_free_ char *dflt = NULL;
		if (!name) {
			dflt = xasprintf("%s-%s", ld->stack->name, sv->name);
			for (char *p = dflt; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			name = dflt;
		}
		sv->has_build = true;
		sv->image = xstrdup(name);
		ld_service_build(ld, build, sv->name, name);
		return;
	}
	if (!name) {
		struct diag *d = ld_error(ld, key, "service `%s` has neither `image` nor `build`", sv->name);
		diag_hint(d, "add `image: NAME` (a stack image, a base or a registry image) or `build: DIR`");
		return;
	}
	sv->image = xstrdup(name);
}

/* After every service's build: has made its image: a service image: that is
 * not a stack image or base must be a registry reference. */
static void resolve_registry_image(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *img)
{
	struct spec_stack *s = ld->stack;
	if (sv->has_build || !sv->image || spec_find_image(s, sv->image) || spec_find_base(s, sv->image))
		return;
	char *err = NULL, *ref = NULL;
	if (spec_ref_normalize(sv->image, &ref, &err) < 0) {
		struct diag *d = ld_error(ld, img, "`image`: %s", err);
		diag_hint(d, "name an image of `images:`, a base of `bases:`, or a registry image like ubuntu:22.04");
		free(err);
		return;
	}
	struct spec_base *b = spec_add_implicit_base(s, sv->image, ref);
	b->pos = ld_pos(ld, img);
	free(ref);
}

void ld_services(struct spec_loader *ld, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "services"))
		return;
	struct spec_stack *s = ld->stack;
	s->services = xcalloc(n->n_pairs, sizeof(*s->services));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key, *map = n->pairs[i].value;
		struct spec_service *sv = &s->services[s->n_services++];
		sv->name = xstrdup(k->scalar);
		sv->pos = ld_pos(ld, k);
		service_defaults(sv);
		ld_check_name(ld, k, "service");
		_cleanup_free_ char *what = xasprintf("services.%s", sv->name);
		if (!ld_is_map(ld, map, what))
			continue;
		_cleanup_free_ char *where = xasprintf("service `%s`", sv->name);
		ld_check_keys_unsupported(ld, map, service_keys, ARRAY_SIZE(service_keys), unsupported_keys,
					  ARRAY_SIZE(unsupported_keys), where);
		load_image(ld, sv, map, k);
		load_simple(ld, sv, map);
		ld_service_mounts(ld, sv, map);
		ld_service_env(ld, sv, map); /* after mounts: env_file values of a mounted secret are masked */
		ld_service_limits(ld, sv, map);
		ld_service_security(ld, sv, map);
		ld_service_devices(ld, sv, map);
		const struct spec_node *v;
		if ((v = ld_get(map, "healthcheck")))
			ld_healthcheck(ld, sv, v);
		if ((v = ld_get(map, "depends_on")))
			ld_depends_on(ld, sv, v);
		if ((v = ld_get(map, "logging")))
			load_logging(ld, sv, v);
	}
	for (size_t i = 0; i < n->n_pairs && i < s->n_services; i++) {
		const struct spec_node *map = n->pairs[i].value;
		if (map->type == SPEC_NODE_MAP && ld_get(map, "image") && ld_get(map, "image")->type == SPEC_NODE_SCALAR)
			resolve_registry_image(ld, &s->services[i], ld_get(map, "image"));
	}
}
