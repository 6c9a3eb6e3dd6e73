/* .env parsing as docker compose reads it: forms, quoting, escapes,
 * comments, interpolation order, CRLF/BOM, and FILE:LINE:COL errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/dotenv.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static char env_home[] = "HOME=/root", env_user[] = "USER=env-user", env_dup[] = "FIRST=from-env";
static char *environ_vars[] = {env_home, env_user, env_dup, NULL};

static void expect_kv(const struct spec_kvlist *l, const char *key, const char *value)
{
	const struct spec_kv *kv = spec_kvlist_get(l, key);
	if (!kv)
		fail_msg("key %s missing", key);
	if (!value && kv->value)
		fail_msg("%s = `%s`, expected no value", key, kv->value);
	if (value && (!kv->value || strcmp(kv->value, value)))
		fail_msg("%s = `%s`, expected `%s`", key, kv->value ? kv->value : "(null)", value);
}

static void test_forms(void **state)
{
	(void)state;
	static const char text[] = "# a comment\n"
				   "\n"
				   "   \n"
				   "PLAIN=value\n"
				   "export EXPORTED=yes\n"
				   "export  SPACED = spaced value  \n"
				   "EMPTY=\n"
				   "ALONE\n"
				   "ALONE_COMMENT # only a key\n"
				   "INLINE=abc # comment\n"
				   "INLINE_TAB=abc\t# comment\n"
				   "HASH=pass#word\n"
				   "HASH_START=#notacomment\n"
				   "EQ=a=b=c\n"
				   "SINGLE='lit $HOME \\n # not a comment'\n"
				   "SINGLE_COMMENT='x' # trailing\n"
				   "DOUBLE=\"tab\\tnl\\nbs\\\\q\\\"sq\\'\"\n"
				   "DOUBLE_UNKNOWN=\"keep \\q\"\n"
				   "DOUBLE_DOLLAR=\"\\$HOME $$HOME\"\n"
				   "MULTI=\"line1\n"
				   "line2\"\n"
				   "MULTI_SINGLE='a\n"
				   "b'\n"
				   "EMPTY_QUOTES=\"\"\n"
				   "dotted.key-name=ok\n"
				   "_x1=under\n"
				   "export=not-a-prefix\n"
				   "UTF8=héllo wörld\n"
				   "LAST=no-newline";
	struct spec_kvlist out = {0};
	struct diag_list dl = {0};
	assert_int_equal(spec_dotenv_parse(".env", text, strlen(text), NULL, &out, &dl), 0);
	assert_int_equal(dl.n, 0);
	expect_kv(&out, "PLAIN", "value");
	expect_kv(&out, "EXPORTED", "yes");
	expect_kv(&out, "SPACED", "spaced value");
	expect_kv(&out, "EMPTY", "");
	expect_kv(&out, "ALONE", NULL);
	expect_kv(&out, "ALONE_COMMENT", NULL);
	expect_kv(&out, "INLINE", "abc");
	expect_kv(&out, "INLINE_TAB", "abc");
	expect_kv(&out, "HASH", "pass#word");
	expect_kv(&out, "HASH_START", "#notacomment");
	expect_kv(&out, "EQ", "a=b=c");
	expect_kv(&out, "SINGLE", "lit $HOME \\n # not a comment");
	expect_kv(&out, "SINGLE_COMMENT", "x");
	expect_kv(&out, "DOUBLE", "tab\tnl\nbs\\q\"sq'");
	expect_kv(&out, "DOUBLE_UNKNOWN", "keep \\q");
	expect_kv(&out, "DOUBLE_DOLLAR", "$HOME $HOME");
	expect_kv(&out, "MULTI", "line1\nline2");
	expect_kv(&out, "MULTI_SINGLE", "a\nb");
	expect_kv(&out, "EMPTY_QUOTES", "");
	expect_kv(&out, "dotted.key-name", "ok");
	expect_kv(&out, "_x1", "under");
	expect_kv(&out, "export", "not-a-prefix");
	expect_kv(&out, "UTF8", "héllo wörld");
	expect_kv(&out, "LAST", "no-newline");
	assert_int_equal(out.n, 24);
	/* file order */
	assert_string_equal(out.v[0].key, "PLAIN");
	assert_string_equal(out.v[out.n - 1].key, "LAST");
	spec_kvlist_free(&out);
	diag_free(&dl);
}

