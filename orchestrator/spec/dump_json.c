/* The model → a jansson tree in the normalized long form. */
#include "spec/dump_internal.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MASK "********"

char *spec_format_duration(int64_t ns)
{
	if (ns == 0)
		return xstrdup("0s");
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
	if (u < 1000)
		return xasprintf("%s%" PRIu64 "ns", sign, u);
	if (u < 1000000 && u % 1000 == 0)
		return xasprintf("%s%" PRIu64 "us", sign, u / 1000);
	if (u < 1000000000 && u % 1000000 == 0)
		return xasprintf("%s%" PRIu64 "ms", sign, u / 1000000);
	uint64_t secs = u / 1000000000, frac = u % 1000000000;
	uint64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
	char buf[96];
	size_t o = (size_t)snprintf(buf, sizeof(buf), "%s", sign);
	if (h)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%" PRIu64 "h", h);
	if (m)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%" PRIu64 "m", m);
	if (frac) {
		char f[16];
		snprintf(f, sizeof(f), "%09" PRIu64, frac);
		for (size_t i = strlen(f); i > 0 && f[i - 1] == '0'; i--)
			f[i - 1] = '\0';
		snprintf(buf + o, sizeof(buf) - o, "%" PRIu64 ".%ss", s, f);
	} else if (s || o == strlen(sign)) {
		snprintf(buf + o, sizeof(buf) - o, "%" PRIu64 "s", s);
	}
	return xstrdup(buf);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static void set_dur(json_t *o, const char *k, int64_t ns)
{
	char *s = spec_format_duration(ns);
	json_object_set_new(o, k, json_string(s));
	free(s);
}

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static void set_strv(json_t *o, const char *k, const struct strv *sv)
{
	if (sv->n)
		json_object_set_new(o, k, strv_json(sv));
}

static void set_kv(json_t *o, const char *k, const struct spec_kvlist *l)
{
	if (!l->n)
		return;
	json_t *m = json_object();
	for (size_t i = 0; i < l->n; i++) {
		const struct spec_kv *kv = &l->v[i];
		json_object_set_new(m, kv->key,
				    kv->secret ? json_string(MASK) : kv->value ? json_string(kv->value) : json_null());
	}
	json_object_set_new(o, k, m);
}

static json_t *base_json(const struct spec_base *b)
{
	json_t *o = json_object();
	switch (b->kind) {
	case SPEC_BASE_PULL:
		set_str(o, "pull", b->ref);
		if (b->insecure)
			json_object_set_new(o, "insecure", json_true());
		break;
	case SPEC_BASE_ROOTFS:
		set_str(o, "rootfs", b->path);
		break;
	case SPEC_BASE_OCI:
		set_str(o, "oci", b->path);
		break;
	case SPEC_BASE_DEBOOTSTRAP: {
		json_t *d = json_object();
		set_str(d, "suite", b->debootstrap.suite);
		set_str(d, "variant", b->debootstrap.variant);
		set_str(d, "mirror", b->debootstrap.mirror);
		set_strv(d, "include", &b->debootstrap.include);
		json_object_set_new(o, "debootstrap", d);
		break;
	}
	}
	return o;
}

static json_t *image_json(const struct spec_image *im)
{
	json_t *o = json_object();
	set_str(o, "context", im->context);
	set_str(o, "dockerfile", im->dockerfile);
	set_str(o, "dockerfile_inline", im->dockerfile_inline);
	set_kv(o, "args", &im->args);
	set_str(o, "target", im->target);
	set_kv(o, "labels", &im->labels);
	set_str(o, "network", im->network_none ? "none" : NULL);
	if (im->host_apt)
		json_object_set_new(o, "host_apt", json_true());
	return o;
}

static json_t *port_json(const struct spec_port *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "target", json_integer(p->target));
	if (p->published)
		json_object_set_new(o, "published", json_integer(p->published));
	set_str(o, "host_ip", p->host_ip);
	json_object_set_new(o, "protocol", json_string(p->protocol == SPEC_PROTO_UDP ? "udp" : "tcp"));
	return o;
}

