/* A service's ports, volumes, tmpfs and secrets: short forms expanded to
 * the long form the model holds. */
#include "spec/load_internal.h"
#include "spec/units.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const port_keys[] = {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"};
static const char *const volume_keys[] = {"type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"};
static const char *const bind_keys[] = {"create_host_path", "propagation", "selinux"};
static const char *const tmpfs_keys[] = {"size", "mode"};
static const char *const vol_opt_keys[] = {"nocopy", "subpath"};
static const char *const secret_ref_keys[] = {"source", "target", "uid", "gid", "mode"};

/* File modes are octal however YAML typed them: 0440, 440, 0o440. */
static bool octal_mode(const char *s, uint32_t *out)
{
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 8);
	if (!s[0] || *end || errno || v > 07777)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_mode(struct spec_loader *ld, const struct spec_node *n, const char *what, uint32_t *out)
{
	if (!ld_is_scalar(ld, n, what))
		return false;
	if (!octal_mode(n->scalar, out)) {
		ld_error(ld, n, "`%s`: expected an octal file mode like 0440, got `%s`", what, n->scalar);
		return false;
	}
	return true;
}

static void load_port_long(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	ld_check_keys(ld, n, port_keys, ARRAY_SIZE(port_keys), "a port");
	struct spec_port p = {.protocol = SPEC_PROTO_TCP};
	const struct spec_node *v;
	char *err = NULL;
	if (!(v = ld_get(n, "target"))) {
		ld_error(ld, n, "port without `target` (the container's port)");
		return;
	}
	if (!ld_is_scalar(ld, v, "target"))
		return;
	if (spec_parse_port_number(v->scalar, &p.target, &err) < 0) {
		ld_error_take(ld, v, err);
		return;
	}
	if ((v = ld_get(n, "published"))) {
		if (!ld_is_scalar(ld, v, "published"))
			return;
		if (spec_parse_port_number(v->scalar, &p.published, &err) < 0) {
			ld_error_take(ld, v, err);
			return;
		}
	}
	if ((v = ld_get(n, "protocol")) && ld_is_scalar(ld, v, "protocol")) {
		if (strcmp(v->scalar, "udp") == 0) {
			p.protocol = SPEC_PROTO_UDP;
		} else if (strcmp(v->scalar, "tcp") != 0) {
			ld_error(ld, v, "`protocol`: expected tcp or udp, got `%s`", v->scalar);
			return;
		}
	}
	if ((v = ld_get(n, "mode")) && ld_is_scalar(ld, v, "mode") && strcmp(v->scalar, "host") != 0 &&
	    strcmp(v->scalar, "ingress") != 0)
		ld_error(ld, v, "`mode`: expected host or ingress, got `%s`", v->scalar);
	if ((v = ld_get(n, "host_ip")) && !ld_dup_string(ld, v, "host_ip", &p.host_ip))
		return;
	sv->ports = xrealloc(sv->ports, (sv->n_ports + 1) * sizeof(*sv->ports));
	sv->ports[sv->n_ports++] = p;
}

static void load_ports(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (!ld_is_seq(ld, n, "ports"))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct spec_node *it = n->items[i];
		char *err = NULL;
		if (it->type == SPEC_NODE_MAP) {
			load_port_long(ld, sv, it);
		} else if (ld_is_scalar(ld, it, "ports") && spec_parse_ports(it->scalar, &sv->ports, &sv->n_ports, &err) < 0) {
			struct diag *d = ld_error(ld, it, "`ports`: %s", err ? err : "invalid port");
			diag_hint(d, "use [IP:][HOST:]CONTAINER[/udp], e.g. \"8080:80\"");
			free(err);
		}
	}
}

static struct spec_mount *add_mount(struct spec_service *sv)
{
	sv->mounts = xrealloc(sv->mounts, (sv->n_mounts + 1) * sizeof(*sv->mounts));
	struct spec_mount *m = &sv->mounts[sv->n_mounts++];
	memset(m, 0, sizeof(*m));
	return m;
}

static bool is_host_path(const char *s) { return s[0] == '.' || s[0] == '/' || s[0] == '~'; }

