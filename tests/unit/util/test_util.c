/* Units for util/: strv, strbuf, diag ordering and formatting, path cleaning, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/diag.h"
#include "util/env.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/paths.h"
#include "util/strbuf.h"
#include "util/strv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_strv(void **state)
{
	(void)state;
	struct strv sv = {0};
	assert_non_null(strv_argv(&sv));
	assert_null(strv_argv(&sv)[0]);
	strv_push(&sv, "a");
	strv_pushf(&sv, "%s-%d", "b", 2);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[1], "b-2");
	assert_null(sv.v[2]);
	assert_true(strv_contains(&sv, "a"));
	assert_false(strv_contains(&sv, "c"));
	strv_free(&sv);
}

static void test_strbuf(void **state)
{
	(void)state;
	struct strbuf b = {0};
	_cleanup_free_ char *empty = strbuf_take(&b); /* never NULL, even unused */
	assert_string_equal(empty, "");
	strbuf_addc(&b, 'a');
	strbuf_adds(&b, "bc");
	strbuf_add(&b, "d\0e", 3); /* bytes, NUL included */
	assert_int_equal(b.n, 6);
	assert_memory_equal(b.s, "abcd\0e", 7); /* and the terminating NUL */
	strbuf_reset(&b);
	assert_int_equal(b.n, 0);
	assert_string_equal(b.s, "");
	strbuf_adds(&b, "xyz");
	_cleanup_free_ char *s = strbuf_take(&b);
	assert_string_equal(s, "xyz");
	assert_null(b.s);
	assert_int_equal(b.n, 0);
}

