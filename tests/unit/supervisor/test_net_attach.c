/* The network module as the supervisor drives it (supervisor/network.h),
 * with real containers: setup, two containers on the default network
 * reaching each other by name through the attach hook, a third joining
 * the first's namespace (RT_NET_JOIN, network_mode: service:NAME),
 * release (the bridge end gone with the container), and a teardown that leaves no namespace, veth or state, run
 * twice.  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../runtime/ct_fixture.h"
#include "supervisor/netlink.h"
#include "supervisor/network.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/stat.h>

/* Does link `name` exist in the namespace fd names (-1: ours)? */
static bool has_link(int ns_fd, const char *name)
{
	struct sup_nl nl;
	st_error_t err = NULL;
	assert_int_equal(sup_nl_open(&nl, ns_fd, &err), 0);
	int idx = sup_nl_ifindex(&nl, name, &err);
	sup_nl_close(&nl);
	assert_true(idx >= 0);
	return idx > 0;
}

static void test_attach_join_teardown(void **state)
{
	(void)state;
	char project[32], root[300], dflt[] = "default", na[] = "a", nb[] = "b";
	snprintf(project, sizeof(project), "ut%d", (int)getpid());
	snprintf(root, sizeof(root), "%s/root", tmp);
	struct st_paths paths = {.root = root, .run = run_dir, .cgroup_parent = cgparent};
	struct spec_net_attach at_a = {.network = dflt}, at_b = {.network = dflt};
	struct spec_service svcs[2] = {
		{.name = na, .network_mode = SPEC_NET_PRIVATE, .networks = &at_a, .n_networks = 1},
		{.name = nb, .network_mode = SPEC_NET_PRIVATE, .networks = &at_b, .n_networks = 1},
	};
	struct spec_network net = {.name = dflt, .implicit = true};
	struct spec_stack stack = {.name = project, .services = svcs, .n_services = 2, .networks = &net, .n_networks = 1};

	struct sup_nets nets;
	st_error_t err = NULL;
	if (sup_net_setup(&paths, &stack, &nets, &err) < 0)
		fail_msg("setup: %s", err->msg);
	assert_int_equal(nets.n, 1);
	assert_true(nets.keep);
	/* a second setup adopts and keeps the addresses */
	struct sup_nets again;
	assert_int_equal(sup_net_setup(&paths, &stack, &again, &err), 0);
	assert_int_equal(again.v[0].subnet.addr, nets.v[0].subnet.addr);
	sup_nets_free(&again);

	struct run ra, rb, rc;
	struct rt_exit st;
	ct_run_init(&ra, "exec sleep 30");
	struct sup_net_attach aa, ab;
	struct strv hosts_a = {0}, hosts_b = {0};
	if (sup_net_attach_prepare(&paths, &stack, &nets, &svcs[0], ra.id, false, &aa, &hosts_a, &err) < 0)
		fail_msg("prepare a: %s", err->msg);
	assert_int_equal(aa.n, 1);
	assert_string_equal(aa.links[0].ifname, "eth0");
	ra.cfg.net = RT_NET_PRIVATE;
	ra.cfg.net_hook = sup_net_attach_hook;
	ra.cfg.net_hook_data = &aa;
	ra.cfg.hostname = "a";
	ra.cfg.extra_hosts = (const char *const *)strv_argv(&hosts_a);
	struct rt_container *ca = ct_start(&ra);

	ct_run_init(&rb, "ping -c 1 -W 2 a >/dev/null && echo ping-ok; grep -w a /etc/hosts");
	if (sup_net_attach_prepare(&paths, &stack, &nets, &svcs[1], rb.id, false, &ab, &hosts_b, &err) < 0)
		fail_msg("prepare b: %s", err->msg);
	rb.cfg.net = RT_NET_PRIVATE;
	rb.cfg.net_hook = sup_net_attach_hook;
	rb.cfg.net_hook_data = &ab;
	rb.cfg.hostname = "b";
	rb.cfg.extra_hosts = (const char *const *)strv_argv(&hosts_b);
	char *out = ct_finish(ct_start(&rb), &st);
	char a_addr[16];
	spec_ipv4_format(aa.links[0].addr, a_addr);
	assert_contains(out, "ping-ok");
	assert_contains(out, a_addr);
	free(out);

	/* network_mode: service:a — the namespace of a's container */
	char ns_path[64];
	snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/net", (int)rt_container_pid(ca));
	int join_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
	assert_true(join_fd >= 0);
	ct_run_init(&rc, "ip -o -4 addr show eth0");
	rc.cfg.net = RT_NET_JOIN;
	rc.cfg.net_join_fd = join_fd;
	out = ct_finish(ct_start(&rc), &st);
	close(join_fd);
	assert_contains(out, a_addr);
	free(out);

	/* the bridge end of a, in the network's namespace, not on the host */
	int stack_ns = open(nets.v[0].netns_path, O_RDONLY | O_CLOEXEC);
	assert_true(stack_ns >= 0);
	assert_true(has_link(stack_ns, aa.links[0].host_ifname));
	assert_false(has_link(-1, aa.links[0].host_ifname));
	assert_false(has_link(-1, SUP_NET_BRIDGE));
	assert_int_equal(rt_container_kill(ca, SIGKILL, &err), 0);
	free(ct_finish(ca, &st));
	assert_int_equal(sup_net_release_container(&paths, &stack, &aa, &err), 0);
	assert_int_equal(sup_net_release_container(&paths, &stack, &ab, &err), 0);
	/* a's bridge end goes with a's namespace, in the kernel's own time */
	for (int i = 0; i < 1000 && has_link(stack_ns, aa.links[0].host_ifname); i++)
		usleep(10000);
	assert_false(has_link(stack_ns, aa.links[0].host_ifname));
	close(stack_ns);

	_cleanup_free_ char *ns_file = xstrdup(nets.v[0].netns_path);
	assert_int_equal(sup_net_teardown(&paths, &stack, &err), 0);
	struct stat sb;
	assert_int_equal(lstat(ns_file, &sb), -1);
	_cleanup_free_ char *state_file = xasprintf("%s/%s/.networks.json", run_dir, project);
	assert_int_equal(lstat(state_file, &sb), -1);
	assert_int_equal(sup_net_teardown(&paths, &stack, &err), 0); /* idempotent */

	sup_net_attach_free(&aa);
	sup_net_attach_free(&ab);
	strv_free(&hosts_a);
	strv_free(&hosts_b);
	sup_nets_free(&nets);
}