static bool check_volume(struct spec_loader *ld, const struct spec_node *n, const char *name)
{
	if (strv_contains(&ld->stack->volumes, name))
		return true;
	struct diag *d = ld_error(ld, n, "volume `%s` is not declared in the top-level `volumes:`", name);
	diag_hint(d, "add `volumes: {%s: {}}` at the top level, or write ./%s for a directory beside the stack file",
		  name, name);
	return false;
}

static void load_volume_short(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	_cleanup_free_ char *copy = xstrdup(n->scalar);
	char *parts[4] = {0};
	size_t np = 0;
	/* Split on ':' keeping empty fields, so "a::b" is an error, not "a:b". */
	for (char *p = copy; np < 4; np++) {
		parts[np] = p;
		char *c = strchr(p, ':');
		if (!c) {
			np++;
			break;
		}
		*c = '\0';
		p = c + 1;
	}
	if (np < 2 || np > 3 || !parts[0][0] || !parts[1][0]) {
		struct diag *d = ld_error(ld, n, "`volumes`: `%s` is not SOURCE:TARGET[:OPTIONS]", n->scalar);
		if (np == 1)
			diag_hint(d, "anonymous volumes are not supported: name one (data:%s) and declare it in the top-level `volumes:`",
				  n->scalar);
		else
			diag_hint(d, "e.g. ./data:/var/lib/data:ro or a named volume data:/var/lib/data");
		return;
	}
	bool bind = is_host_path(parts[0]);
	if (!bind && !check_volume(ld, n, parts[0]))
		return;
	if (parts[1][0] != '/') {
		ld_error(ld, n, "`volumes`: target `%s` is not an absolute path in the container", parts[1]);
		return;
	}
	struct spec_mount *m = add_mount(sv);
	if (bind) {
		m->type = SPEC_MOUNT_BIND;
		m->source = ld_abs_path(ld, parts[0]);
		m->create_host_path = true; /* what docker does for the short syntax */
	} else {
		m->type = SPEC_MOUNT_VOLUME;
		m->source = xstrdup(parts[0]);
	}
	m->target = fs_path_join_clean("/", parts[1]);
	if (np == 3) {
		char *osave = NULL;
		for (char *o = strtok_r(parts[2], ",", &osave); o; o = strtok_r(NULL, ",", &osave)) {
			if (strcmp(o, "ro") == 0) {
				m->read_only = true;
			} else if (strcmp(o, "rw") == 0 || strcmp(o, "z") == 0 || strcmp(o, "Z") == 0 ||
				   strcmp(o, "nocopy") == 0 || strcmp(o, "cached") == 0 || strcmp(o, "delegated") == 0 ||
				   strcmp(o, "consistent") == 0) {
				/* SELinux relabels and macOS cache modes have no meaning here. */
			} else {
				struct diag *d = ld_error(ld, n, "`volumes`: unknown option `%s` in `%s`", o, n->scalar);
				diag_hint(d, "use ro or rw");
			}
		}
	}
}

static void load_tmpfs_opts(struct spec_loader *ld, struct spec_mount *m, const struct spec_node *n)
{
	ld_check_keys(ld, n, tmpfs_keys, ARRAY_SIZE(tmpfs_keys), "tmpfs options");
	const struct spec_node *v;
	int64_t size;
	if ((v = ld_get(n, "size")) && ld_size(ld, v, "tmpfs.size", &size))
		m->tmpfs_size = (uint64_t)size;
	if ((v = ld_get(n, "mode")))
		parse_mode(ld, v, "tmpfs.mode", &m->tmpfs_mode);
}