static void test_interpolation(void **state)
{
	(void)state;
	static const char text[] = "BASE=/srv\n"
				   "DIR=${BASE}/app\n"
				   "BARE=$BASE/bare\n"
				   "QUOTED=\"${DIR}/q\"\n"
				   "LITERAL='${DIR}'\n"
				   "FROM_ENV=${HOME}\n"
				   "DEFAULT=${NOPE:-fallback}\n"
				   "FIRST=from-file\n"
				   "USE_FIRST=$FIRST\n"
				   "NOVAL\n"
				   "USE_NOVAL=${NOVAL:-unset}\n"
				   "DOTENV_REF=${FROM_DOTENV}\n"
				   "BASE=/changed\n"
				   "AFTER=$BASE\n";
	struct spec_env env = {.environ = environ_vars};
	spec_kvlist_set(&env.dotenv, "FROM_DOTENV", "dv");
	struct spec_kvlist out = {0};
	struct diag_list dl = {0};
	assert_int_equal(spec_dotenv_parse("app.env", text, strlen(text), &env, &out, &dl), 0);
	expect_kv(&out, "DIR", "/srv/app");
	expect_kv(&out, "BARE", "/srv/bare");
	expect_kv(&out, "QUOTED", "/srv/app/q");
	expect_kv(&out, "LITERAL", "${DIR}");
	expect_kv(&out, "FROM_ENV", "/root");
	expect_kv(&out, "DEFAULT", "fallback");
	/* earlier keys of the file come before the environment */
	expect_kv(&out, "USE_FIRST", "from-file");
	expect_kv(&out, "USE_NOVAL", "unset");
	expect_kv(&out, "DOTENV_REF", "dv");
	expect_kv(&out, "BASE", "/changed"); /* a repeated key replaces */
	expect_kv(&out, "AFTER", "/changed");
	expect_kv(&out, "DIR", "/srv/app");  /* values are not re-evaluated */
	spec_kvlist_free(&out);
	spec_kvlist_free(&env.dotenv);
	diag_free(&dl);

	/* Without an env, only the file's own keys. */
	static const char t2[] = "A=1\nB=${A}${HOME}\n";
	assert_int_equal(spec_dotenv_parse("x.env", t2, strlen(t2), NULL, &out, &dl), 0);
	expect_kv(&out, "B", "1");
	spec_kvlist_free(&out);
}

static void test_crlf_and_bom(void **state)
{
	(void)state;
	static const char text[] = "\xef\xbb\xbf"
				   "A=1\r\n"
				   "B=two words\r\n"
				   "C=\"q\"\r\n"
				   "D='s'\r\n"
				   "E=\"multi\r\nline\"\r\n"
				   "# c\r\n"
				   "F\r\n"
				   "G=x # c\r\n";
	struct spec_kvlist out = {0};
	struct diag_list dl = {0};
	assert_int_equal(spec_dotenv_parse(".env", text, strlen(text), NULL, &out, &dl), 0);
	assert_string_equal(out.v[0].key, "A"); /* the BOM is not part of the first key */
	expect_kv(&out, "A", "1");
	expect_kv(&out, "B", "two words");
	expect_kv(&out, "C", "q");
	expect_kv(&out, "D", "s");
	expect_kv(&out, "E", "multi\nline");
	expect_kv(&out, "F", NULL);
	expect_kv(&out, "G", "x");
	assert_int_equal(out.n, 7);
	spec_kvlist_free(&out);

	/* The BOM takes no column in messages. */
	static const char bad[] = "\xef\xbb\xbf"
				  "1A=x\n";
	assert_int_equal(spec_dotenv_parse(".env", bad, strlen(bad), NULL, &out, &dl), -1);
	assert_int_equal(dl.v[0].line, 1);
	assert_int_equal(dl.v[0].col, 1);
	diag_free(&dl);
	spec_kvlist_free(&out);
}

