/* The canonical tar of a deep tree (layer_export.c walks it recursively):
 * a container can make directories thousands deep in its upper dir, and a
 * hostile rootfs tarball can ship them.  2,500 levels made the import
 * helper die of SIGSEGV (each level's frame held a PATH_MAX buffer: 4 KiB
 * times the depth overflowed the 8 MiB stack).  Now a tree 3,000 deep
 * exports, and one deeper than the walk allows is a clear error, never a
 * crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/archive_dl.h"
#include "image/layer_tar.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "../tmp_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	(void)state;
	return tmp_fixture_make("/tmp/review-deep-layer-XXXXXX");
}

/* tmp/NAME/d/d/.../d, `depth` levels below NAME, with a symlink at the bottom. */
static void make_deep(const char *name, int depth)
{
	_cleanup_free_ char *top = xasprintf("%s/%s", tmp, name);
	assert_int_equal(mkdir(top, 0755), 0);
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < depth; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	assert_int_equal(symlinkat("../target", fd, "link"), 0);
	close(fd);
}

/* img_layer_tar of tmp/NAME in a child: how it ended; *r its result, the
 * error text in *msg. */
static int export_in_child(const char *name, int *r, char *msg, size_t msg_size)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		st_error_t err = NULL;
		char hex[ST_SHA256_HEX_LEN + 1];
		_cleanup_free_ char *dir = xasprintf("%s/%s", tmp, name);
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int res = dfd < 0 || img_archive_load(&err) < 0 ? -1 : img_layer_tar(dfd, dir, -1, hex, &err);
		_cleanup_free_ char *text = err ? st_error_text(err) : xstrdup("");
		if (write(p[1], text, strlen(text)) < 0)
			_exit(3);
		_exit(res == 0 ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = read(p[0], msg, msg_size - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	return status;
}

/* One fd per level is held on the way down: have room for it. */
static void room_for_fds(int n)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)n + 64)
		skip();
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static void test_deep_tree_exports(void **state)
{
	(void)state;
	room_for_fds(3000);
	make_deep("ok", 3000);
	int r;
	char msg[4096];
	int status = export_in_child("ok", &r, msg, sizeof(msg));
	if (WIFSIGNALED(status))
		fail_msg("the export of a tree 3000 deep died of signal %d", WTERMSIG(status));
	if (r != 0)
		fail_msg("the export of a tree 3000 deep failed: %s", msg);
}

static void test_too_deep_tree_is_an_error(void **state)
{
	(void)state;
	room_for_fds(4200);
	make_deep("deep", 5000);
	int r;
	char msg[4096];
	int status = export_in_child("deep", &r, msg, sizeof(msg));
	if (WIFSIGNALED(status))
		fail_msg("the export of a tree 5000 deep died of signal %d", WTERMSIG(status));
	assert_int_equal(r, -1);
	if (!strstr(msg, "deeper than"))
		fail_msg("no clear error for a tree 5000 deep: %s", msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deep_tree_exports, setup, tmp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_too_deep_tree_is_an_error, setup, tmp_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
