/* Units for builder/copy: a context file written or replaced between the
 * plan (whose hash is the step's cache key) and the copy into the layer
 * fails the step; otherwise the key would name other bytes than the layer
 * holds, and a later build with the planned content would get these. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/copy.h"
#include "builder/digest.h"
#include "builder/tree.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char *ctx, *store, *layer;
	struct btree ctx_tree, image;
	struct build_digests *digests;
	struct build_copy_plan plan;
	struct strv srcs;
};

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = xzalloc(sizeof(*f));
	strcpy(f->dir, "/tmp/stack-test-copy-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->ctx = xasprintf("%s/ctx", f->dir);
	f->store = xasprintf("%s/store", f->dir);
	f->layer = xasprintf("%s/layer", f->dir);
	assert_int_equal(fs_mkdir_p(f->ctx, 0755, NULL), 0);
	assert_int_equal(fs_mkdir_p(f->store, 0700, NULL), 0);
	assert_int_equal(fs_mkdir_p(f->layer, 0755, NULL), 0);
	_cleanup_free_ char *a = xasprintf("%s/a.txt", f->ctx);
	put(a, "planned\n");
	const char *ctx = f->ctx;
	assert_int_equal(btree_open(&f->ctx_tree, &ctx, 1, false, NULL), 0);
	assert_int_equal(btree_open(&f->image, NULL, 0, true, NULL), 0);
	f->digests = build_digests_open(f->store, f->ctx);
	strv_push(&f->srcs, "a.txt");
	struct build_copy_src src = {.tree = &f->ctx_tree, .digests = f->digests};
	struct build_copy_req req = {.cmd = "COPY", .srcs = &f->srcs, .dest = "/a.txt"};
	st_error_t err = NULL;
	assert_int_equal(build_copy_select(&src, &f->image, &req, &f->plan, &err), 0);
	assert_int_equal(f->plan.n, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	build_copy_plan_free(&f->plan);
	build_digests_free(f->digests);
	btree_close(&f->ctx_tree);
	btree_close(&f->image);
	strv_free(&f->srcs);
	fs_remove_tree(f->dir, NULL);
	free(f->ctx);
	free(f->store);
	free(f->layer);
	free(f);
	return 0;
}

static int write_plan(struct fixture *f, st_error_t *err)
{
	struct build_copy_src src = {.tree = &f->ctx_tree, .digests = f->digests};
	return build_copy_write(&src, &f->image, &f->plan, f->layer, err);
}

static void test_unchanged_is_copied(void **state)
{
	struct fixture *f = *state;
	st_error_t err = NULL;
	assert_int_equal(write_plan(f, &err), 0);
	_cleanup_free_ char *out = xasprintf("%s/a.txt", f->layer);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(fs_read_file(out, 0, &text, &len, NULL), 0);
	assert_string_equal(text, "planned\n");
	free(text);
}

static void test_written_after_the_plan_fails(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *a = xasprintf("%s/a.txt", f->ctx);
	put(a, "written later\n");
	st_error_t err = NULL;
	assert_int_equal(write_plan(f, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "changed while it was being copied"));
	st_error_free(&err);
}

static void test_replaced_after_the_plan_fails(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *a = xasprintf("%s/a.txt", f->ctx);
	_cleanup_free_ char *b = xasprintf("%s/b.txt", f->ctx);
	put(b, "planned\n"); /* same size and content, another file */
	assert_int_equal(rename(b, a), 0);
	st_error_t err = NULL;
	assert_int_equal(write_plan(f, &err), -1);
	st_error_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unchanged_is_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_written_after_the_plan_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_after_the_plan_fails, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
