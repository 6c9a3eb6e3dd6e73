/* A container on the stack's networks: its addresses and /etc/hosts
 * lines, the veth pairs of the start hook, and its release (see
 * network.h). */
#include "supervisor/net_internal.h"

#include "spec/names.h"
#include "supervisor/ctconf.h"
#include "supervisor/net_state.h"
#include "supervisor/netlink.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void push_host_line(struct strv *lines, const char *name, const char *addr, const char *own_hostname)
{
	/* The container's own hostname already has its line (the
	 * runtime's first, on loopback): one name, one line. */
	if (strcmp(name, own_hostname) != 0)
		strv_pushf(lines, "%s:%s", name, addr);
}

/* Every service of net by name, hostname and aliases. */
static void add_host_lines(const struct sup_net *net, const struct spec_stack *stack, const char *own_hostname,
			   struct strv *lines)
{
	for (size_t i = 0; i < stack->n_services; i++) {
		const struct spec_service *svc = &stack->services[i];
		_cleanup_free_ char *key = xasprintf("svc:%s", svc->name);
		const struct sup_net_host *h = sup_net_find_host(net, key);
		if (!h)
			continue;
		char a[16];
		spec_ipv4_format(h->addr, a);
		push_host_line(lines, svc->name, a, own_hostname);
		if (svc->hostname && strcmp(svc->hostname, svc->name) != 0)
			push_host_line(lines, svc->hostname, a, own_hostname);
		for (size_t j = 0; j < svc->n_networks; j++)
			if (strcmp(svc->networks[j].network, net->name) == 0)
				for (size_t k = 0; k < svc->networks[j].aliases.n; k++)
					push_host_line(lines, svc->networks[j].aliases.v[k], a, own_hostname);
	}
}

/* Under the lock, in the state on disk: each link's address for
 * container a->id.  The service's own address when nobody else holds it
 * (a one-off container of the service then answers to its name, as
 * compose's run does); else, for a one-off container, one of its own. */
static int take_addresses(const char *run, const char *service, struct sup_net_attach *a, st_error_t *err)
{
	_cleanup_free_ char *svc_key = xasprintf("svc:%s", service);
	_cleanup_free_ char *run_key = xasprintf("run:%s", a->id);
	int lock = -1;
	if (sup_net_lock(run, &lock, err) < 0)
		return -1;
	struct sup_nets cur;
	int r = -1;
	if (sup_net_state_read(run, &cur, err) < 0)
		goto out;
	for (size_t i = 0; i < a->n; i++) {
		struct sup_net *net = (struct sup_net *)sup_nets_find(&cur, a->links[i].net->name);
		if (!net) {
			st_error(err, ENOENT, "network `%s` is gone (a `stack down` meanwhile?)", a->links[i].net->name);
			goto done;
		}
		sup_net_drop_stale(run, net);
		struct sup_net_host *h = sup_net_find_host(net, svc_key), *mine = sup_net_find_host(net, run_key);
		if (mine) {
			a->links[i].addr = mine->addr;
		} else if (h && (!h->holder || strcmp(h->holder, a->id) == 0)) {
			free(h->holder);
			h->holder = xstrdup(a->id);
			a->links[i].addr = h->addr;
		} else if (!a->one_off) {
			char s[16];
			spec_ipv4_format(h ? h->addr : 0, s);
			st_error(err, EADDRINUSE,
				 h ? "service `%s`: its address %s on network `%s` is held by container `%s`; stop it first"
				   : "service `%s`: no address%s on network `%s`%s: set up the networks again",
				 service, h ? s : "", net->name, h ? h->holder : "");
			goto done;
		} else if (sup_net_alloc_addr(net, run_key, &a->links[i].addr, err) < 0) {
			goto done;
		} else {
			sup_net_find_host(net, run_key)->holder = xstrdup(a->id);
		}
	}
	r = sup_net_state_write(run, &cur, err);
done:
	sup_nets_free(&cur);
out:
	sup_net_unlock(run, lock, false);
	return r;
}

int sup_net_attach_prepare(const struct st_paths *paths, const struct spec_stack *stack, const struct sup_nets *nets,
			   const struct spec_service *svc, const char *id, bool one_off, struct sup_net_attach *out,
			   struct strv *extra_hosts, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	if (svc->network_mode != SPEC_NET_PRIVATE)
		return 0;
	if (!spec_name_valid(id))
		return st_error(err, EINVAL, "invalid container name");
	if (svc->n_networks > SUP_NET_MAX_PER_CONTAINER)
		return st_error(err, E2BIG, "service `%s`: on %zu networks, more than the %d a container can join",
				svc->name, svc->n_networks, SUP_NET_MAX_PER_CONTAINER);
	out->links = xcalloc(svc->n_networks + 1, sizeof(*out->links));
	out->id = xstrdup(id);
	out->one_off = one_off;
	for (size_t i = 0; i < svc->n_networks; i++) {
		const struct sup_net *net = sup_nets_find(nets, svc->networks[i].network);
		if (!net) {
			sup_net_attach_free(out);
			return st_error(err, ENOENT, "service `%s`: network `%s` was not set up", svc->name,
					svc->networks[i].network);
		}
		struct sup_net_link *l = &out->links[out->n++];
		l->net = net;
		snprintf(l->ifname, sizeof(l->ifname), "eth%u", (unsigned)i % 1000u);
		add_host_lines(net, stack, svc->hostname ? svc->hostname : svc->name, extra_hosts);
	}
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	if (take_addresses(run, svc->name, out, err) < 0) {
		sup_net_attach_free(out);
		return -1;
	}
	/* Unique in the network's namespace, since the address is. */
	for (size_t i = 0; i < out->n; i++)
		snprintf(out->links[i].host_ifname, sizeof(out->links[i].host_ifname), "ve%08x", out->links[i].addr);
	return 0;
}

