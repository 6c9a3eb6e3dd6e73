/* The generated /etc/hosts, /etc/hostname and resolv.conf: a value that
 * would start a line (or a field) of its own is refused even when the
 * config did not come through the spec loader, and nothing is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/test-hosts-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

/* rt_etc_files_write must fail with EINVAL and leave dir empty. */
static void refused(const struct rt_config *cfg, const char *hostname)
{
	_cleanup_free_ char *dir = tmpdir();
	st_error_t err = NULL;
	assert_int_equal(rt_etc_files_write(cfg, hostname, dir, &err), -1);
	assert_int_equal(err->status, EINVAL);
	st_error_free(&err);
	assert_int_equal(rmdir(dir), 0); /* empty: nothing was written */
}

static void test_hostile_values(void **state)
{
	(void)state;
	struct rt_config cfg;
	rt_config_init(&cfg);
	cfg.net = RT_NET_PRIVATE;
	refused(&cfg, "a\n6.6.6.6 bank");
	refused(&cfg, "a 6.6.6.6");
	refused(&cfg, "a\tb");
	refused(&cfg, "a#b");
	refused(&cfg, "");
	const char *bad_dns[] = {"1.1.1.1\nsearch evil", NULL};
	cfg.dns = bad_dns;
	refused(&cfg, "web");
	cfg.dns = NULL;
	const char *bad_dns2[] = {"example.com", NULL};
	cfg.dns = bad_dns2;
	refused(&cfg, "web");
	cfg.dns = NULL;
	static const char *bad_hosts[] = {"x:1.2.3.4\n6.6.6.6 bank", "x 6.6.6.6:1.2.3.4", "x:not-an-ip", "no-colon", ":1.2.3.4"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_hosts); i++) {
		const char *one[] = {bad_hosts[i], NULL};
		cfg.extra_hosts = one;
		refused(&cfg, "web");
	}
}

static void test_good_values(void **state)
{
	(void)state;
	struct rt_config cfg;
	rt_config_init(&cfg);
	cfg.net = RT_NET_PRIVATE;
	const char *dns[] = {"192.0.2.53", NULL};
	const char *hosts[] = {"db:192.0.2.7", "v6:2001:db8::1", NULL};
	cfg.dns = dns;
	cfg.extra_hosts = hosts;
	_cleanup_free_ char *dir = tmpdir();
	st_error_t err = NULL;
	assert_int_equal(rt_etc_files_write(&cfg, "web-1", dir, &err), 0);
	_cleanup_free_ char *path = xasprintf("%s/hosts", dir);
	_cleanup_free_ char *text = NULL;
	assert_int_equal(fs_read_file(path, 1 << 16, &text, NULL, &err), 0);
	assert_non_null(strstr(text, "127.0.0.1\tlocalhost web-1\n"));
	assert_non_null(strstr(text, "192.0.2.7\tdb\n"));
	assert_non_null(strstr(text, "2001:db8::1\tv6\n"));
	assert_int_equal(fs_remove_tree(dir, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_good_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
