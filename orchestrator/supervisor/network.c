/* The stack's networks: setup and teardown of the namespaces, bridges
 * and address plan (see network.h; a container's part is net_attach.c). */
#include "supervisor/network.h"

#include "spec/names.h"
#include "supervisor/ctconf.h"
#include "supervisor/net_internal.h"
#include "supervisor/net_ns.h"
#include "supervisor/net_state.h"
#include "supervisor/netlink.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static void net_free(struct sup_net *net)
{
	free(net->name);
	free(net->netns_path);
	for (size_t i = 0; i < net->n_hosts; i++) {
		free(net->hosts[i].key);
		free(net->hosts[i].holder);
	}
	free(net->hosts);
}

void sup_nets_free(struct sup_nets *nets)
{
	for (size_t i = 0; i < nets->n; i++)
		net_free(&nets->v[i]);
	free(nets->v);
	memset(nets, 0, sizeof(*nets));
}

const struct sup_net *sup_nets_find(const struct sup_nets *nets, const char *name)
{
	for (size_t i = 0; i < nets->n; i++)
		if (strcmp(nets->v[i].name, name) == 0)
			return &nets->v[i];
	return NULL;
}

/* FNV-1a: a stable spread of PROJECT/NETWORK over the pool. */
static uint32_t name_hash(const char *project, const char *network)
{
	uint32_t h = 2166136261u;
	for (const char *p = project; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = network; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static bool overlaps_any(const struct spec_subnet *s, const struct spec_subnet *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (spec_subnet_overlap(s, &v[i]))
			return true;
	return false;
}

/* A /24 of the pool for a network the file gives no subnet: from the
 * name's hash on, the first that no network of this stack, no other
 * stack's state and no address or route of the host's takes.  Other
 * stacks' bridges are in namespaces of their own, so sharing a subnet
 * would not break either; distinct ones keep addresses unambiguous for
 * whoever reads them (logs, `stack ps`, a user comparing two stacks). */
static int pick_subnet(const struct st_paths *paths, const struct spec_stack *stack, const char *network,
		       const struct sup_nets *mine, struct spec_subnet *out, st_error_t *err)
{
	struct spec_subnet pool;
	char *msg = NULL;
	if (spec_subnet_parse(SUP_NET_POOL, &pool, &msg) < 0) {
		free(msg);
		return st_error(err, EINVAL, "bad pool " SUP_NET_POOL);
	}
	struct spec_subnet *taken = NULL, *host = NULL;
	size_t n_taken = 0, n_host = 0;
	sup_net_state_others(paths->run, stack->name, &taken, &n_taken);
	struct sup_nl nl;
	st_error_t e = NULL;
	/* The host's view is advice: without it, the other checks remain. */
	if (sup_nl_open(&nl, -1, &e) == 0) {
		if (sup_nl_v4_prefixes(&nl, &host, &n_host, &e) < 0)
			st_error_free(&e);
		sup_nl_close(&nl);
	} else {
		st_error_free(&e);
	}
	uint32_t n = 1u << (24 - pool.prefix), start = name_hash(stack->name, network) % n;
	int r = st_error(err, EADDRNOTAVAIL, "network `%s`: every /24 of %s is taken; set `ipam.config.subnet`",
			 network, SUP_NET_POOL);
	/* The host's prefixes are avoided where possible; a host routing all
	 * of 10/8 (a VPN) must not leave a stack without a network, and its
	 * bridges are out of the host's reach anyway. */
	for (int pass = 0; pass < 2 && r < 0; pass++)
		for (uint32_t i = 0; i < n; i++) {
			struct spec_subnet c = {.addr = pool.addr + (((start + i) % n) << 8), .prefix = 24};
			bool busy = overlaps_any(&c, taken, n_taken) || (pass == 0 && overlaps_any(&c, host, n_host));
			for (size_t j = 0; j < mine->n && !busy; j++)
				busy = spec_subnet_overlap(&c, &mine->v[j].subnet);
			if (!busy) {
				*out = c;
				st_error_free(err);
				r = 0;
				break;
			}
		}
	free(taken);
	free(host);
	return r;
}

static bool on_network(const struct spec_service *svc, const char *network)
{
	for (size_t i = 0; i < svc->n_networks; i++)
		if (strcmp(svc->networks[i].network, network) == 0)
			return true;
	return false;
}

/* The state's entry for net (added when new), with the file's subnet. */
static int plan_network(const struct st_paths *paths, const struct spec_stack *stack, const char *run,
			const struct spec_network *sn, struct sup_nets *nets, st_error_t *err)
{
	struct spec_subnet want = {0};
	char *msg = NULL;
	if (sn->subnet && spec_subnet_parse(sn->subnet, &want, &msg) < 0) {
		int r = st_error(err, EINVAL, "network `%s`: %s", sn->name, msg);
		free(msg);
		return r;
	}
	struct sup_net *net = (struct sup_net *)sup_nets_find(nets, sn->name);
	if (net) {
		if (sn->subnet && (want.addr != net->subnet.addr || want.prefix != net->subnet.prefix)) {
			char have[SPEC_SUBNET_STRLEN];
			spec_subnet_format(&net->subnet, have);
			return st_error(err, EEXIST,
					"network `%s` exists with subnet %s, the stack file now says %s: run `stack "
					"down` to remove it first",
					sn->name, have, sn->subnet);
		}
		return 0;
	}
	if (!spec_name_valid(sn->name))
		return st_error(err, EINVAL, "invalid network name");
	if (!sn->subnet && pick_subnet(paths, stack, sn->name, nets, &want, err) < 0)
		return -1;
	for (size_t i = 0; i < nets->n; i++)
		if (spec_subnet_overlap(&want, &nets->v[i].subnet)) {
			char buf[SPEC_SUBNET_STRLEN];
			spec_subnet_format(&want, buf);
			return st_error(err, EEXIST, "network `%s`: subnet %s overlaps network `%s`; run `stack down` "
						     "first, or give it another subnet",
					sn->name, buf, nets->v[i].name);
		}
	nets->v = xrealloc(nets->v, (nets->n + 1) * sizeof(*nets->v));
	net = &nets->v[nets->n++];
	*net = (struct sup_net){
		.name = xstrdup(sn->name),
		.netns_path = xasprintf("%s/netns/%s", run, sn->name),
		.subnet = want,
		.gateway = want.addr + 1,
	};
	return 0;
}

/* The namespace, its lo and bridge with the gateway address, all up. */
static int build_network(const struct sup_net *net, st_error_t *err)
{
	bool created;
	if (sup_netns_ensure(net->netns_path, &created, err) < 0)
		return -1;
	_cleanup_close_ int fd = open(net->netns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", net->netns_path);
	struct sup_nl nl;
	if (sup_nl_open(&nl, fd, err) < 0)
		return -1;
	int r = -1, lo = sup_nl_ifindex(&nl, "lo", err);
	if (lo <= 0 || sup_nl_link_up(&nl, lo, 0, err) < 0)
		goto out;
	int br = sup_nl_ifindex(&nl, SUP_NET_BRIDGE, err);
	if (br == 0 && sup_nl_bridge_add(&nl, SUP_NET_BRIDGE, err) == 0)
		br = sup_nl_ifindex(&nl, SUP_NET_BRIDGE, err);
	if (br <= 0)
		goto out;
	if (sup_nl_addr_add(&nl, br, net->gateway, net->subnet.prefix, err) < 0 || sup_nl_link_up(&nl, br, 0, err) < 0)
		goto out;
	r = 0;
out:
	sup_nl_close(&nl);
	if (r < 0 && err && !*err)
		st_error(err, ENODEV, "no `lo` or `%s` in `%s`", SUP_NET_BRIDGE, net->netns_path);
	return r < 0 ? st_error_prefix(err, "network `%s`", net->name) : 0;
}

static int setup(const struct st_paths *paths, const struct spec_stack *stack, bool keep, struct sup_nets *out,
		 st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	_cleanup_free_ char *nsdir = xasprintf("%s/netns", run);
	int lock = -1;
	if (sup_net_lock(run, &lock, err) < 0)
		return -1;
	int r = -1;
	if (sup_net_state_read(run, out, err) < 0 || fs_mkdir_p(nsdir, 0700, err) < 0)
		goto out;
	out->keep |= keep;
	for (size_t i = 0; i < stack->n_networks; i++)
		if (plan_network(paths, stack, run, &stack->networks[i], out, err) < 0)
			goto out;
	/* Every service its address now, in file order: the hosts entries
	 * of the first container started already name them all. */
	for (size_t i = 0; i < out->n; i++) {
		struct sup_net *net = &out->v[i];
		sup_net_drop_stale(run, net);
		for (size_t j = 0; j < stack->n_services; j++) {
			const struct spec_service *svc = &stack->services[j];
			_cleanup_free_ char *key = xasprintf("svc:%s", svc->name);
			uint32_t a;
			if (svc->network_mode == SPEC_NET_PRIVATE && on_network(svc, net->name) && !sup_net_find_host(net, key) &&
			    sup_net_alloc_addr(net, key, &a, err) < 0)
				goto out;
		}
	}
	/* Recorded before anything is made: a crash half-way leaves what
	 * teardown needs to find, and the next setup adopts it. */
	if (sup_net_state_write(run, out, err) < 0)
		goto out;
	for (size_t i = 0; i < out->n; i++)
		if (build_network(&out->v[i], err) < 0)
			goto out;
	r = 0;
out:
	sup_net_unlock(run, lock, false);
	if (r < 0)
		sup_nets_free(out);
	return r;
}

int sup_net_setup(const struct st_paths *paths, const struct spec_stack *stack, struct sup_nets *out, st_error_t *err)
{
	return setup(paths, stack, true, out, err);
}

int sup_net_setup_oneoff(const struct st_paths *paths, const struct spec_stack *stack, struct sup_nets *out,
			 st_error_t *err)
{
	return setup(paths, stack, false, out, err);
}

/* Under the lock. */
static int teardown_locked(const char *run, st_error_t *err)
{
	int r = 0;
	_cleanup_free_ char *nsdir = xasprintf("%s/netns", run);
	DIR *d = opendir(nsdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			_cleanup_free_ char *p = xasprintf("%s/%s", nsdir, e->d_name);
			if (sup_netns_remove(p, err) < 0)
				r = -1; /* the others still go */
		}
		closedir(d);
		if (r == 0 && rmdir(nsdir) < 0 && errno != ENOENT)
			r = st_error(err, errno, "remove `%s`", nsdir);
	} else if (errno != ENOENT) {
		r = st_error(err, errno, "open `%s`", nsdir);
	}
	_cleanup_free_ char *state = sup_net_state_path(run);
	if (r == 0 && unlink(state) < 0 && errno != ENOENT)
		r = st_error(err, errno, "remove `%s`", state);
	return r;
}

int sup_net_teardown(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err)
{
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	if (access(run, F_OK) < 0)
		return 0;
	int lock = -1;
	if (sup_net_lock(run, &lock, err) < 0)
		return -1;
	int r = teardown_locked(run, err);
	sup_net_unlock(run, lock, r == 0);
	return r;
}

/* Is a container of the project other than self_id looked after? */
static bool other_sup_net_container_live(const char *run, const char *self_id)
{
	DIR *d = opendir(run);
	if (!d)
		return false;
	_cleanup_free_ char *self = xasprintf("%s.lock", self_id);
	bool live = false;
	struct dirent *e;
	while (!live && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".lock") != 0 || strcmp(e->d_name, self) == 0)
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		live = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
	}
	closedir(d);
	return live;
}