static json_t *mount_json(const struct spec_mount *m)
{
	static const char *const types[] = {"bind", "volume", "tmpfs"};
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(types[m->type]));
	set_str(o, "source", m->source);
	set_str(o, "target", m->target);
	json_object_set_new(o, "read_only", json_boolean(m->read_only));
	if (m->type == SPEC_MOUNT_BIND) {
		json_t *b = json_object();
		json_object_set_new(b, "create_host_path", json_boolean(m->create_host_path));
		json_object_set_new(o, "bind", b);
	} else if (m->type == SPEC_MOUNT_TMPFS && (m->tmpfs_size || m->tmpfs_mode)) {
		json_t *t = json_object();
		if (m->tmpfs_size)
			json_object_set_new(t, "size", json_integer((json_int_t)m->tmpfs_size));
		if (m->tmpfs_mode)
			json_object_set_new(t, "mode", json_sprintf("0%o", m->tmpfs_mode));
		json_object_set_new(o, "tmpfs", t);
	}
	return o;
}

static json_t *secret_ref_json(const struct spec_secret_ref *r)
{
	json_t *o = json_object();
	set_str(o, "source", r->source);
	set_str(o, "target", r->target);
	if (r->uid >= 0)
		json_object_set_new(o, "uid", json_integer(r->uid));
	if (r->gid >= 0)
		json_object_set_new(o, "gid", json_integer(r->gid));
	json_object_set_new(o, "mode", json_sprintf("0%o", r->mode));
	return o;
}

static json_t *health_json(const struct spec_health *h)
{
	json_t *o = json_object();
	json_t *t;
	switch (h->kind) {
	case SPEC_HEALTH_INHERIT:
		break;
	case SPEC_HEALTH_NONE:
		json_object_set_new(o, "disable", json_true());
		return o;
	case SPEC_HEALTH_CMD:
	case SPEC_HEALTH_SHELL:
		t = json_array();
		json_array_append_new(t, json_string(h->kind == SPEC_HEALTH_CMD ? "CMD" : "CMD-SHELL"));
		for (size_t i = 0; i < h->test.n; i++)
			json_array_append_new(t, json_string(h->test.v[i]));
		json_object_set_new(o, "test", t);
		break;
	case SPEC_HEALTH_TCP:
		json_object_set_new(o, "tcp", json_pack("{s:i}", "port", (int)h->port));
		break;
	case SPEC_HEALTH_HTTP:
		t = json_pack("{s:i, s:s}", "port", (int)h->port, "path", h->path ? h->path : "/");
		if (h->status)
			json_object_set_new(t, "status", json_integer(h->status));
		json_object_set_new(o, "http", t);
		break;
	}
	set_dur(o, "interval", h->interval);
	set_dur(o, "timeout", h->timeout);
	json_object_set_new(o, "retries", json_integer(h->retries));
	set_dur(o, "start_period", h->start_period);
	set_dur(o, "start_interval", h->start_interval);
	return o;
}

static const char *restart_text(const struct spec_service *sv, char *buf, size_t n)
{
	switch (sv->restart) {
	case SPEC_RESTART_ALWAYS:
		return "always";
	case SPEC_RESTART_UNLESS_STOPPED:
		return "unless-stopped";
	case SPEC_RESTART_ON_FAILURE:
		if (!sv->restart_max)
			return "on-failure";
		snprintf(buf, n, "on-failure:%d", sv->restart_max);
		return buf;
	case SPEC_RESTART_NO:
		break;
	}
	return "no";
}

static json_t *signal_json(int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	if (!abbrev)
		return json_integer(sig);
	char buf[32];
	snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	return json_string(buf);
}

