/* The networks' state file (supervisor/net_state.h): a round trip keeps
 * subnets, addresses, holders and `keep`; a damaged or hostile file is an
 * error, never a guess; the lock survives a teardown's unlink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervisor/net_state.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/net-state-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_error_t err = NULL;
	fs_remove_tree(dir, &err);
	st_error_free(&err);
	free(dir);
	return 0;
}

static void write_state(const char *text)
{
	_cleanup_free_ char *p = sup_net_state_path(dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_round_trip(void **state)
{
	(void)state;
	char web[] = "svc:web", holder[] = "t-web-1", cli[] = "run:t-cli-run-abcdef", front[] = "front";
	struct sup_net_host hosts[] = {
		{.key = web, .addr = 0x0a5a0102u, .holder = holder},
		{.key = cli, .addr = 0x0a5a0103u},
	};
	struct sup_net net = {.name = front, .subnet = {0x0a5a0100u, 24}, .hosts = hosts, .n_hosts = 2};
	struct sup_nets in = {.v = &net, .n = 1, .keep = true}, out;
	st_error_t err = NULL;
	assert_int_equal(sup_net_state_write(dir, &in, &err), 0);
	assert_int_equal(sup_net_state_read(dir, &out, &err), 0);
	assert_true(out.keep);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].name, "front");
	_cleanup_free_ char *ns = xasprintf("%s/netns/front", dir);
	assert_string_equal(out.v[0].netns_path, ns);
	assert_int_equal(out.v[0].gateway, 0x0a5a0101u);
	assert_int_equal(out.v[0].n_hosts, 2);
	const struct sup_net_host *w = NULL, *r = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(out.v[0].hosts[i].key, "svc:web") == 0)
			w = &out.v[0].hosts[i];
		else
			r = &out.v[0].hosts[i];
	}
	assert_non_null(w);
	assert_non_null(r);
	assert_int_equal(w->addr, 0x0a5a0102u);
	assert_string_equal(w->holder, "t-web-1");
	assert_int_equal(r->addr, 0x0a5a0103u);
	assert_null(r->holder);
	sup_nets_free(&out);
}

static void test_no_file_is_empty(void **state)
{
	(void)state;
	struct sup_nets out;
	st_error_t err = NULL;
	assert_int_equal(sup_net_state_read(dir, &out, &err), 0);
	assert_int_equal(out.n, 0);
	assert_false(out.keep);
}

/* Each of these is refused: an address that is not the subnet's or not
 * one sup_net_alloc_addr gives (the bridge's, network, broadcast, one
 * taken twice), a network name that would leave netns/, a holder that
 * would leave the run dir, and plain garbage. */
static void test_hostile(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"not json",
		"{\"networks\": 3}",
		"{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"10.2.0.5\"}}}}}",
		"{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"x\"}}}}}",
		"{\"networks\": {\"../../etc\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {}}}}",
		"{\"networks\": {\"n\": {\"subnet\": \"127.0.0.0/8\", \"hosts\": {}}}}",
		"{\"networks\": {\"n\": {\"hosts\": {}}}}",
		("{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"10.1.0.5\", "
		 "\"holder\": \"../x\"}}}}}"),
		/* the bridge's, the subnet's own and its broadcast address */
		"{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"10.1.0.1\"}}}}}",
		"{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"10.1.0.0\"}}}}}",
		"{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"10.1.0.255\"}}}}}",
		/* two containers on one address */
		("{\"networks\": {\"n\": {\"subnet\": \"10.1.0.0/24\", \"hosts\": {\"svc:a\": {\"addr\": \"10.1.0.5\"}, "
		 "\"svc:b\": {\"addr\": \"10.1.0.5\"}}}}}"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_state(bad[i]);
		struct sup_nets out;
		st_error_t err = NULL;
		if (sup_net_state_read(dir, &out, &err) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(err);
		st_error_free(&err);
	}
}

static void test_lock_after_unlink(void **state)
{
	(void)state;
	int fd = -1;
	st_error_t err = NULL;
	assert_int_equal(sup_net_lock(dir, &fd, &err), 0);
	sup_net_unlock(dir, fd, true);
	_cleanup_free_ char *lock = xasprintf("%s/.networks.flock", dir);
	assert_int_equal(access(lock, F_OK), -1);
	/* a new lock file, locked, under the same name */
	assert_int_equal(sup_net_lock(dir, &fd, &err), 0);
	assert_int_equal(access(lock, F_OK), 0);
	sup_net_unlock(dir, fd, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_file_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_after_unlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
