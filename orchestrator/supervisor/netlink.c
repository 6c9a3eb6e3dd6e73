/* rtnetlink requests through libmnl (see netlink.h). */
#include "supervisor/netlink.h"

#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The socket is made in the target namespace by this thread, which then
 * goes back: setns(CLONE_NEWNET) changes only the calling thread. */
int sup_nl_open(struct sup_nl *nl, int netns_fd, st_error_t *err)
{
	memset(nl, 0, sizeof(*nl));
	int self = -1;
	if (netns_fd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return st_error(err, errno, "open `/proc/thread-self/ns/net`");
		if (setns(netns_fd, CLONE_NEWNET) < 0) {
			int e = errno;
			close(self);
			return st_error(err, e, "setns into a network namespace");
		}
	}
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int e = errno;
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0) {
			/* Every later socket of this thread would be in the
			 * other namespace: nothing sane can continue (as
			 * runtime/netns.c). */
			fprintf(stderr, "stack: setns back to our network namespace: %s\n", strerror(errno));
			abort();
		}
		close(self);
	}
	if (!nl->sock)
		return st_error(err, e, "open a netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		sup_nl_close(nl);
		return st_error(err, e, "bind a netlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	nl->buf = xmalloc(MNL_SOCKET_BUFFER_SIZE);
	return 0;
}

void sup_nl_close(struct sup_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

static struct nlmsghdr *msg_start(struct sup_nl *nl, uint16_t type, uint16_t flags)
{
	/* Debian's libmnl (1.0.4) leaves an attribute's alignment padding
	 * unwritten: without this the request carries whatever the buffer
	 * held before (the last reply), which valgrind reports. */
	memset(nl->buf, 0, MNL_SOCKET_BUFFER_SIZE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send and read replies until the ACK, DONE or an error; cb sees each
 * data message.  -1 with errno (the kernel's answer) on failure. */
static int talk(struct sup_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, MNL_SOCKET_BUFFER_SIZE);
		if (n < 0)
			return -1;
		int r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (r <= MNL_CB_STOP)
			return r < 0 ? -1 : 0;
	}
}

static int ack(struct sup_nl *nl, struct nlmsghdr *nlh) { return talk(nl, nlh, NULL, NULL); }

struct find_link {
	int index;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	((struct find_link *)data)->index = ifi->ifi_index;
	return MNL_CB_OK;
}

int sup_nl_ifindex(struct sup_nl *nl, const char *name, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct find_link f = {0};
	if (talk(nl, nlh, link_cb, &f) < 0) {
		if (errno == ENODEV)
			return 0;
		return st_error(err, errno, "netlink: look up link `%s`", name);
	}
	return f.index;
}

int sup_nl_bridge_add(struct sup_nl *nl, const char *name, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	if (ack(nl, nlh) < 0)
		return st_error(err, errno, "netlink: create bridge `%s`", name);
	return 0;
}

int sup_nl_veth_add(struct sup_nl *nl, const char *name, const char *peer, int peer_netns_fd, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *idata = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is born in the container's namespace under its final
	 * name: no rename, no moment where it is visible here. */
	struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, idata);
	mnl_attr_nest_end(nlh, info);
	if (ack(nl, nlh) < 0)
		return st_error(err, errno, "netlink: create veth pair `%s`/`%s`", name, peer);
	return 0;
}

int sup_nl_link_up(struct sup_nl *nl, int ifindex, int master, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	if (ack(nl, nlh) < 0)
		return st_error(err, errno, "netlink: set link %d up%s", ifindex, master > 0 ? " on its bridge" : "");
	return 0;
}

int sup_nl_link_del(struct sup_nl *nl, const char *name, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (ack(nl, nlh) < 0 && errno != ENODEV)
		return st_error(err, errno, "netlink: delete link `%s`", name);
	return 0;
}

int sup_nl_addr_add(struct sup_nl *nl, int ifindex, uint32_t addr, int prefix, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	uint32_t a = htonl(addr), brd = htonl(addr | ~spec_subnet_mask(prefix));
	mnl_attr_put_u32(nlh, IFA_LOCAL, a);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
	mnl_attr_put_u32(nlh, IFA_BROADCAST, brd);
	if (ack(nl, nlh) < 0 && errno != EEXIST) {
		char s[16];
		spec_ipv4_format(addr, s);
		return st_error(err, errno, "netlink: add address %s/%d to link %d", s, prefix, ifindex);
	}
	return 0;
}

int sup_nl_route_default(struct sup_nl *nl, uint32_t gw, st_error_t *err)
{
	struct nlmsghdr *nlh = msg_start(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
	if (ack(nl, nlh) < 0) {
		char s[16];
		spec_ipv4_format(gw, s);
		return st_error(err, errno, "netlink: add the default route via %s", s);
	}
	return 0;
}

struct prefixes {
	struct spec_subnet *v;
	size_t n, cap;
	bool routes;
};

static void push_prefix(struct prefixes *p, uint32_t addr, int prefix)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n++] = (struct spec_subnet){.addr = addr & spec_subnet_mask(prefix), .prefix = prefix};
}

static int addr_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prefixes *p = data;
	int type = p->routes ? RTA_DST : IFA_LOCAL;
	int prefix;
	size_t hdr;
	if (p->routes) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
		if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len == 0 || rtm->rtm_type != RTN_UNICAST)
			return MNL_CB_OK;
		prefix = rtm->rtm_dst_len;
		hdr = sizeof(*rtm);
	} else {
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		if (ifa->ifa_family != AF_INET)
			return MNL_CB_OK;
		prefix = ifa->ifa_prefixlen;
		hdr = sizeof(*ifa);
	}
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, hdr) {
		if (mnl_attr_get_type(a) == type && mnl_attr_get_payload_len(a) == 4)
			push_prefix(p, ntohl(mnl_attr_get_u32(a)), prefix);
	}
	return MNL_CB_OK;
}

int sup_nl_v4_prefixes(struct sup_nl *nl, struct spec_subnet **out, size_t *n, st_error_t *err)
{
	struct prefixes p = {0};
	for (int pass = 0; pass < 2; pass++) {
		p.routes = pass == 1;
		struct nlmsghdr *nlh = msg_start(nl, p.routes ? RTM_GETROUTE : RTM_GETADDR, NLM_F_DUMP);
		if (p.routes) {
			struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
			rtm->rtm_family = AF_INET;
		} else {
			struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
			ifa->ifa_family = AF_INET;
		}
		if (talk(nl, nlh, addr_route_cb, &p) < 0) {
			free(p.v);
			return st_error(err, errno, "netlink: list this host's IPv4 %s", p.routes ? "routes" : "addresses");
		}
	}
	*out = p.v;
	*n = p.n;
	return 0;
}
