/* A service's devices: host device nodes passed through to the container,
 * compose's short form HOST[:CONTAINER][:PERMISSIONS] (as docker run
 * --device: a second field that is all r/w/m is the permissions) and its
 * long form {source, target, permissions}.
 *
 * Only the shape is checked here: that the host path is a device node is
 * a property of the machine the service runs on, so the runtime checks it
 * when the container starts.  The container path must be below /dev: the
 * container's root and every other mount are nodev, so a device node
 * anywhere else would not open. */
#include "spec/load_internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <string.h>

static const char *const device_keys[] = {"source", "target", "permissions"};

/* Some of r, w, m, each at most once (docker's validDeviceMode), in the
 * order rwm. */
static char *parse_permissions(const char *s)
{
	bool r = false, w = false, m = false;
	if (!s[0] || strlen(s) > 3)
		return NULL;
	for (const char *p = s; *p; p++) {
		bool *bit = *p == 'r' ? &r : *p == 'w' ? &w : *p == 'm' ? &m : NULL;
		if (!bit || *bit)
			return NULL;
		*bit = true;
	}
	return xasprintf("%s%s%s", r ? "r" : "", w ? "w" : "", m ? "m" : "");
}

static bool below_dev(const char *t)
{
	return strncmp(t, "/dev/", 5) == 0 && t[5];
}

/* /dev/pts, /dev/shm and /dev/mqueue have file systems of their own (and
 * shm and mqueue are nodev): the one of them t is in, or NULL. */
static const char *own_fs(const char *t)
{
	static const char *const dirs[] = {"/dev/pts", "/dev/shm", "/dev/mqueue"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		size_t n = strlen(dirs[i]);
		if (strncmp(t, dirs[i], n) == 0 && (t[n] == '\0' || t[n] == '/'))
			return dirs[i];
	}
	return NULL;
}

/* Check one device and add it; n is the node to report at. */
static void add_device(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n, const char *src,
		       const char *dst, const char *perms)
{
	if (strchr(src, '=') && src[0] != '/') {
		struct diag *d = ld_error(ld, n, "`devices`: `%s` is a CDI device name; stack has no CDI support", src);
		diag_hint(d, "name the host's device node, e.g. /dev/dri/renderD128");
		return;
	}
	if (src[0] != '/') {
		struct diag *d = ld_error(ld, n, "`devices`: host path `%s` is not absolute", src);
		diag_hint(d, "name a device node of the host, e.g. /dev/ttyUSB0");
		return;
	}
	_cleanup_free_ char *target = fs_path_join_clean("/", dst ? dst : src);
	if ((dst && dst[0] != '/') || !below_dev(target)) {
		struct diag *d = ld_error(ld, n, "`devices`: container path `%s` is not below /dev", dst ? dst : src);
		diag_hint(d, "every other file system of the container is nodev: use a path like /dev/NAME");
		return;
	}
	if (own_fs(target)) {
		struct diag *d = ld_error(ld, n, "`devices`: container path `%s` is in %s, which has a file system of "
					  "its own", target, own_fs(target));
		diag_hint(d, "use a path like /dev/NAME");
		return;
	}
	_cleanup_free_ char *p = parse_permissions(perms ? perms : "rwm");
	if (!p) {
		struct diag *d = ld_error(ld, n, "`devices`: invalid permissions `%s`", perms);
		diag_hint(d, "use some of r (read), w (write) and m (mknod), e.g. rw or rwm");
		return;
	}
	for (size_t i = 0; i < sv->n_devices; i++)
		if (strcmp(sv->devices[i].target, target) == 0) {
			ld_error(ld, n, "`devices`: `%s` is the container path of `%s` already", target,
				 sv->devices[i].source);
			return;
		}
	sv->devices = xrealloc(sv->devices, (sv->n_devices + 1) * sizeof(*sv->devices));
	sv->devices[sv->n_devices++] = (struct spec_device){
		.source = fs_path_join_clean("/", src),
		.target = steal_pointer(&target),
		.permissions = steal_pointer(&p),
	};
}

static bool all_perm_letters(const char *s)
{
	return s[0] && strspn(s, "rwm") == strlen(s);
}

static void load_short(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	_cleanup_free_ char *copy = xstrdup(n->scalar);
	char *f[3] = {copy, NULL, NULL};
	size_t nf = 1;
	for (char *c = copy; (c = strchr(c, ':'));) {
		*c++ = '\0';
		if (nf == 3) {
			nf++;
			break;
		}
		f[nf++] = c;
	}
	if (nf > 3 || !f[0][0] || (nf >= 2 && !f[1][0]) || (nf == 3 && !f[2][0])) {
		struct diag *d = ld_error(ld, n, "`devices`: `%s` is not HOST[:CONTAINER][:PERMISSIONS]", n->scalar);
		diag_hint(d, "e.g. /dev/ttyUSB0:/dev/ttyUSB0:rw");
		return;
	}
	if (nf == 2 && all_perm_letters(f[1]))
		add_device(ld, sv, n, f[0], NULL, f[1]);
	else
		add_device(ld, sv, n, f[0], f[1], f[2]);
}

static void load_long(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	ld_check_keys(ld, n, device_keys, ARRAY_SIZE(device_keys), "a device");
	const struct spec_node *v;
	const char *src = NULL, *dst = NULL, *perms = NULL;
	if (!(v = ld_get(n, "source"))) {
		struct diag *d = ld_error(ld, n, "device without `source` (the host's device node)");
		diag_hint(d, "add source: /dev/NAME");
		return;
	}
	if (!ld_string(ld, v, "devices.source", &src))
		return;
	if ((v = ld_get(n, "target")) && !ld_string(ld, v, "devices.target", &dst))
		return;
	if ((v = ld_get(n, "permissions")) && !ld_string(ld, v, "devices.permissions", &perms))
		return;
	add_device(ld, sv, n, src, dst, perms);
}

void ld_service_devices(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	const struct spec_node *n = ld_get(map, "devices");
	if (!n || !ld_is_seq(ld, n, "devices"))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct spec_node *it = n->items[i];
		if (it->type == SPEC_NODE_MAP)
			load_long(ld, sv, it);
		else if (ld_is_scalar(ld, it, "devices"))
			load_short(ld, sv, it);
	}
}
