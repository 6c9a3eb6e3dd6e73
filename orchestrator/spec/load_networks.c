/* networks: the top-level section, a service's `networks:` and
 * `network_mode:`, and the references between them.
 *
 * As compose: a service without `networks:` (and without a network_mode
 * of its own) joins the network `default`, which exists when some service
 * joins it; the top level may declare `default` to give it a subnet.  A
 * network's name becomes a path component (STACK_RUN/PROJECT/netns/NAME),
 * so it follows spec_name_valid(); an alias becomes an /etc/hosts name, so
 * it follows spec_hostname_valid(). */
#include "spec/load_internal.h"
#include "spec/names.h"
#include "spec/subnet.h"
#include "util/mem.h"

#include <string.h>

#define DEFAULT_NETWORK "default"

static const char *const network_keys[] = {"driver", "ipam", "labels", "name"};
static const struct ld_unsupported_key network_unsupported[] = {
	{"external", "stack makes every network of the stack itself, in the stack's own network namespace"},
	{"internal", "stack networks are always internal: they reach only the stack's own containers"},
	{"enable_ipv6", "stack networks are IPv4 only"},
	{"driver_opts", NULL},
	{"attachable", NULL},
};
static const char *const ipam_keys[] = {"driver", "config"};
static const char *const ipam_config_keys[] = {"subnet"};
static const struct ld_unsupported_key ipam_config_unsupported[] = {
	{"ip_range", "stack hands out addresses from the whole subnet"},
	{"gateway", "the bridge takes the subnet's first address"},
	{"aux_addresses", NULL},
};
static const char *const attach_keys[] = {"aliases"};
static const struct ld_unsupported_key attach_unsupported[] = {
	{"ipv4_address", "stack gives each service a stable address itself (see docs/networks.md)"},
	{"ipv6_address", "stack networks are IPv4 only"},
	{"link_local_ips", NULL},
	{"priority", NULL},
	{"mac_address", NULL},
	{"driver_opts", NULL},
};

static void load_ipam(struct spec_loader *ld, struct spec_network *net, const struct spec_node *ipam)
{
	if (!ld_is_map(ld, ipam, "ipam"))
		return;
	ld_check_keys(ld, ipam, ipam_keys, ARRAY_SIZE(ipam_keys), "`ipam`");
	const struct spec_node *v;
	const char *s;
	if ((v = ld_get(ipam, "driver")) && ld_string(ld, v, "ipam.driver", &s) && strcmp(s, "default") != 0) {
		struct diag *d = ld_error(ld, v, "`ipam.driver`: `%s` is not supported by stack", s);
		diag_hint(d, "remove it, or use `default`");
	}
	const struct spec_node *cfg = ld_get(ipam, "config");
	if (!cfg || !ld_is_seq(ld, cfg, "ipam.config"))
		return;
	if (cfg->n_items > 1) {
		struct diag *d = ld_error(ld, cfg->items[1], "`ipam.config`: stack takes one subnet per network");
		diag_hint(d, "give each subnet a network of its own");
		return;
	}
	if (cfg->n_items == 0 || !ld_is_map(ld, cfg->items[0], "ipam.config[0]"))
		return;
	const struct spec_node *c = cfg->items[0];
	ld_check_keys_unsupported(ld, c, ipam_config_keys, ARRAY_SIZE(ipam_config_keys), ipam_config_unsupported,
				  ARRAY_SIZE(ipam_config_unsupported), "`ipam.config`");
	if (!(v = ld_get(c, "subnet")) || !ld_string(ld, v, "subnet", &s))
		return;
	struct spec_subnet sn;
	char *msg = NULL;
	if (spec_subnet_parse(s, &sn, &msg) < 0) {
		struct diag *d = ld_error(ld, v, "`subnet`: %s", msg);
		free(msg);
		diag_hint(d, "write a private IPv4 subnet, e.g. `subnet: 10.5.0.0/24`, or remove it to let stack choose");
		return;
	}
	char buf[SPEC_SUBNET_STRLEN];
	spec_subnet_format(&sn, buf);
	net->subnet = xstrdup(buf);
}