/* Tear down unless a container of the project other than self_id is
 * looked after or, with honour_keep, a long-lived owner keeps the
 * networks: then 1. */
static int teardown_unless_used(const struct st_paths *paths, const struct spec_stack *stack, const char *self_id,
				bool honour_keep, st_error_t *err)
{
	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	if (access(run, F_OK) < 0)
		return 0;
	int lock = -1;
	if (sup_net_lock(run, &lock, err) < 0)
		return -1;
	int r = 0;
	if (honour_keep) {
		struct sup_nets cur;
		r = sup_net_state_read(run, &cur, err) < 0 ? -1 : cur.keep;
		if (r >= 0)
			sup_nets_free(&cur);
	}
	if (r == 0)
		r = other_sup_net_container_live(run, self_id) ? 1 : teardown_locked(run, err);
	sup_net_unlock(run, lock, r == 0);
	return r;
}

int sup_net_teardown_down(const struct st_paths *paths, const struct spec_stack *stack, st_error_t *err)
{
	return teardown_unless_used(paths, stack, "", false, err);
}

int sup_net_teardown_if_unused(const struct st_paths *paths, const struct spec_stack *stack, const char *self_id,
			       st_error_t *err)
{
	return teardown_unless_used(paths, stack, self_id, true, err) < 0 ? -1 : 0;
}
