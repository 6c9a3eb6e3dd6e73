/* fs_remove_tree(): trees deeper than PATH_MAX, with few fds, without
 * following symlinks or emptying a mount below the tree; and
 * fs_remove_tree_at(), which refuses a top that is a mount point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "../tmp_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	(void)state;
	return tmp_fixture_make("/tmp/stack-fs-remove-XXXXXX");
}

static void touch_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* DIR/d/d/.../d, `levels` deep, a file and a symlink on every level:
 * built with *at() calls, as a container's `mkdir; cd` loop does. */
static void make_deep(const char *dir, int levels)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < levels; i++) {
		touch_at(fd, "f");
		assert_int_equal(symlinkat("/", fd, "l"), 0);
		assert_int_equal(mkdirat(fd, "dd", 0755), 0);
		int next = openat(fd, "dd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void test_deeper_than_path_max(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = xasprintf("%s/deep", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	int levels = PATH_MAX / 3 + 64; /* "dd/" per level: longer than PATH_MAX */
	make_deep(dir, levels);
	/* In a child with few fds allowed: one per level would hit EMFILE. */
	int before = count_fds();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = 64, .rlim_max = 64};
		st_error_t err = NULL;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(2);
		if (fs_remove_tree(dir, &err) < 0) {
			fprintf(stderr, "fs_remove_tree: %s (%s)\n", err->msg, strerror(err->status));
			_exit(1);
		}
		_exit(count_fds() == before ? 0 : 3);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	struct stat sb;
	assert_int_equal(lstat(dir, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_symlinks_not_followed(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = xasprintf("%s/links", tmp);
	_cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
	_cleanup_free_ char *keep = xasprintf("%s/outside/keep", tmp);
	_cleanup_free_ char *link = xasprintf("%s/links/to-outside", tmp);
	_cleanup_free_ char *top_link = xasprintf("%s/top-link", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_int_equal(mkdir(keep, 0755), 0);
	assert_int_equal(symlink(outside, link), 0);
	st_error_t err = NULL;
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	struct stat sb;
	assert_int_equal(lstat(dir, &sb), -1);
	assert_int_equal(lstat(keep, &sb), 0);
	/* The path itself a symlink to a directory: the link goes, not the
	 * directory's content. */
	assert_int_equal(symlink(outside, top_link), 0);
	assert_int_equal(fs_remove_tree(top_link, &err), 0);
	assert_int_equal(lstat(top_link, &sb), -1);
	assert_int_equal(lstat(keep, &sb), 0);
	/* Missing: not an error. */
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	assert_null(err);
}

static void test_mount_below_is_left_and_reported(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = xasprintf("%s/mnt", tmp);
	_cleanup_free_ char *sub = xasprintf("%s/mnt/a/m", tmp);
	_cleanup_free_ char *inside = xasprintf("%s/mnt/a/m/precious", tmp);
	st_error_t err = NULL;
	assert_int_equal(fs_mkdir_p(sub, 0755, &err), 0);
	/* A mount namespace of this test process's own: nothing leaks onto
	 * the host if an assertion stops the test halfway. */
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mount("stack-test", sub, "tmpfs", 0, "size=64k"), 0);
	int fd = open(inside, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fs_remove_tree(dir, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "a/m"));
	assert_non_null(strstr(err->msg, "mount point"));
	st_error_free(&err);
	struct stat sb;
	assert_int_equal(lstat(inside, &sb), 0);
	assert_int_equal(umount(sub), 0);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	assert_int_equal(lstat(dir, &sb), -1);
}

/* fs_remove_tree_at() on a top that is itself a mount point: a tmpfs
 * (another device) or a bind mount of the same filesystem (a mount's
 * root) is refused whole; unmounted, it goes. */
static void test_at_top_mount_point_is_refused(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = xasprintf("%s/vols", tmp);
	_cleanup_free_ char *top = xasprintf("%s/vols/v", tmp);
	_cleanup_free_ char *src = xasprintf("%s/vols/src", tmp);
	_cleanup_free_ char *inside = xasprintf("%s/vols/v/precious", tmp);
	st_error_t err = NULL;
	assert_int_equal(fs_mkdir_p(top, 0755, &err), 0);
	assert_int_equal(fs_mkdir_p(src, 0755, &err), 0);
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	struct stat sb;
	for (int bind = 0; bind < 2; bind++) {
		if (bind)
			assert_int_equal(mount(src, top, NULL, MS_BIND, NULL), 0);
		else
			assert_int_equal(mount("stack-test", top, "tmpfs", 0, "size=64k"), 0);
		int fd = open(inside, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(fs_remove_tree_at(dfd, "v", top, &err), -1);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, "is a mount point"));
		assert_non_null(strstr(err->msg, "umount"));
		st_error_free(&err);
		assert_int_equal(lstat(inside, &sb), 0);
		assert_int_equal(umount(top), 0);
	}
	/* what the bind showed is the source's, untouched */
	_cleanup_free_ char *in_src = xasprintf("%s/vols/src/precious", tmp);
	assert_int_equal(lstat(in_src, &sb), 0);
	assert_int_equal(fs_remove_tree_at(dfd, "v", top, &err), 0);
	assert_int_equal(lstat(top, &sb), -1);
	/* a symlink top: the link goes, not what it points to */
	assert_int_equal(symlinkat(src, dfd, "link"), 0);
	assert_int_equal(fs_remove_tree_at(dfd, "link", "link", &err), 0);
	assert_int_equal(fstatat(dfd, "link", &sb, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(lstat(in_src, &sb), 0);
	/* missing: not an error */
	assert_int_equal(fs_remove_tree_at(dfd, "gone", "gone", &err), 0);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deeper_than_path_max),
		cmocka_unit_test(test_symlinks_not_followed),
		cmocka_unit_test(test_mount_below_is_left_and_reported),
		cmocka_unit_test(test_at_top_mount_point_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, tmp_fixture_teardown);
}
