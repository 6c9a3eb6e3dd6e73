/* Units for builder/tree: the merged view of layer directories (the
 * topmost entry wins, whiteouts hide, opaque directories stop the merge)
 * and path resolution that no symlink or `..` can lead out of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/tree.h"
#include "util/fs.h"
#include "util/mem.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char *top, *mid, *bottom;
	bool can_whiteout; /* mknod 0:0 and trusted.* need root */
};

static void put(const char *layer, const char *path, const char *content)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", layer, path);
	_cleanup_free_ char *d = fs_dirname(p);
	assert_int_equal(fs_mkdir_p(d, 0755, NULL), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = xzalloc(sizeof(*f));
	strcpy(f->dir, "/tmp/stack-test-tree-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->top = xasprintf("%s/top", f->dir);
	f->mid = xasprintf("%s/mid", f->dir);
	f->bottom = xasprintf("%s/bottom", f->dir);
	put(f->bottom, "etc/passwd", "root:x:0:0::/root:/bin/sh\nearl:x:1000:1000::/home/earl:/bin/sh\n");
	put(f->bottom, "etc/old", "old");
	put(f->bottom, "var/lib/a", "bottom-a");
	put(f->bottom, "opaque/hidden", "hidden");
	put(f->mid, "var/lib/b", "mid-b");
	put(f->mid, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	put(f->top, "var/lib/a", "top-a");
	put(f->top, "opaque/shown", "shown");
	_cleanup_free_ char *etc = xasprintf("%s/etc", f->top);
	assert_int_equal(fs_mkdir_p(etc, 0755, NULL), 0);
	_cleanup_free_ char *wh = xasprintf("%s/etc/old", f->top);
	f->can_whiteout = mknod(wh, S_IFCHR | 0600, makedev(0, 0)) == 0;
	_cleanup_free_ char *op = xasprintf("%s/opaque", f->top);
	if (f->can_whiteout)
		f->can_whiteout = setxattr(op, "trusted.overlay.opaque", "y", 1, 0) == 0;
	_cleanup_free_ char *l1 = xasprintf("%s/escape", f->top);
	_cleanup_free_ char *l2 = xasprintf("%s/dotdot", f->top);
	_cleanup_free_ char *l3 = xasprintf("%s/loop", f->top);
	_cleanup_free_ char *l4 = xasprintf("%s/varlink", f->top);
	assert_int_equal(symlink("/etc", l1), 0);
	assert_int_equal(symlink("../../../../../var/lib", l2), 0);
	assert_int_equal(symlink("loop", l3), 0);
	assert_int_equal(symlink("var/lib", l4), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fs_remove_tree(f->dir, NULL);
	free(f->top);
	free(f->mid);
	free(f->bottom);
	free(f);
	return 0;
}

static void open_view(struct fixture *f, struct btree *t)
{
	const char *layers[] = {f->top, f->mid, f->bottom};
	assert_int_equal(btree_open(t, layers, 3, true, NULL), 0);
}

static char *read_path(const struct btree *t, const char *path)
{
	size_t len = 0;
	return btree_read_small(t, path, 1024, &len);
}

static void test_topmost_wins(void **state)
{
	struct fixture *f = *state;
	struct btree t;
	open_view(f, &t);
	char *a = read_path(&t, "/var/lib/a"), *b = read_path(&t, "var/lib/b"), *p = read_path(&t, "/etc/passwd");
	assert_string_equal(a, "top-a");
	assert_string_equal(b, "mid-b");
	assert_string_equal(p, "root:x:0:0::/root:/bin/sh\n");
	free(a);
	free(b);
	free(p);
	/* the directory lists the union */
	struct btree_ent e;
	char *canon = NULL;
	assert_int_equal(btree_resolve(&t, "/var/lib", true, &canon, &e, NULL), 1);
	struct strv names = {0};
	assert_int_equal(btree_list(&t, &e, canon, &names, NULL), 0);
	assert_int_equal(names.n, 2);
	assert_string_equal(names.v[0], "a");
	assert_string_equal(names.v[1], "b");
	strv_free(&names);
	btree_ent_free(&e);
	free(canon);
	btree_close(&t);
}

static void test_whiteout_and_opaque(void **state)
{
	struct fixture *f = *state;
	if (!f->can_whiteout)
		skip();
	struct btree t;
	open_view(f, &t);
	char *old = read_path(&t, "/etc/old");
	assert_null(old);
	char *hidden = read_path(&t, "/opaque/hidden"), *shown = read_path(&t, "/opaque/shown");
	assert_null(hidden);
	assert_string_equal(shown, "shown");
	free(shown);
	btree_close(&t);
	/* a plain directory (a context) has no whiteouts: a device is a device */
	const char *one[] = {f->top};
	assert_int_equal(btree_open(&t, one, 1, false, NULL), 0);
	struct btree_ent e;
	char *canon = NULL;
	assert_int_equal(btree_resolve(&t, "etc/old", false, &canon, &e, NULL), 1);
	assert_true(S_ISCHR(e.st.st_mode));
	btree_ent_free(&e);
	free(canon);
	btree_close(&t);
}

static void test_symlinks_stay_inside(void **state)
{
	struct fixture *f = *state;
	struct btree t;
	open_view(f, &t);
	struct btree_ent e;
	char *canon = NULL;
	/* /etc in the view, never the host's */
	assert_int_equal(btree_resolve(&t, "escape/passwd", true, &canon, &e, NULL), 1);
	assert_string_equal(canon, "etc/passwd");
	btree_ent_free(&e);
	free(canon);
	/* .. stops at the root */
	assert_int_equal(btree_resolve(&t, "dotdot/a", true, &canon, &e, NULL), 1);
	assert_string_equal(canon, "var/lib/a");
	btree_ent_free(&e);
	free(canon);
	assert_int_equal(btree_resolve(&t, "../../../etc/shadow", true, &canon, &e, NULL), 0);
	assert_string_equal(canon, "etc/shadow");
	free(canon);
	/* the last component is followed only when asked */
	assert_int_equal(btree_resolve(&t, "varlink", false, &canon, &e, NULL), 1);
	assert_true(S_ISLNK(e.st.st_mode));
	assert_string_equal(canon, "varlink");
	btree_ent_free(&e);
	free(canon);
	/* a missing path is named through the symlinks before it */
	assert_int_equal(btree_resolve(&t, "varlink/new/file", true, &canon, &e, NULL), 0);
	assert_string_equal(canon, "var/lib/new/file");
	free(canon);
	/* loops end */
	st_error_t err = NULL;
	canon = NULL;
	assert_int_equal(btree_resolve(&t, "loop/x", true, &canon, &e, &err), -1);
	assert_non_null(err);
	st_error_free(&err);
	free(canon);
	btree_close(&t);
}

/* A regular file swapped for a FIFO after it was looked up (a context
 * someone writes during the build): the open neither blocks waiting for
 * a writer nor succeeds. */
static void test_swapped_for_a_fifo(void **state)
{
	struct fixture *f = *state;
	struct btree t;
	open_view(f, &t);
	struct btree_ent e;
	char *canon = NULL;
	assert_int_equal(btree_resolve(&t, "/var/lib/a", true, &canon, &e, NULL), 1);
	_cleanup_free_ char *a = xasprintf("%s/var/lib/a", f->top);
	assert_int_equal(unlink(a), 0);
	assert_int_equal(mkfifo(a, 0600), 0);
	alarm(10); /* a blocking open fails the test instead of hanging it */
	st_error_t err = NULL;
	assert_int_equal(btree_open_file(&t, &e, canon, &err), -1);
	alarm(0);
	st_error_free(&err);
	btree_ent_free(&e);
	free(canon);
	btree_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_topmost_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_for_a_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whiteout_and_opaque, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_stay_inside, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