static void test_errors(void **state)
{
	(void)state;
	static const char text[] = "GOOD=1\n"
				   "1BAD=x\n"
				   "BAD KEY=x\n"
				   "  BA$D=x\n"
				   "OK2=2\n"
				   "Q=\"closed\" trailing\n"
				   "I=${UNSET:?set UNSET}\n"
				   "J=\"${\"\n"
				   "K=a $ b\n"
				   "ÄKEY=x\n"
				   "LAST=ok\n"
				   "U=\"never closed\n"
				   "MORE=1\n";
	struct spec_kvlist out = {0};
	struct diag_list dl = {0};
	assert_int_equal(spec_dotenv_parse("my.env", text, strlen(text), NULL, &out, &dl), -1);
	static const struct {
		int line, col;
		const char *msg;
	} want[] = {
		{2, 1, "variable name `1BAD` starts with a digit"},
		{3, 5, "expected `=` after the variable name"},
		{4, 5, "invalid character `$` in variable name `BA$D`"},
		{6, 12, "unexpected text after the closing quote"},
		{7, 3, "required variable UNSET is missing a value: set UNSET"},
		{8, 4, "unterminated `${`"},
		{9, 3, "`$` at character 3"},
		{10, 1, "non-ASCII character in variable name `ÄKEY`"},
		{12, 3, "unterminated double-quoted value"},
	};
	if (dl.n != ARRAY_SIZE(want)) {
		diag_print(&dl, stderr);
		fail_msg("%zu diagnostics, expected %zu", dl.n, ARRAY_SIZE(want));
	}
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_string_equal(dl.v[i].file, "my.env");
		if (dl.v[i].line != want[i].line || dl.v[i].col != want[i].col || !strstr(dl.v[i].msg, want[i].msg))
			fail_msg("#%zu: %d:%d `%s`, expected %d:%d `%s`", i, dl.v[i].line, dl.v[i].col, dl.v[i].msg,
				 want[i].line, want[i].col, want[i].msg);
	}
	assert_non_null(dl.v[0].hint);
	/* The good lines around the bad ones are still read. */
	expect_kv(&out, "GOOD", "1");
	expect_kv(&out, "OK2", "2");
	expect_kv(&out, "LAST", "ok");
	assert_null(spec_kvlist_get(&out, "MORE")); /* swallowed by the open quote */
	spec_kvlist_free(&out);
	diag_free(&dl);

	static const char sq[] = "A='open\n";
	assert_int_equal(spec_dotenv_parse("s.env", sq, strlen(sq), NULL, &out, &dl), -1);
	assert_non_null(strstr(dl.v[0].msg, "unterminated single-quoted value"));
	assert_int_equal(dl.v[0].col, 3);
	diag_free(&dl);

	static const char nul[] = "A=1\nB=x\0y\n";
	assert_int_equal(spec_dotenv_parse("n.env", nul, sizeof(nul) - 1, NULL, &out, &dl), -1);
	assert_non_null(strstr(dl.v[0].msg, "NUL byte"));
	assert_int_equal(dl.v[0].line, 2);
	assert_int_equal(dl.v[0].col, 4);
	diag_free(&dl);
	spec_kvlist_free(&out);
}

static void test_empty(void **state)
{
	(void)state;
	struct spec_kvlist out = {0};
	struct diag_list dl = {0};
	assert_int_equal(spec_dotenv_parse(".env", "", 0, NULL, &out, &dl), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(spec_dotenv_parse(".env", "\xef\xbb\xbf", 3, NULL, &out, &dl), 0);
	assert_int_equal(spec_dotenv_parse(".env", "# x\n\n", 5, NULL, &out, &dl), 0);
	assert_int_equal(out.n, 0);
	/* appends to an existing list, replacing equal keys */
	spec_kvlist_set(&out, "KEEP", "k");
	spec_kvlist_set(&out, "A", "old");
	assert_int_equal(spec_dotenv_parse(".env", "A=new\n", 6, NULL, &out, &dl), 0);
	expect_kv(&out, "KEEP", "k");
	expect_kv(&out, "A", "new");
	assert_int_equal(out.n, 2);
	spec_kvlist_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),      cmocka_unit_test(test_interpolation), cmocka_unit_test(test_crlf_and_bom),
		cmocka_unit_test(test_errors),     cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