/* A process in a network namespace of its own whose IPv4 forwarding is
 * on, as every new namespace's is on a host that forwards (the kernel
 * copies the host's setting); it reports the setting when told. */
struct ns_child {
	pid_t pid;
	int to[2], from[2];
};

static void ns_child_start(struct ns_child *c)
{
	assert_int_equal(pipe(c->to), 0);
	assert_int_equal(pipe(c->from), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		char v[8] = "?";
		int fd = -1;
		if (unshare(CLONE_NEWNET) == 0 &&
		    (fd = open("/proc/sys/net/ipv4/conf/all/forwarding", O_RDWR | O_CLOEXEC)) >= 0 &&
		    write(fd, "1", 1) == 1 && write(c->from[1], "r", 1) == 1 && read(c->to[0], v, 1) == 1 &&
		    pread(fd, v, sizeof(v) - 1, 0) > 0 && write(c->from[1], v, 1) == 1)
			_exit(0);
		_exit(1);
	}
	close(c->to[0]);
	close(c->from[1]);
	char r;
	assert_int_equal(read(c->from[0], &r, 1), 1);
}

/* The child's forwarding now: '0' or '1'. */
static char ns_child_forwarding(struct ns_child *c)
{
	char v = '?';
	assert_int_equal(write(c->to[1], "q", 1), 1);
	assert_int_equal(read(c->from[0], &v, 1), 1);
	int st;
	assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
	close(c->to[1]);
	close(c->from[0]);
	return v;
}

/* A container on two networks must not route between them: one on
 * `front` only could send a frame to its MAC (CAP_NET_RAW is in the
 * default set) addressed to a container of `back`. */
static void test_two_networks_no_forwarding(void **state)
{
	(void)state;
	char project[32], root[300], nf[] = "front", nb[] = "back", sf[] = "10.94.7.0/24", sb[] = "10.94.8.0/24",
						   nw[] = "web";
	snprintf(project, sizeof(project), "ut%d", (int)getpid());
	snprintf(root, sizeof(root), "%s/root", tmp);
	struct st_paths paths = {.root = root, .run = run_dir, .cgroup_parent = cgparent};
	struct spec_net_attach at[2] = {{.network = nf}, {.network = nb}};
	struct spec_service svc = {.name = nw, .network_mode = SPEC_NET_PRIVATE, .networks = at, .n_networks = 2};
	struct spec_network net[2] = {{.name = nf, .subnet = sf}, {.name = nb, .subnet = sb}};
	struct spec_stack stack = {.name = project, .services = &svc, .n_services = 1, .networks = net, .n_networks = 2};
	struct sup_nets nets;
	st_error_t err = NULL;
	if (sup_net_setup(&paths, &stack, &nets, &err) < 0)
		fail_msg("setup: %s", err->msg);
	struct sup_net_attach a;
	struct strv hosts = {0};
	if (sup_net_attach_prepare(&paths, &stack, &nets, &svc, "web-1", false, &a, &hosts, &err) < 0)
		fail_msg("prepare: %s", err->msg);
	struct ns_child c;
	ns_child_start(&c);
	int r = sup_net_attach_hook(c.pid, &a, &err);
	if (r < 0)
		fail_msg("hook: %s", err->msg);
	assert_int_equal(ns_child_forwarding(&c), '0');
	assert_int_equal(sup_net_release_container(&paths, &stack, &a, &err), 0);
	assert_int_equal(sup_net_teardown(&paths, &stack, &err), 0);
	sup_net_attach_free(&a);
	strv_free(&hosts);
	sup_nets_free(&nets);
}

static int group_setup(void **state)
{
	(void)state;
	return ct_fixture_setup("test_net_attach", 'n');
}

static int group_teardown(void **state)
{
	(void)state;
	/* A failed assertion skips the test's own teardown: the namespace's
	 * bind mount must not outlive us (nor block the temp dir's removal). */
	char project[32], root[300];
	snprintf(project, sizeof(project), "ut%d", (int)getpid());
	snprintf(root, sizeof(root), "%s/root", tmp);
	struct st_paths paths = {.root = root, .run = run_dir, .cgroup_parent = cgparent};
	struct spec_stack stack = {.name = project};
	st_error_t err = NULL;
	if (sup_net_teardown(&paths, &stack, &err) < 0) {
		fprintf(stderr, "teardown: %s\n", err->msg);
		st_error_free(&err);
	}
	return ct_fixture_teardown();
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_net_attach: needs root\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_join_teardown),
		cmocka_unit_test(test_two_networks_no_forwarding),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
