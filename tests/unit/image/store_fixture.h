/* The fixture the image store unit tests share: a temp dir DIR (the
 * mkdtemp template each program names) with a store opened at DIR/root,
 * a shell runner and an import that must succeed.  Each test program
 * includes it once, after cmocka.h. */
#ifndef STACK_TEST_STORE_FIXTURE_H
#define STACK_TEST_STORE_FIXTURE_H

#include "image/store.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	char dir[64];
	char *root;
	char *src; /* the program's own source tree under DIR, or NULL */
	struct img_store store;
};

/* Run a shell command; it must succeed. */
__attribute__((unused, format(printf, 1, 2))) static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	int r = system(cmd);
	if (r != 0)
		fprintf(stderr, "command failed (%d): %s\n", r, cmd);
	assert_int_equal(r, 0);
	free(cmd);
}

/* Make DIR from `tmpl` and open the store in it: *state and the result. */
__attribute__((unused)) static struct fixture *store_fixture_open(void **state, const char *tmpl)
{
	struct fixture *f = xzalloc(sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", tmpl);
	assert_non_null(mkdtemp(f->dir));
	f->root = xasprintf("%s/root", f->dir);
	st_error_t err = NULL;
	assert_int_equal(img_store_open(f->root, &f->store, &err), 0);
	*state = f;
	return f;
}

__attribute__((unused)) static int store_fixture_teardown(void **state)
{
	struct fixture *f = *state;
	img_store_close(&f->store);
	fs_remove_tree(f->dir, NULL);
	free(f->root);
	free(f->src);
	free(f);
	return 0;
}

/* Import `path` as a rootfs: its layer id (caller frees). */
__attribute__((unused)) static char *store_import_ok(struct fixture *f, const char *path)
{
	st_error_t err = NULL;
	char *digest = NULL;
	if (img_import_rootfs(&f->store, path, &digest, &err) < 0) {
		char *t = st_error_text(err);
		fprintf(stderr, "import %s: %s\n", path, t);
		free(t);
	}
	assert_null(err);
	assert_non_null(digest);
	assert_int_equal(strncmp(digest, "sha256:", 7), 0);
	assert_int_equal(strlen(digest), 7 + 64);
	return digest;
}

#endif