static void load_network(struct spec_loader *ld, struct spec_network *net, const struct spec_node *v)
{
	if (spec_node_is_null(v))
		return;
	_cleanup_free_ char *what = xasprintf("networks.%s", net->name);
	if (!ld_is_map(ld, v, what))
		return;
	_cleanup_free_ char *where = xasprintf("network `%s`", net->name);
	ld_check_keys_unsupported(ld, v, network_keys, ARRAY_SIZE(network_keys), network_unsupported,
				  ARRAY_SIZE(network_unsupported), where);
	const struct spec_node *d;
	const char *s;
	if ((d = ld_get(v, "driver")) && ld_string(ld, d, "driver", &s) && strcmp(s, "bridge") != 0) {
		struct diag *dg = ld_error(ld, d, "`driver`: `%s` is not supported by stack", s);
		diag_hint(dg, "stack networks are bridges: remove `driver:` or write `driver: bridge`");
	}
	if ((d = ld_get(v, "name")) && ld_string(ld, d, "name", &s) && strcmp(s, net->name) != 0) {
		struct diag *dg = ld_error(ld, d, "`name`: a network is named by its key (`%s`)", net->name);
		diag_hint(dg, "remove `name:`, or rename the key");
	}
	if ((d = ld_get(v, "labels"))) {
		struct spec_kvlist labels = {0};
		ld_labels(ld, d, &labels);
		spec_kvlist_free(&labels);
	}
	if ((d = ld_get(v, "ipam")))
		load_ipam(ld, net, d);
}

void ld_networks(struct spec_loader *ld, const struct spec_node *n)
{
	if (!ld_is_map(ld, n, "networks"))
		return;
	struct spec_stack *s = ld->stack;
	/* Room for an implicit `default` too (ld_check_networks). */
	s->networks = xcalloc(n->n_pairs + 1, sizeof(*s->networks));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct spec_node *k = n->pairs[i].key;
		ld_check_name(ld, k, "network");
		struct spec_network *net = &s->networks[s->n_networks++];
		net->name = xstrdup(k->scalar);
		net->pos = ld_pos(ld, k);
		load_network(ld, net, n->pairs[i].value);
	}
	/* Two networks of one stack on overlapping subnets: an address would
	 * be ambiguous for a container on both. */
	for (size_t i = 0; i < s->n_networks; i++)
		for (size_t j = 0; j < i; j++) {
			struct spec_subnet a, b;
			char *msg = NULL;
			if (!s->networks[i].subnet || !s->networks[j].subnet ||
			    spec_subnet_parse(s->networks[i].subnet, &a, &msg) < 0 ||
			    spec_subnet_parse(s->networks[j].subnet, &b, &msg) < 0) {
				free(msg);
				continue;
			}
			if (spec_subnet_overlap(&a, &b)) {
				struct diag *d = ld_error_at(ld, &s->networks[i].pos,
							     "network `%s`: subnet %s overlaps %s of network `%s`",
							     s->networks[i].name, s->networks[i].subnet,
							     s->networks[j].subnet, s->networks[j].name);
				diag_hint(d, "give each network a subnet of its own");
			}
		}
}

static void add_alias(struct spec_loader *ld, struct spec_net_attach *at, const struct spec_node *n)
{
	const char *s;
	if (!ld_string(ld, n, "aliases", &s))
		return;
	if (!spec_hostname_valid(s)) {
		_cleanup_free_ char *shown = spec_name_printable(s);
		struct diag *d = ld_error(ld, n, "`aliases`: `%s` is not a valid host name", shown);
		diag_hint(d, "%s", SPEC_HOSTNAME_HINT);
		return;
	}
	strv_push(&at->aliases, s);
}

static struct spec_net_attach *add_attach(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *k)
{
	const char *name;
	if (!ld_string(ld, k, "networks", &name))
		return NULL;
	for (size_t i = 0; i < sv->n_networks; i++)
		if (strcmp(sv->networks[i].network, name) == 0) {
			ld_error(ld, k, "`networks`: `%s` is listed twice", name);
			return NULL;
		}
	struct spec_net_attach *at = &sv->networks[sv->n_networks++];
	at->network = xstrdup(name);
	at->pos = ld_pos(ld, k);
	return at;
}