static void load_volume_long(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	ld_check_keys(ld, n, volume_keys, ARRAY_SIZE(volume_keys), "a volume");
	const struct spec_node *v = ld_get(n, "type");
	const char *type = NULL;
	if (!v) {
		struct diag *d = ld_error(ld, n, "volume without `type`");
		diag_hint(d, "add type: bind, volume or tmpfs");
		return;
	}
	if (!ld_string(ld, v, "type", &type))
		return;
	struct spec_mount m = {0};
	if (strcmp(type, "bind") == 0) {
		m.type = SPEC_MOUNT_BIND;
	} else if (strcmp(type, "volume") == 0) {
		m.type = SPEC_MOUNT_VOLUME;
	} else if (strcmp(type, "tmpfs") == 0) {
		m.type = SPEC_MOUNT_TMPFS;
	} else {
		struct diag *d = ld_error(ld, v, "`type`: `%s` is not supported by stack's runtime", type);
		diag_hint(d, "use bind, volume or tmpfs");
		return;
	}
	const struct spec_node *src = ld_get(n, "source");
	const char *s = NULL;
	if (m.type == SPEC_MOUNT_TMPFS) {
		if (src)
			ld_error(ld, src, "a tmpfs mount has no `source`");
	} else if (!src) {
		ld_error(ld, n, "%s mount without `source`", type);
	} else if (ld_string(ld, src, "source", &s)) {
		if (m.type == SPEC_MOUNT_BIND)
			m.source = ld_abs_path(ld, s);
		else if (check_volume(ld, src, s))
			m.source = xstrdup(s);
	}
	if (!(v = ld_get(n, "target")))
		ld_error(ld, n, "volume without `target` (the path in the container)");
	else
		ld_container_path(ld, v, "target", &m.target);
	if ((v = ld_get(n, "read_only")))
		ld_bool(ld, v, "read_only", &m.read_only);
	if ((v = ld_get(n, "bind")) && ld_is_map(ld, v, "bind")) {
		ld_check_keys(ld, v, bind_keys, ARRAY_SIZE(bind_keys), "bind options");
		const struct spec_node *c = ld_get(v, "create_host_path");
		if (c)
			ld_bool(ld, c, "bind.create_host_path", &m.create_host_path);
		if (m.type != SPEC_MOUNT_BIND)
			ld_error(ld, ld_key(n, "bind"), "`bind` options on a %s mount", type);
	}
	if ((v = ld_get(n, "volume")) && ld_is_map(ld, v, "volume"))
		ld_check_keys(ld, v, vol_opt_keys, ARRAY_SIZE(vol_opt_keys), "volume options");
	if ((v = ld_get(n, "tmpfs")) && ld_is_map(ld, v, "tmpfs")) {
		load_tmpfs_opts(ld, &m, v);
		if (m.type != SPEC_MOUNT_TMPFS)
			ld_error(ld, ld_key(n, "tmpfs"), "`tmpfs` options on a %s mount", type);
	}
	if (!m.target || (m.type != SPEC_MOUNT_TMPFS && !m.source)) {
		free(m.source);
		free(m.target);
		return;
	}
	*add_mount(sv) = m;
}

static void load_volumes(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (!ld_is_seq(ld, n, "volumes"))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct spec_node *it = n->items[i];
		if (it->type == SPEC_NODE_MAP)
			load_volume_long(ld, sv, it);
		else if (ld_is_scalar(ld, it, "volumes"))
			load_volume_short(ld, sv, it);
	}
}

/* "PATH[:size=N,mode=M,ro]" */
static void load_tmpfs_item(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	const char *s;
	if (!ld_string(ld, n, "tmpfs", &s))
		return;
	const char *colon = strchr(s, ':');
	_cleanup_free_ char *path = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
	if (path[0] != '/') {
		ld_error(ld, n, "`tmpfs`: `%s` is not an absolute path in the container", path);
		return;
	}
	struct spec_mount m = {.type = SPEC_MOUNT_TMPFS, .target = fs_path_join_clean("/", path)};
	if (colon) {
		_cleanup_free_ char *opts = xstrdup(colon + 1);
		char *save = NULL;
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			char *err = NULL;
			int64_t size;
			if (strncmp(o, "size=", 5) == 0) {
				if (spec_parse_size(o + 5, &size, &err) < 0)
					ld_error_take(ld, n, err);
				else
					m.tmpfs_size = (uint64_t)size;
			} else if (strncmp(o, "mode=", 5) == 0) {
				if (!octal_mode(o + 5, &m.tmpfs_mode))
					ld_error(ld, n, "`tmpfs`: bad mode `%s` (octal, e.g. 1777)", o + 5);
			} else if (strcmp(o, "ro") == 0) {
				m.read_only = true;
			} else if (strcmp(o, "rw") != 0) {
				struct diag *d = ld_error(ld, n, "`tmpfs`: unknown option `%s`", o);
				diag_hint(d, "use size=SIZE, mode=OCTAL, ro or rw");
			}
		}
	}
	*add_mount(sv) = m;
}