static int attach_one(const struct sup_net_link *l, int ct_ns, bool first, st_error_t *err)
{
	_cleanup_close_ int stack_ns = open(l->net->netns_path, O_RDONLY | O_CLOEXEC);
	if (stack_ns < 0)
		return st_error(err, errno, "open `%s`", l->net->netns_path);
	struct sup_nl nl, ct = {0};
	if (sup_nl_open(&nl, stack_ns, err) < 0)
		return -1;
	int r = -1;
	/* The end of a container that just died on this address: the kernel
	 * removes it with that namespace, but later. */
	if (sup_nl_link_del(&nl, l->host_ifname, err) < 0 ||
	    sup_nl_veth_add(&nl, l->host_ifname, l->ifname, ct_ns, err) < 0)
		goto out;
	int br = sup_nl_ifindex(&nl, SUP_NET_BRIDGE, err), hi = sup_nl_ifindex(&nl, l->host_ifname, err);
	if (br <= 0 || hi <= 0) {
		st_error(err, ENODEV, "no `%s` or `%s`", SUP_NET_BRIDGE, l->host_ifname);
		goto out;
	}
	if (sup_nl_link_up(&nl, hi, br, err) < 0 || sup_nl_open(&ct, ct_ns, err) < 0)
		goto out;
	int ci = sup_nl_ifindex(&ct, l->ifname, err);
	if (ci <= 0) {
		st_error(err, ENODEV, "no `%s` in the container", l->ifname);
		goto out;
	}
	if (sup_nl_addr_add(&ct, ci, l->addr, l->net->subnet.prefix, err) < 0 || sup_nl_link_up(&ct, ci, 0, err) < 0)
		goto out;
	if (first && sup_nl_route_default(&ct, l->net->gateway, err) < 0)
		goto out;
	r = 0;
out:
	if (ct.sock)
		sup_nl_close(&ct);
	sup_nl_close(&nl);
	return r < 0 ? st_error_prefix(err, "network `%s`", l->net->name) : 0;
}

/* A container on more than one network must not route between them: a
 * new network namespace takes its IPv4 forwarding from the host's (the
 * kernel's devconf_inherit_init_net default; IPv6 starts off), so on a
 * host that forwards, a container of `front` could send a frame to the
 * multi-homed one's MAC (CAP_NET_RAW is in the default set) addressed to
 * one of `back`.  The file is opened in the container's namespace, which
 * makes it that namespace's setting; this thread then goes back. */
static int forwarding_off(int ct_ns, st_error_t *err)
{
	static const char path[] = "/proc/sys/net/ipv4/conf/all/forwarding";
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return st_error(err, errno, "open `/proc/thread-self/ns/net`");
	if (setns(ct_ns, CLONE_NEWNET) < 0)
		return st_error(err, errno, "setns into the container's network namespace");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	int e = errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		fprintf(stderr, "stack: setns back to our network namespace: %s\n", strerror(errno));
		abort();
	}
	if (fd < 0)
		return st_error(err, e, "open `%s` in the container's network namespace", path);
	if (write(fd, "0", 1) != 1)
		return st_error(err, errno, "turn IPv4 forwarding off in the container (`%s`)", path);
	return 0;
}

int sup_net_attach_hook(pid_t pid, void *data, st_error_t *err)
{
	const struct sup_net_attach *a = data;
	if (!a || !a->n)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	/* The container is our child, not yet reaped: pid names it. */
	_cleanup_close_ int ct_ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ct_ns < 0)
		return st_error(err, errno, "open `%s`", path);
	for (size_t i = 0; i < a->n; i++)
		if (attach_one(&a->links[i], ct_ns, i == 0, err) < 0)
			return -1;
	return a->n > 1 ? forwarding_off(ct_ns, err) : 0;
}

static bool is_holder(const char *holder, const void *id)
{
	return strcmp(holder, id) == 0;
}

int sup_net_release_container(const struct st_paths *paths, const struct spec_stack *stack,
			      const struct sup_net_attach *a, st_error_t *err)
{
	/* The bridge ends are left to the kernel, which removes a veth pair
	 * with the container's namespace: an RTM_DELLINK here waits for an
	 * RCU grace period (16 ms measured), per container, on every stop.
	 * A restart on the same address that comes first removes the old end
	 * itself (attach_one). */
	int r = 0;
	if (!a->id || !a->n)
		return r;
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	int lock = -1;
	if (access(run, F_OK) < 0)
		return r;
	if (sup_net_lock(run, &lock, err) < 0)
		return -1;
	struct sup_nets cur;
	if (sup_net_state_read(run, &cur, err) == 0) {
		bool changed = false;
		for (size_t i = 0; i < cur.n; i++)
			changed |= sup_net_drop_holders(&cur.v[i], is_holder, a->id);
		if (changed && sup_net_state_write(run, &cur, err) < 0)
			r = -1;
		sup_nets_free(&cur);
	} else {
		r = -1;
	}
	sup_net_unlock(run, lock, false);
	return r;
}

void sup_net_attach_free(struct sup_net_attach *a)
{
	free(a->links);
	free(a->id);
	memset(a, 0, sizeof(*a));
}
