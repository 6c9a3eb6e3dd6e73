/* Addresses on a network: lookup, allocation, and what a dead holder
 * leaves (see network.h). */
#include "supervisor/net_internal.h"

#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct sup_net_host *sup_net_find_host(const struct sup_net *net, const char *key)
{
	for (size_t i = 0; i < net->n_hosts; i++)
		if (strcmp(net->hosts[i].key, key) == 0)
			return &net->hosts[i];
	return NULL;
}

/* The lowest free address after the bridge's, below broadcast. */
int sup_net_alloc_addr(struct sup_net *net, const char *key, uint32_t *out, st_error_t *err)
{
	uint32_t size = ~spec_subnet_mask(net->subnet.prefix) + 1u;
	for (uint32_t off = 2; off < size - 1; off++) {
		uint32_t a = net->subnet.addr + off;
		bool used = false;
		for (size_t i = 0; i < net->n_hosts && !used; i++)
			used = net->hosts[i].addr == a;
		if (used)
			continue;
		net->hosts = xrealloc(net->hosts, (net->n_hosts + 1) * sizeof(*net->hosts));
		net->hosts[net->n_hosts++] = (struct sup_net_host){.key = xstrdup(key), .addr = a};
		*out = a;
		return 0;
	}
	char buf[SPEC_SUBNET_STRLEN];
	spec_subnet_format(&net->subnet, buf);
	return st_error(err, ENOSPC, "network `%s`: no free address left in %s for `%s`; give it a larger "
				    "`ipam.config.subnet`",
			net->name, buf, key);
}

/* Is container id looked after (its ID.lock held: see stale.h)? */
bool sup_net_container_live(const char *run, const char *id)
{
	_cleanup_free_ char *lock = xasprintf("%s/%s.lock", run, id);
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool live = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return live;
}

bool sup_net_drop_holders(struct sup_net *net, bool (*gone)(const char *holder, const void *ctx), const void *ctx)
{
	bool changed = false;
	size_t o = 0;
	for (size_t i = 0; i < net->n_hosts; i++) {
		struct sup_net_host *h = &net->hosts[i];
		if (h->holder && gone(h->holder, ctx)) {
			changed = true;
			free(h->holder);
			h->holder = NULL;
			if (strncmp(h->key, "run:", 4) == 0) {
				free(h->key);
				continue;
			}
		}
		net->hosts[o++] = *h;
	}
	net->n_hosts = o;
	return changed;
}

static bool not_live(const char *holder, const void *run)
{
	return !sup_net_container_live(run, holder);
}

void sup_net_drop_stale(const char *run, struct sup_net *net)
{
	sup_net_drop_holders(net, not_live, run);
}
