/* A temp dir `tmp` for a test or a group of tests: tmp_fixture_make()
 * makes it from a mkdtemp template, tmp_fixture_teardown() (a cmocka
 * teardown) removes it and all below it.  Each test program includes it
 * once (static state, one per program). */
#ifndef STACK_TEST_TMP_FIXTURE_H
#define STACK_TEST_TMP_FIXTURE_H

#include "util/error.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>

static char tmp[64];

/* 0, or -1 when the dir cannot be made. */
__attribute__((unused)) static int tmp_fixture_make(const char *tmpl)
{
	snprintf(tmp, sizeof(tmp), "%s", tmpl);
	return mkdtemp(tmp) ? 0 : -1;
}

__attribute__((unused)) static int tmp_fixture_teardown(void **state)
{
	(void)state;
	st_error_t err = NULL;
	fs_remove_tree(tmp, &err);
	st_error_free(&err);
	return 0;
}

#endif