static void test_path_clean(void **state)
{
	(void)state;
	static const char *cases[][3] = {
		{"/a/b", "c", "/a/b/c"},
		{"/a/b", "./c/../d/", "/a/b/d"},
		{"/a/b", "../../../x", "/x"},
		{"/a", "/abs//path/.", "/abs/path"},
		{"/", ".", "/"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = fs_path_join_clean(cases[i][0], cases[i][1]);
		assert_string_equal(p, cases[i][2]);
		free(p);
	}
}

static void test_diag_sorted_output(void **state)
{
	(void)state;
	struct diag_list dl = {0};
	diag_add(&dl, "b.yaml", 3, 1, "third");
	struct diag *d = diag_add(&dl, "a.yaml", 9, 2, "second");
	diag_hint(d, "do %s", "this");
	diag_add(&dl, "a.yaml", 1, 5, "first");
	diag_sort(&dl);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diag_print(&dl, f);
	fclose(f);
	assert_string_equal(buf, "a.yaml:1:5: error: first\n"
				 "a.yaml:9:2: error: second\n"
				 "  hint: do this\n"
				 "b.yaml:3:1: error: third\n");
	free(buf);
	diag_free(&dl);
}

static void test_error_chain(void **state)
{
	(void)state;
	st_error_t err = NULL;
	assert_int_equal(st_error(&err, ENOENT, "open `%s`", "/x"), -1);
	/* The first error wins: a cleanup path must not overwrite the cause. */
	st_error(&err, EPERM, "later");
	st_error_prefix(&err, "mount %s", "/espresso/.env");
	char *t = st_error_text(err);
	assert_string_equal(t, "mount /espresso/.env: open `/x`: No such file or directory");
	free(t);
	/* The kind a caller acts on survives the context added on the way up. */
	assert_int_equal(st_error_kind(err), ST_ERR_OTHER);
	assert_int_equal(st_error_set_kind(&err, ST_ERR_NOT_FOUND), -1);
	st_error_prefix(&err, "container `c`");
	assert_int_equal(st_error_kind(err), ST_ERR_NOT_FOUND);
	st_error_free(&err);
	assert_null(err);
	assert_int_equal(st_error_kind(NULL), ST_ERR_OTHER);
	assert_int_equal(st_error_set_kind(&err, ST_ERR_NOT_FOUND), -1); /* no error: nothing to mark */
	assert_null(err);
}

static void test_env_lookup(void **state)
{
	(void)state;
	const char *env[] = {"PATH=/bin", "EMPTY=", "PATHX=no", "A=1=2", NULL};
	assert_string_equal(st_env_get(env, "PATH"), "/bin");
	assert_string_equal(st_env_get(env, "EMPTY"), "");
	assert_string_equal(st_env_get(env, "A"), "1=2");
	assert_null(st_env_get(env, "PAT"));
	assert_null(st_env_get(env, "MISSING"));
	assert_null(st_env_get(NULL, "PATH"));
	/* The key of another entry, by length. */
	assert_int_equal(st_env_index(env, "PATHX=yes", 5), 2);
	assert_int_equal(st_env_index(env, "PATH", 4), 0);
	assert_int_equal(st_env_index(env, "EMPTY", 3), -1);
}

static void test_paths_from_env(void **state)
{
	(void)state;
	struct st_paths p;
	st_paths_from_env(&p, NULL);
	assert_string_equal(p.root, "/var/lib/stack");
	assert_string_equal(p.run, "/run/stack");
	assert_string_equal(p.cgroup_parent, "stack");
	char *env[] = {(char *)"STACK_ROOT=/r", (char *)"STACK_RUN=", (char *)"STACK_CGROUP_PARENT=cg/x", NULL};
	st_paths_from_env(&p, env);
	assert_string_equal(p.root, "/r");
	assert_string_equal(p.run, "/run/stack"); /* empty: the default, as README says */
	assert_string_equal(p.cgroup_parent, "cg/x");
}

static void test_atomic_write(void **state)
{
	(void)state;
	char dir[] = "/tmp/stack-util-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *sub = xasprintf("%s/x/y", dir), *file = xasprintf("%s/f", sub);
	st_error_t err = NULL;
	assert_int_equal(fs_mkdir_p(sub, 0755, &err), 0);
	assert_int_equal(fs_mkdir_p(sub, 0755, &err), 0); /* there already: fine */
	assert_int_equal(fs_write_file_atomic(file, "hello", 5, 0644, &err), 0);
	/* under a file: the error names the step and the path */
	_cleanup_free_ char *under_file = xasprintf("%s/z/w", file);
	assert_int_equal(fs_mkdir_p(under_file, 0755, &err), -1);
	assert_int_equal(err->status, ENOTDIR);
	assert_non_null(strstr(err->msg, file));
	st_error_free(&err);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(fs_read_file(file, 0, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(fs_read_file(sub, 0, &data, &len, &err), -1);
	assert_int_equal(err->status, EISDIR);
	st_error_free(&err);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	assert_int_equal(access(dir, F_OK), -1);
	free(sub);
	free(file);
}

static int count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Creating and replacing leave only the file; a temp file whose writer
 * died (no flock) is swept, one a writer holds is not. */
static void test_atomic_write_leaves_no_temp(void **state)
{
	(void)state;
	char dir[] = "/tmp/stack-util-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *file = xasprintf("%s/rec.json", dir);
	st_error_t err = NULL;
	assert_int_equal(fs_write_file_atomic(file, "one", 3, 0600, &err), 0);
	assert_int_equal(fs_write_file_atomic(file, "two!", 4, 0600, &err), 0);
	assert_int_equal(count_dir(dir), 1);
	char *data = NULL;
	assert_int_equal(fs_read_file(file, 0, &data, NULL, &err), 0);
	assert_string_equal(data, "two!");
	free(data);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	_cleanup_free_ char *dead = xasprintf("%s/rec.json.tmp.1234", dir);
	_cleanup_free_ char *live = xasprintf("%s/rec.json.tmp.abcdef", dir);
	int fd = open(dead, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open(live, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	fs_sweep_tmp(dir);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	assert_int_equal(access(file, F_OK), 0);
	close(fd);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_diag_sorted_output),
		cmocka_unit_test(test_error_chain),
		cmocka_unit_test(test_env_lookup),
		cmocka_unit_test(test_paths_from_env),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_atomic_write_leaves_no_temp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
