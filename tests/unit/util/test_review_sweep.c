/* fs_sweep_tmp() removes only what fs_write_file_atomic() names its temp
 * files (PATH.tmp.HEX, or PATH.tmp.PID of older writers): a file that
 * merely has ".tmp." in its name, such as the record of an image called
 * registry.tmp.example/app, is somebody's data, not a leftover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/review-sweep-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

/* Also when an assertion failed halfway. */
static int teardown(void **state)
{
	(void)state;
	return fs_remove_tree(dir, NULL);
}

static void touch(const char *d, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", d, name);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static bool exists(const char *d, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", d, name);
	return access(p, F_OK) == 0;
}

static void test_sweep_keeps_names_that_only_contain_tmp(void **state)
{
	(void)state;
	/* images/NAME.json with '/' escaped as %2F (image/store.c) */
	static const char *const kept[] = {"registry.tmp.example%2Fapp.json", "my.tmp.1.json", "a.tmp.x",
					   "x.tmp.", "cache.tmp.0123456789ab.json"};
	static const char *const swept[] = {"rec.json.tmp.0123456789ab", "rec.json.tmp.4242",
					    "registry.tmp.example%2Fapp.json.tmp.a1b2c3d4e5f6"};
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		touch(dir, kept[i]);
	for (size_t i = 0; i < ARRAY_SIZE(swept); i++)
		touch(dir, swept[i]);
	fs_sweep_tmp(dir);
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		if (!exists(dir, kept[i]))
			fail_msg("fs_sweep_tmp removed `%s`, which no writer of ours names", kept[i]);
	for (size_t i = 0; i < ARRAY_SIZE(swept); i++)
		if (exists(dir, swept[i]))
			fail_msg("fs_sweep_tmp left the dead temp file `%s`", swept[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep_keeps_names_that_only_contain_tmp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