static void load_secret_refs(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (!ld_is_seq(ld, n, "secrets"))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct spec_node *it = n->items[i], *src = it, *v;
		struct spec_secret_ref r = {.uid = -1, .gid = -1, .mode = 0444};
		const char *target = NULL;
		if (it->type == SPEC_NODE_MAP) {
			ld_check_keys(ld, it, secret_ref_keys, ARRAY_SIZE(secret_ref_keys), "a secret reference");
			if (!(src = ld_get(it, "source"))) {
				ld_error(ld, it, "secret reference without `source`");
				continue;
			}
			if ((v = ld_get(it, "target")) && !ld_string(ld, v, "target", &target))
				continue;
			if ((v = ld_get(it, "uid")))
				ld_int(ld, v, "uid", 0, UINT32_MAX - 1, &r.uid);
			if ((v = ld_get(it, "gid")))
				ld_int(ld, v, "gid", 0, UINT32_MAX - 1, &r.gid);
			if ((v = ld_get(it, "mode")))
				parse_mode(ld, v, "mode", &r.mode);
		}
		const char *name;
		if (!ld_string(ld, src, "secrets", &name))
			continue;
		if (!spec_find_secret(ld->stack, name)) {
			struct diag *d = ld_error(ld, src, "secret `%s` is not defined in the top-level `secrets:`", name);
			const char **names = xcalloc(ld->stack->n_secrets, sizeof(*names));
			for (size_t j = 0; j < ld->stack->n_secrets; j++)
				names[j] = ld->stack->secrets[j].name;
			const char *sug = ld->stack->n_secrets
						  ? spec_suggest(name, (const char *const *)names, ld->stack->n_secrets)
						  : NULL;
			if (sug)
				diag_hint(d, "did you mean `%s`?", sug);
			else
				diag_hint(d, "add `secrets: {%s: {file: ./PATH}}` at the top level", name);
			free(names);
			continue;
		}
		r.source = xstrdup(name);
		if (!target)
			target = name;
		r.target = fs_path_join_clean("/run/secrets", target); /* relative: under /run/secrets */
		sv->secrets = xrealloc(sv->secrets, (sv->n_secrets + 1) * sizeof(*sv->secrets));
		sv->secrets[sv->n_secrets++] = r;
	}
}

/* Two mounts on one path: docker refuses ("Duplicate mount point"), so do we,
 * pointing at the service. */
static void check_duplicate_targets(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	for (size_t i = 0; i < sv->n_mounts + sv->n_secrets; i++) {
		const char *a = i < sv->n_mounts ? sv->mounts[i].target : sv->secrets[i - sv->n_mounts].target;
		for (size_t j = 0; j < i; j++) {
			const char *b = j < sv->n_mounts ? sv->mounts[j].target : sv->secrets[j - sv->n_mounts].target;
			if (strcmp(a, b) == 0) {
				const struct spec_node *at = ld_key(map, i < sv->n_mounts ? "volumes" : "secrets");
				struct diag *d = ld_error(ld, at ? at : map, "service `%s` mounts two things at `%s`", sv->name, a);
				diag_hint(d, "give each volume, tmpfs and secret its own target path");
				break;
			}
		}
	}
}

void ld_service_mounts(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	const struct spec_node *v;
	if ((v = ld_get(map, "ports")))
		load_ports(ld, sv, v);
	if ((v = ld_get(map, "volumes")))
		load_volumes(ld, sv, v);
	if ((v = ld_get(map, "tmpfs"))) {
		if (v->type == SPEC_NODE_SEQ) {
			for (size_t i = 0; i < v->n_items; i++)
				load_tmpfs_item(ld, sv, v->items[i]);
		} else if (ld_is_scalar(ld, v, "tmpfs")) {
			load_tmpfs_item(ld, sv, v);
		}
	}
	if ((v = ld_get(map, "secrets")))
		load_secret_refs(ld, sv, v);
	check_duplicate_targets(ld, sv, map);
}
