/* Units for util/progress: the mode `auto` picks and what plain
 * mode writes (no cursor moves, rows never shown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/progress.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_mode_words(void **state)
{
	(void)state;
	enum st_progress_mode m = ST_PROGRESS_PLAIN;
	assert_int_equal(st_progress_mode_parse("tty", -1, &m), 0);
	assert_int_equal(m, ST_PROGRESS_TTY);
	assert_int_equal(st_progress_mode_parse("plain", -1, &m), 0);
	assert_int_equal(m, ST_PROGRESS_PLAIN);
	assert_int_equal(st_progress_mode_parse("fancy", -1, &m), -1);
	/* auto on a file that is not a terminal: plain, whatever TERM says */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	setenv("TERM", "xterm", 1);
	m = ST_PROGRESS_TTY;
	assert_int_equal(st_progress_mode_parse("auto", fd, &m), 0);
	assert_int_equal(m, ST_PROGRESS_PLAIN);
	close(fd);
}

static void test_plain_writes_lines_only(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct st_progress *p = st_progress_new(f, ST_PROGRESS_PLAIN);
	st_progress_row(p, "a", "running \033[2J");
	st_progress_line(p, "raw \033[1m", 8, true);
	st_progress_row_end(p, "a", "done \033[2J");
	st_progress_free(p);
	fclose(f);
	assert_string_equal(buf, "raw \033[1m\ndone \\x1b[2J\n");
	free(buf);
}

static void test_tty_clears_its_rows(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct st_progress *p = st_progress_new(f, ST_PROGRESS_TTY);
	st_progress_row(p, "a", "step \033x");
	st_progress_row_end(p, "a", "step done");
	st_progress_free(p);
	fclose(f);
	assert_non_null(strstr(buf, " => step \\x1bx  "));
	assert_non_null(strstr(buf, "\r\033[1A\033[Jstep done\n"));
	/* the row is gone at the end: the last thing written is the line */
	assert_true(len >= 10 && !strcmp(buf + len - 10, "step done\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_words),
		cmocka_unit_test(test_plain_writes_lines_only),
		cmocka_unit_test(test_tty_clears_its_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
