/* The events file reader (cli/event_reader.h): history from the rotated
 * file then the current one; a line written in two parts is one record;
 * after a rotation the rest of the old file, then the new one from its
 * start; after a truncation what is there is new; damaged lines are
 * skipped and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/event_reader.h"
#include "util/fs.h"
#include "util/mem.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir, *path;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test_event_reader.XXXXXX";
	tmpdir = xstrdup(mkdtemp(tmpl));
	path = xasprintf("%s/p.jsonl", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(tmpdir, NULL);
	free(tmpdir);
	free(path);
	return 0;
}

struct seen {
	char actions[256];
};

static void on_event(const struct sup_event_rec *r, void *ctx)
{
	struct seen *s = ctx;
	strcat(s->actions, r->action);
	strcat(s->actions, " ");
}

static void append(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

#define REC(action) "{\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"" action "\",\"service\":\"s\",\"container\":\"c\"}\n"

static void test_history_and_follow(void **state)
{
	(void)state;
	_cleanup_free_ char *old = xasprintf("%s.1", path);
	append(old, REC("create") REC("start"));
	append(path, REC("die") "garbage\n");
	struct seen s = {0};
	struct cli_event_reader r;
	cli_event_reader_init(&r, path, on_event, &s);
	assert_int_equal(cli_event_reader_history(&r), 3);
	assert_string_equal(s.actions, "create start die ");
	assert_int_equal(r.skipped, 1);
	/* a record written in two parts */
	s.actions[0] = '\0';
	append(path, "{\"time\":\"2026-12-02T05:00:00Z\",\"action\":\"ki");
	assert_true(cli_event_reader_poll(&r));
	assert_string_equal(s.actions, "");
	append(path, "ll\",\"service\":\"s\",\"container\":\"c\"}\n");
	assert_true(cli_event_reader_poll(&r));
	assert_string_equal(s.actions, "kill ");
	assert_false(cli_event_reader_poll(&r));
	/* rotation as the writer does it: a link as .1, a new file renamed in */
	s.actions[0] = '\0';
	append(path, REC("stop"));
	unlink(old);
	assert_int_equal(link(path, old), 0);
	_cleanup_free_ char *tmp = xasprintf("%s.new", path);
	append(tmp, REC("destroy"));
	assert_int_equal(rename(tmp, path), 0);
	assert_true(cli_event_reader_poll(&r));
	assert_string_equal(s.actions, "stop destroy ");
	/* truncated under the reader: what comes next is new */
	s.actions[0] = '\0';
	assert_int_equal(truncate(path, 0), 0);
	append(path, REC("start"));
	cli_event_reader_poll(&r);
	assert_string_equal(s.actions, "start ");
	assert_int_equal(r.skipped, 1);
	cli_event_reader_free(&r);
}

static void test_missing_and_cut(void **state)
{
	(void)state;
	struct seen s = {0};
	struct cli_event_reader r;
	cli_event_reader_init(&r, path, on_event, &s);
	assert_int_equal(cli_event_reader_history(&r), 0);
	assert_false(cli_event_reader_poll(&r));
	/* the file appears later: read from its start */
	append(path, REC("create") "{\"time\":");
	assert_true(cli_event_reader_poll(&r));
	assert_string_equal(s.actions, "create ");
	assert_int_equal(r.skipped, 0); /* a line still being written is not damage */
	cli_event_reader_free(&r);
}

static void test_long_line(void **state)
{
	(void)state;
	size_t n = CLI_EVENT_LINE_MAX + 10;
	char *big = xmalloc(n + 2);
	memset(big, 'x', n);
	big[n] = '\n';
	big[n + 1] = '\0';
	append(path, big);
	append(path, REC("start"));
	free(big);
	struct seen s = {0};
	struct cli_event_reader r;
	cli_event_reader_init(&r, path, on_event, &s);
	assert_int_equal(cli_event_reader_history(&r), 1);
	assert_int_equal(r.skipped, 1);
	assert_string_equal(s.actions, "start ");
	cli_event_reader_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_and_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
