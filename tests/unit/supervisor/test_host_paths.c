/* Where the supervisor builds host paths from model names (the lock and
 * state dir of a container, an environment secret's file, a named volume's
 * directory): a name that is not one file name is refused there too, for a
 * model that did not come through the spec loader, and nothing is created
 * outside the run and root dirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/model.h"
#include "supervisor/ctconf.h"
#include "supervisor/stale.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/paths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[] = "/tmp/test-host-paths-XXXXXX";
static char *run_dir, *root_dir;
static struct st_paths paths;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(top))
		return -1;
	/* The run and root dirs two levels below top, so `../..` lands in top. */
	_cleanup_free_ char *run = xasprintf("%s/a/run", top), *root = xasprintf("%s/a/root", top);
	st_error_t err = NULL;
	if (fs_mkdir_p(run, 0700, &err) < 0 || fs_mkdir_p(root, 0700, &err) < 0)
		return -1;
	run_dir = xstrdup(run);
	root_dir = xstrdup(root);
	paths = (struct st_paths){.root = root_dir, .run = run_dir, .cgroup_parent = "stack-test-host-paths"};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(run_dir);
	free(root_dir);
	return fs_remove_tree(top, NULL);
}

static bool exists_in_top(const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", top, name);
	struct stat st;
	return lstat(p, &st) == 0;
}

static void test_lock_id(void **state)
{
	(void)state;
	struct spec_stack stack = {.name = (char *)"p"};
	_cleanup_free_ char *victim = xasprintf("%s/f.lock", top);
	assert_int_equal(fs_write_file_atomic(victim, "keep", 4, 0600, NULL), 0);
	static const char *bad[] = {"../../../f", "a/b", ".", "..", ""};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int fd = -1;
		st_error_t err = NULL;
		assert_int_equal(sup_lock_take(&paths, &stack, bad[i], &fd, &err), -1);
		assert_int_equal(err->status, EINVAL);
		st_error_free(&err);
		assert_int_equal(fd, -1);
	}
	assert_true(exists_in_top("f.lock"));
}

static void test_secret_and_volume_names(void **state)
{
	(void)state;
	struct spec_secret sec = {
		.name = (char *)"../../../x", .environment = (char *)"TEST_SECRET_VALUE", .value = (char *)"pwned"};
	struct spec_secret_ref ref = {.source = sec.name, .target = (char *)"/run/secrets/x", .uid = -1, .gid = -1};
	char *argv[] = {(char *)"true", NULL};
	struct spec_service svc = {.name = (char *)"s", .secrets = &ref, .n_secrets = 1};
	svc.command = (struct strv){.v = argv, .n = 1};
	svc.command_set = true;
	struct spec_stack stack = {.name = (char *)"p", .secrets = &sec, .n_secrets = 1};
	struct strv lowers = {0};
	struct sup_ctconf c;
	st_error_t err = NULL;
	assert_int_equal(sup_ctconf_build(&paths, &stack, &svc, "p-s-1", &lowers, NULL, NULL, &c, &err), -1);
	assert_int_equal(err->status, EINVAL);
	st_error_free(&err);
	assert_false(exists_in_top("x"));
	assert_false(exists_in_top("a/run/p/p-s-1.secrets")); /* not even the secrets dir */

	struct spec_mount m = {.type = SPEC_MOUNT_VOLUME, .source = (char *)"../../../v", .target = (char *)"/data"};
	struct spec_service svc2 = {.name = (char *)"s", .mounts = &m, .n_mounts = 1};
	svc2.command = svc.command;
	svc2.command_set = true;
	assert_int_equal(sup_ctconf_build(&paths, &stack, &svc2, "p-s-2", &lowers, NULL, NULL, &c, &err), -1);
	assert_int_equal(err->status, EINVAL);
	st_error_free(&err);
	assert_false(exists_in_top("v"));
	assert_false(exists_in_top("p_../../../v"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_id),
		cmocka_unit_test(test_secret_and_volume_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
