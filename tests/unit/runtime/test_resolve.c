/* rt_open_in_root(): container paths resolved below a root directory,
 * with openat2(RESOLVE_IN_ROOT) and with the careful walk used where
 * openat2 is missing.  Every case runs in both modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/stack-resolve-XXXXXX";
static char root[300];
static int rootfd = -1;

static void mk(const char *rel, bool dir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir) {
		assert_int_equal(mkdir(p, 0755), 0);
	} else {
		int fd = open(p, O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
}

static void ln(const char *target, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmp))
		return -1;
	snprintf(root, sizeof(root), "%s/root", tmp);
	if (mkdir(root, 0755) < 0)
		return -1;
	mk("a", true);
	mk("a/b", true);
	mk("a/b/file", false);
	ln("/a", "abs");                      /* absolute: from the root */
	ln("../../../../../../a", "rel");     /* climbs "above" the root */
	ln("../../../../../../../etc", "hostetc"); /* the host's /etc, if followed */
	ln("/nope/deeper", "dangling");
	ln("loop2", "loop1");
	ln("loop1", "loop2");
	ln("b/file", "a/tofile");
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(rootfd);
	st_error_t err = NULL;
	fs_remove_tree(tmp, &err);
	st_error_free(&err);
	return 0;
}

/* The fd must be the very inode at root/expect. */
static void assert_resolves(const char *path, const char *expect)
{
	st_error_t err = NULL;
	int fd = rt_open_in_root(rootfd, path, 0, &err);
	if (fd < 0)
		fprintf(stderr, "%s: %s\n", path, err->msg);
	assert_true(fd >= 0);
	struct stat a, b;
	assert_int_equal(fstat(fd, &a), 0);
	close(fd);
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, expect);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
}

static void assert_fails(const char *path, mode_t create, int want_errno)
{
	st_error_t err = NULL;
	int fd = rt_open_in_root(rootfd, path, create, &err);
	if (fd >= 0)
		close(fd);
	assert_true(fd < 0);
	assert_non_null(err);
	assert_int_equal(err->status, want_errno);
	st_error_free(&err);
}

static void check_all(void)
{
	assert_resolves("/a/b/file", "a/b/file");
	assert_resolves("/abs/b", "a/b");
	assert_resolves("/rel/b/file", "a/b/file");
	assert_resolves("/../../a/./b/../b", "a/b");
	assert_resolves("/a/tofile", "a/b/file");
	assert_resolves("/", ".");
	/* root/etc does not exist: the host's /etc must not be found. */
	assert_fails("/hostetc/passwd", 0, ENOENT);
	assert_fails("/dangling", 0, ENOENT);
	assert_fails("/loop1", 0, ELOOP);
	/* Creation: missing parents become directories, inside the root. */
	st_error_t err = NULL;
	int fd = rt_open_in_root(rootfd, rt_resolve_force_walk ? "/w/x/y" : "/o/x/y", S_IFDIR, &err);
	assert_true(fd >= 0);
	close(fd);
	fd = rt_open_in_root(rootfd, "/abs/newfile", S_IFREG, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_resolves("/a/newfile", "a/newfile");
	char *nf = fs_path_join_clean(root, "a/newfile");
	unlink(nf);
	free(nf);
	/* Through the escaping symlink the file is made inside the root
	 * (root/etc), as runc does, and nothing on the host. */
	fd = rt_open_in_root(rootfd, "/hostetc/stack-resolve-test", S_IFREG, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_resolves("/etc/stack-resolve-test", "etc/stack-resolve-test");
	struct stat st;
	assert_int_equal(lstat("/etc/stack-resolve-test", &st), -1);
	/* A dangling symlink's target and its parents are made in the root. */
	fd = rt_open_in_root(rootfd, "/dangling", S_IFDIR, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_resolves("/nope/deeper", "nope/deeper");
	assert_fails("/loop1", S_IFREG, ELOOP);
	assert_fails("/a/b/file/x", S_IFREG, ENOTDIR);
	char *p = fs_path_join_clean(root, "etc/stack-resolve-test");
	unlink(p);
	free(p);
	p = fs_path_join_clean(root, "etc");
	rmdir(p);
	free(p);
	p = fs_path_join_clean(root, "nope/deeper");
	rmdir(p);
	free(p);
	p = fs_path_join_clean(root, "nope");
	rmdir(p);
	free(p);
}

static void test_openat2(void **state)
{
	(void)state;
	rt_resolve_force_walk = false;
	check_all();
	assert_resolves("/o/x/y", "o/x/y");
}

static void test_careful_walk(void **state)
{
	(void)state;
	rt_resolve_force_walk = true;
	check_all();
	assert_resolves("/w/x/y", "w/x/y");
	rt_resolve_force_walk = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat2),
		cmocka_unit_test(test_careful_walk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
