/* Units for builder/ignore: .dockerignore read and matched as Docker's
 * patternmatcher does it (expected results taken from its rules: the last
 * matching pattern decides, a pattern matching a parent directory matches
 * what is below it, `**` spans directories, `!` brings a path back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/ignore.h"

static bool excluded(const char *text, const char *path)
{
	struct build_ignore ig;
	build_ignore_parse(text, &ig);
	bool r = build_ignore_excluded(&ig, path);
	build_ignore_free(&ig);
	return r;
}

static void test_plain_and_parents(void **state)
{
	(void)state;
	assert_true(excluded("logs\n", "logs"));
	assert_true(excluded("logs\n", "logs/a/b.log"));
	assert_false(excluded("logs\n", "src/logs"));
	assert_false(excluded("logs\n", "logsfile"));
	/* cleaned: leading /, ./, trailing / and .. */
	assert_true(excluded("/logs/\n", "logs/x"));
	assert_true(excluded("./a/../logs\n", "logs/x"));
	assert_false(excluded("", "anything"));
}

static void test_globs(void **state)
{
	(void)state;
	assert_true(excluded("*.o\n", "x.o"));
	assert_false(excluded("*.o\n", "src/x.o")); /* * stays in one component */
	assert_true(excluded("*/*.o\n", "src/x.o"));
	assert_true(excluded("**/*.o\n", "x.o"));
	assert_true(excluded("**/*.o\n", "a/b/c/x.o"));
	assert_true(excluded("a/**/z\n", "a/z"));
	assert_true(excluded("a/**/z\n", "a/b/c/z"));
	assert_true(excluded("a/**\n", "a/b"));
	assert_true(excluded("?.txt\n", "a.txt"));
	assert_false(excluded("?.txt\n", "ab.txt"));
	assert_true(excluded("[ab].txt\n", "b.txt"));
	assert_false(excluded("[!ab].txt\n", "b.txt"));
	assert_true(excluded("*\n", ".hidden")); /* Go's Match: * matches a leading dot */
	assert_true(excluded("\\*star\n", "*star"));
	assert_false(excluded("\\*star\n", "xstar"));
}

static void test_exceptions(void **state)
{
	(void)state;
	const char *t = "logs\n!logs/keep.log\n";
	assert_true(excluded(t, "logs/a.log"));
	assert_false(excluded(t, "logs/keep.log"));
	/* the last match wins */
	assert_true(excluded("!x\nx\n", "x"));
	assert_false(excluded("*.md\n!README.md\n", "README.md"));
	assert_true(excluded("*.md\n!README.md\nREADME*\n", "README.md"));
	/* an exception below an excluded directory */
	assert_false(excluded("docs\n!docs/keep/**\n", "docs/keep/a"));
	assert_true(excluded("docs\n!docs/keep/**\n", "docs/other"));
}

static void test_comments_and_blanks(void **state)
{
	(void)state;
	const char *t = "# a comment\n\n   \n  spaced.txt  \r\n#notacomment-but-comment\n";
	assert_true(excluded(t, "spaced.txt"));
	assert_false(excluded(t, "# a comment"));
	assert_false(excluded(t, "notacomment-but-comment"));
	struct build_ignore ig;
	build_ignore_parse("a\n!b\n", &ig);
	assert_int_equal(ig.n, 2);
	assert_true(ig.has_exceptions);
	build_ignore_free(&ig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_parents),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_comments_and_blanks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
