/* The service log writer: one JSON object per line with time, stream and
 * line; bytes that are not UTF-8 become U+FFFD, NUL survives as \u0000;
 * rotation at max_size keeps max_file files, the current one first, and
 * the current file's name never goes missing; max_file 1 truncates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervisor/logfile.h"
#include "util/fs.h"
#include "util/mem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test_logfile.XXXXXX";
	tmpdir = xstrdup(mkdtemp(tmpl));
	return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(tmpdir, NULL);
	free(tmpdir);
	return 0;
}

static json_t *line_of(const char *path, int n)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	json_t *o = NULL;
	for (int i = 0; i <= n; i++)
		assert_true(getline(&line, &cap, f) > 0);
	o = json_loads(line, JSON_ALLOW_NUL, NULL);
	free(line);
	fclose(f);
	assert_non_null(o);
	return o;
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long n = 0;
	int c;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_records(void **state)
{
	(void)state;
	_cleanup_free_ char *path = xasprintf("%s/a.log", tmpdir);
	struct sup_logfile lf;
	char ts[40];
	sup_log_timestamp(ts);
	assert_int_equal(sup_logfile_open(&lf, path, 1 << 20, 5, NULL), 0);
	sup_logfile_write(&lf, ts, "stdout", "hello \"world\"", 13);
	sup_logfile_write(&lf, ts, "stderr", "bad \xff\xfe end", 10);
	sup_logfile_write(&lf, ts, "stdout", "nul\0in", 6);
	sup_logfile_close(&lf);

	json_t *o = line_of(path, 0);
	assert_string_equal(json_string_value(json_object_get(o, "stream")), "stdout");
	assert_string_equal(json_string_value(json_object_get(o, "line")), "hello \"world\"");
	const char *t = json_string_value(json_object_get(o, "time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), 30); /* 2026-12-02T00:38:07.123456789Z */
	assert_int_equal(t[29], 'Z');
	json_decref(o);
	o = line_of(path, 1);
	assert_string_equal(json_string_value(json_object_get(o, "stream")), "stderr");
	assert_string_equal(json_string_value(json_object_get(o, "line")), "bad \xef\xbf\xbd\xef\xbf\xbd end");
	json_decref(o);
	o = line_of(path, 2);
	assert_int_equal(json_string_length(json_object_get(o, "line")), 6);
	assert_memory_equal(json_string_value(json_object_get(o, "line")), "nul\0in", 6);
	json_decref(o);
}

static void test_rotation(void **state)
{
	(void)state;
	_cleanup_free_ char *path = xasprintf("%s/r.log", tmpdir);
	struct sup_logfile lf;
	char ts[40];
	sup_log_timestamp(ts);
	assert_int_equal(sup_logfile_open(&lf, path, 4096, 3, NULL), 0);
	char line[100];
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 1000; i++) {
		sup_logfile_write(&lf, ts, "stdout", line, sizeof(line));
		sup_logfile_flush(&lf);
		struct stat st;
		assert_int_equal(stat(path, &st), 0); /* never missing */
		assert_true(st.st_size <= 4096);
	}
	sup_logfile_close(&lf);
	_cleanup_free_ char *r1 = sup_logfile_rotated_name(path, 1);
	_cleanup_free_ char *r2 = sup_logfile_rotated_name(path, 2);
	_cleanup_free_ char *r3 = sup_logfile_rotated_name(path, 3);
	assert_true(count_lines(r1) > 0);
	assert_true(count_lines(r2) > 0);
	assert_int_equal(count_lines(r3), -1);
	/* whole records in every file */
	json_t *o = line_of(r2, 0);
	json_decref(o);
}

static void test_single_file_truncates(void **state)
{
	(void)state;
	_cleanup_free_ char *path = xasprintf("%s/one.log", tmpdir);
	struct sup_logfile lf;
	char ts[40];
	sup_log_timestamp(ts);
	assert_int_equal(sup_logfile_open(&lf, path, 4096, 1, NULL), 0);
	for (int i = 0; i < 500; i++)
		sup_logfile_write(&lf, ts, "stdout", "0123456789012345678901234567890123456789", 40);
	sup_logfile_close(&lf);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 4096);
	_cleanup_free_ char *r1 = sup_logfile_rotated_name(path, 1);
	assert_int_equal(access(r1, F_OK), -1);
	json_t *o = line_of(path, 0);
	json_decref(o);
}

/* Records of the longest line JSON makes longest (control bytes are
 * \u00XX) fill the buffer several times over: each is written whole. */
static void test_long_escaped_lines(void **state)
{
	(void)state;
	_cleanup_free_ char *path = xasprintf("%s/long.log", tmpdir);
	struct sup_logfile lf;
	char ts[40];
	sup_log_timestamp(ts);
	assert_int_equal(sup_logfile_open(&lf, path, 1 << 30, 2, NULL), 0);
	_cleanup_free_ char *line = xmalloc(SUP_LOG_LINE_MAX);
	memset(line, 1, SUP_LOG_LINE_MAX);
	for (int i = 0; i < 20; i++)
		sup_logfile_write(&lf, ts, "stdout", line, SUP_LOG_LINE_MAX);
	sup_logfile_close(&lf);
	assert_int_equal(count_lines(path), 20);
	for (int i = 0; i < 20; i += 7) {
		json_t *o = line_of(path, i);
		assert_int_equal(json_string_length(json_object_get(o, "line")), SUP_LOG_LINE_MAX);
		json_decref(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_escaped_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_file_truncates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
