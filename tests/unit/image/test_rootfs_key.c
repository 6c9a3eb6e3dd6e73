/* img_rootfs_key: a rootfs's store name is its source's identity plus a
 * stamp.  Two sources with the same content are two keys; a change the
 * stamp covers (an archive rewritten; an entry of the directory's top
 * added, removed, rewritten or touched; a file one level down added,
 * removed or replaced) is a new key;
 * nothing changed is the same key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/store.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/stack-rootfs-key-XXXXXX";

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static char *key(const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	st_error_t err = NULL;
	char *k = img_rootfs_key(p, &err);
	if (!k)
		fail_msg("img_rootfs_key %s: %s", p, err->msg);
	assert_int_equal(strncmp(k, "rootfs@", 7), 0);
	return k;
}

/* Run CMD and assert that the key of REL changed (or not). */
static void after(const char *rel, bool changes, const char *cmd)
{
	_cleanup_free_ char *before = key(rel);
	sh("cd %s && %s", dir, cmd);
	_cleanup_free_ char *now = key(rel);
	if (changes && strcmp(before, now) == 0)
		fail_msg("`%s`: key of %s unchanged (%s)", cmd, rel, now);
	if (!changes && strcmp(before, now) != 0)
		fail_msg("`%s`: key of %s changed", cmd, rel);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	sh("cd %s && for d in a b; do mkdir -p $d/etc $d/usr/lib/deep && echo x >$d/etc/passwd && echo y >$d/usr/lib/deep/f; done"
	   " && tar -C a -cf a.tar . && cp a.tar b.tar",
	   dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fs_remove_tree(dir, NULL);
}

static void test_same_content_other_source(void **state)
{
	(void)state;
	_cleanup_free_ char *a = key("a"), *b = key("b"), *at = key("a.tar"), *bt = key("b.tar");
	assert_string_not_equal(a, b);
	assert_string_not_equal(at, bt);
	assert_string_not_equal(a, at);
	/* stable while nothing changes */
	_cleanup_free_ char *a2 = key("a");
	assert_string_equal(a, a2);
}

static void test_changes_noticed(void **state)
{
	(void)state;
	after("a", true, "echo new >a/marker");                     /* added at the top */
	after("a", true, "echo z >>a/marker");                      /* rewritten in place at the top */
	after("a", true, "chmod 600 a/marker");                     /* attributes */
	after("a", true, "cp a/etc/passwd a/p && mv a/p a/etc/passwd"); /* replaced one level down */
	after("a", true, "rm a/etc/passwd");                        /* removed one level down */
	after("a", true, "mkdir a/usr/share");                      /* added one level down */
	after("a", true, "touch a/etc");                            /* a top entry touched */
	after("a", true, "touch a");                                /* the documented way to force a re-import */
	after("a.tar", true, "tar -C b -cf a.tar .");               /* archive rewritten */
	after("a.tar", true, "touch a.tar");
	after("a", false, "cat a/usr/lib/deep/f >/dev/null; echo w >b/new");
	/* The documented limit: a file rewritten in place below the top is not seen. */
	after("a", false, "echo q >>a/usr/lib/deep/f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_content_other_source),
		cmocka_unit_test(test_changes_noticed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