void ld_service_networks(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (n->type == SPEC_NODE_SEQ) {
		sv->networks = xcalloc(n->n_items ? n->n_items : 1, sizeof(*sv->networks));
		for (size_t i = 0; i < n->n_items; i++)
			add_attach(ld, sv, n->items[i]);
	} else if (n->type == SPEC_NODE_MAP) {
		sv->networks = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*sv->networks));
		for (size_t i = 0; i < n->n_pairs; i++) {
			struct spec_net_attach *at = add_attach(ld, sv, n->pairs[i].key);
			const struct spec_node *v = n->pairs[i].value;
			if (!at || spec_node_is_null(v) || !ld_is_map(ld, v, at->network))
				continue;
			_cleanup_free_ char *where = xasprintf("network `%s` of service `%s`", at->network, sv->name);
			ld_check_keys_unsupported(ld, v, attach_keys, ARRAY_SIZE(attach_keys), attach_unsupported,
						  ARRAY_SIZE(attach_unsupported), where);
			const struct spec_node *al = ld_get(v, "aliases");
			if (al && al->type == SPEC_NODE_SEQ)
				for (size_t j = 0; j < al->n_items; j++)
					add_alias(ld, at, al->items[j]);
			else if (al)
				ld_is_seq(ld, al, "aliases");
		}
	} else {
		ld_error(ld, n, "`networks`: expected a list of network names or a mapping");
	}
}

static struct spec_network *network_or_default(struct spec_loader *ld, const char *name)
{
	struct spec_stack *s = ld->stack;
	for (size_t i = 0; i < s->n_networks; i++)
		if (strcmp(s->networks[i].name, name) == 0)
			return &s->networks[i];
	if (strcmp(name, DEFAULT_NETWORK) != 0)
		return NULL;
	if (!s->networks)
		s->networks = xcalloc(1, sizeof(*s->networks));
	/* ld_networks left room for exactly this one. */
	struct spec_network *net = &s->networks[s->n_networks++];
	net->name = xstrdup(DEFAULT_NETWORK);
	net->implicit = true;
	return net;
}

void ld_check_networks(struct spec_loader *ld)
{
	struct spec_stack *s = ld->stack;
	for (size_t i = 0; i < s->n_services; i++) {
		struct spec_service *sv = &s->services[i];
		if (sv->network_mode != SPEC_NET_PRIVATE) {
			if (sv->n_networks) {
				struct diag *d = ld_error_at(ld, &sv->networks[0].pos,
							     "service `%s`: `networks` and `network_mode` cannot be combined",
							     sv->name);
				diag_hint(d, "remove one of them");
			}
			if (sv->network_mode == SPEC_NET_SERVICE) {
				const struct spec_service *t = spec_find_service(s, sv->network_service);
				if (!t) {
					struct diag *d = ld_error_at(ld, &sv->network_mode_pos,
								     "service `%s`: `network_mode: service:%s` names no service",
								     sv->name, sv->network_service);
					diag_hint(d, "name a service of this stack (one enabled by the active profiles)");
				} else if (t == sv) {
					ld_error_at(ld, &sv->network_mode_pos,
						    "service `%s`: `network_mode` names the service itself", sv->name);
				} else if (t->network_mode == SPEC_NET_SERVICE) {
					struct diag *d = ld_error_at(ld, &sv->network_mode_pos,
								     "service `%s`: `network_mode: service:%s` names a service "
								     "that shares another's network itself",
								     sv->name, t->name);
					diag_hint(d, "name `%s` directly", t->network_service);
				}
			}
			continue;
		}
		if (!sv->n_networks) {
			free(sv->networks);
			sv->networks = xcalloc(1, sizeof(*sv->networks));
			sv->networks[0].network = xstrdup(DEFAULT_NETWORK);
			sv->networks[0].pos = sv->pos;
			sv->n_networks = 1;
		}
		for (size_t j = 0; j < sv->n_networks; j++)
			if (!network_or_default(ld, sv->networks[j].network)) {
				struct diag *d = ld_error_at(ld, &sv->networks[j].pos,
							     "service `%s`: network `%s` is not declared", sv->name,
							     sv->networks[j].network);
				diag_hint(d, "declare it in the top-level `networks:`");
			}
	}
}