static void service_run_keys(json_t *o, const struct spec_stack *s, const struct spec_service *sv)
{
	static const char *const net[] = {"bridge", "none", "host", "service"};
	if (sv->command_set)
		json_object_set_new(o, "command", strv_json(&sv->command));
	if (sv->entrypoint_set)
		json_object_set_new(o, "entrypoint", strv_json(&sv->entrypoint));
	set_kv(o, "environment", &sv->environment);
	set_strv(o, "env_file", &sv->env_file);
	set_str(o, "working_dir", sv->working_dir);
	set_str(o, "user", sv->user);
	set_str(o, "hostname", sv->hostname);
	if (sv->network_mode == SPEC_NET_SERVICE)
		json_object_set_new(o, "network_mode", json_sprintf("service:%s", sv->network_service));
	else
		json_object_set_new(o, "network_mode", json_string(net[sv->network_mode]));
	/* The implicit `default` alone is left unsaid, as the file did. */
	const struct spec_network *only = sv->n_networks == 1 ? spec_find_network(s, sv->networks[0].network) : NULL;
	bool implicit = only && only->implicit && !sv->networks[0].aliases.n;
	if (sv->n_networks && !implicit) {
		json_t *nets = json_object();
		for (size_t i = 0; i < sv->n_networks; i++) {
			const struct spec_net_attach *at = &sv->networks[i];
			json_t *e = json_null();
			if (at->aliases.n) {
				e = json_object();
				set_strv(e, "aliases", &at->aliases);
			}
			json_object_set_new(nets, at->network, e);
		}
		json_object_set_new(o, "networks", nets);
	}
	if (sv->n_ports) {
		json_t *a = json_array();
		for (size_t i = 0; i < sv->n_ports; i++)
			json_array_append_new(a, port_json(&sv->ports[i]));
		json_object_set_new(o, "ports", a);
	}
	if (sv->n_mounts) {
		json_t *a = json_array();
		for (size_t i = 0; i < sv->n_mounts; i++)
			json_array_append_new(a, mount_json(&sv->mounts[i]));
		json_object_set_new(o, "volumes", a);
	}
	if (sv->n_secrets) {
		json_t *a = json_array();
		for (size_t i = 0; i < sv->n_secrets; i++)
			json_array_append_new(a, secret_ref_json(&sv->secrets[i]));
		json_object_set_new(o, "secrets", a);
	}
	if (sv->n_devices) {
		/* The short form with every field, which loads back the same. */
		json_t *a = json_array();
		for (size_t i = 0; i < sv->n_devices; i++)
			json_array_append_new(a, json_sprintf("%s:%s:%s", sv->devices[i].source, sv->devices[i].target,
							      sv->devices[i].permissions));
		json_object_set_new(o, "devices", a);
	}
	json_object_set_new(o, "read_only", json_boolean(sv->read_only));
}

static void service_limit_keys(json_t *o, const struct spec_service *sv)
{
	set_strv(o, "cap_add", &sv->cap_add);
	set_strv(o, "cap_drop", &sv->cap_drop);
	if (sv->pids_limit)
		json_object_set_new(o, "pids_limit", json_integer(sv->pids_limit));
	if (sv->mem_limit)
		json_object_set_new(o, "mem_limit", json_integer(sv->mem_limit));
	if (sv->memswap_limit)
		json_object_set_new(o, "memswap_limit", json_integer(sv->memswap_limit));
	if (sv->cpu_shares)
		json_object_set_new(o, "cpu_shares", json_integer((json_int_t)sv->cpu_shares));
	if (sv->nano_cpus)
		json_object_set_new(o, "cpus", json_real((double)sv->nano_cpus / 1e9));
	json_t *sec = json_array();
	json_array_append_new(sec, json_string(sv->no_new_privileges ? "no-new-privileges:true"
								      : "no-new-privileges:false"));
	if (sv->seccomp == SPEC_SECCOMP_UNCONFINED)
		json_array_append_new(sec, json_string("seccomp=unconfined"));
	else if (sv->seccomp == SPEC_SECCOMP_PROFILE)
		json_array_append_new(sec, json_sprintf("seccomp=%s", sv->seccomp_profile));
	json_object_set_new(o, "security_opt", sec);
	if (sv->n_ulimits) {
		json_t *u = json_object();
		for (size_t i = 0; i < sv->n_ulimits; i++)
			json_object_set_new(u, sv->ulimits[i].name,
					    json_pack("{s:I, s:I}", "soft", (json_int_t)sv->ulimits[i].soft, "hard",
						      (json_int_t)sv->ulimits[i].hard));
		json_object_set_new(o, "ulimits", u);
	}
}

static json_t *service_json(const struct spec_stack *s, const struct spec_service *sv)
{
	static const char *const conds[] = {"service_started", "service_healthy", "service_completed_successfully"};
	json_t *o = json_object();
	set_str(o, "image", sv->image);
	if (sv->has_build) {
		const struct spec_image *im = spec_find_image(s, sv->image);
		if (im)
			json_object_set_new(o, "build", image_json(im));
	}
	service_run_keys(o, s, sv);
	service_limit_keys(o, sv);
	json_object_set_new(o, "init", json_boolean(sv->init));
	json_object_set_new(o, "stop_signal", signal_json(sv->stop_signal));
	set_dur(o, "stop_grace_period", sv->stop_grace_period);
	char buf[32];
	json_object_set_new(o, "restart", json_string(restart_text(sv, buf, sizeof(buf))));
	if (sv->n_depends_on) {
		json_t *d = json_object();
		for (size_t i = 0; i < sv->n_depends_on; i++) {
			const struct spec_depends *dep = &sv->depends_on[i];
			json_object_set_new(d, dep->service,
					    json_pack("{s:s, s:b, s:b}", "condition", conds[dep->condition], "restart",
						      dep->restart, "required", dep->required));
		}
		json_object_set_new(o, "depends_on", d);
	}
	if (sv->health.kind != SPEC_HEALTH_INHERIT)
		json_object_set_new(o, "healthcheck", health_json(&sv->health));
	if (sv->logging.set) {
		json_t *lg = json_object();
		set_str(lg, "driver", sv->logging.driver ? sv->logging.driver : "json-file");
		json_object_set_new(lg, "options", json_pack("{s:I, s:i}", "max-size", (json_int_t)sv->logging.max_size,
								   "max-file", sv->logging.max_file));
		json_object_set_new(o, "logging", lg);
	}
	set_kv(o, "labels", &sv->labels);
	set_strv(o, "profiles", &sv->profiles);
	return o;
}

json_t *spec_dump_tree(const struct spec_stack *s)
{
	json_t *root = json_object();
	set_str(root, "name", s->name);
	if (s->n_bases) {
		json_t *o = json_object();
		for (size_t i = 0; i < s->n_bases; i++)
			json_object_set_new(o, s->bases[i].name, base_json(&s->bases[i]));
		json_object_set_new(root, "bases", o);
	}
	json_t *imgs = json_object();
	for (size_t i = 0; i < s->n_images; i++)
		if (!s->images[i].service) /* built for a service: shown as its build: */
			json_object_set_new(imgs, s->images[i].name, image_json(&s->images[i]));
	if (json_object_size(imgs))
		json_object_set_new(root, "images", imgs);
	else
		json_decref(imgs);
	if (s->n_secrets) {
		json_t *o = json_object();
		for (size_t i = 0; i < s->n_secrets; i++) {
			const struct spec_secret *sec = &s->secrets[i];
			json_t *e = json_object();
			/* A file's path or a variable's name; never the value itself. */
			set_str(e, "file", sec->file);
			set_str(e, "environment", sec->environment);
			json_object_set_new(o, sec->name, e);
		}
		json_object_set_new(root, "secrets", o);
	}
	if (s->n_networks) {
		json_t *o = json_object();
		for (size_t i = 0; i < s->n_networks; i++) {
			const struct spec_network *net = &s->networks[i];
			if (net->implicit)
				continue;
			json_t *e = json_object();
			if (net->subnet)
				json_object_set_new(e, "ipam", json_pack("{s:[{s:s}]}", "config", "subnet", net->subnet));
			json_object_set_new(o, net->name, e);
		}
		if (json_object_size(o))
			json_object_set_new(root, "networks", o);
		else
			json_decref(o);
	}
	if (s->volumes.n) {
		json_t *o = json_object();
		for (size_t i = 0; i < s->volumes.n; i++)
			json_object_set_new(o, s->volumes.v[i], json_object());
		json_object_set_new(root, "volumes", o);
	}
	json_t *svcs = json_object();
	for (size_t i = 0; i < s->n_services; i++)
		json_object_set_new(svcs, s->services[i].name, service_json(s, &s->services[i]));
	json_object_set_new(root, "services", svcs);
	return root;
}
