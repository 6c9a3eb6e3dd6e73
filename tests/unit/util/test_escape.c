/* Units for util/escape: what reaches a terminal.  C0, DEL and C1 controls
 * (raw bytes and UTF-8-encoded) and invalid UTF-8 become \xNN; valid
 * printable UTF-8 stays as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/escape.h"

#include <stdlib.h>
#include <string.h>

static void check(const char *in, size_t len, unsigned flags, const char *want)
{
	char *e = st_escape(in, len, flags);
	assert_string_equal(e, want);
	free(e);
}

static void test_c0_and_del(void **state)
{
	(void)state;
	check("a\033]0;t\007\tb\x7f\n", 11, 0, "a\\x1b]0;t\\x07\\x09b\\x7f\\x0a");
	check("a\tb\nc", 5, ST_ESCAPE_KEEP_TAB | ST_ESCAPE_NL_N, "a\tb\\nc");
	check("nul\0x", 5, 0, "nul\\x00x");
	check("", 0, 0, "");
}

static void test_c1_raw_and_utf8(void **state)
{
	(void)state;
	/* A raw CSI byte and every lone C1 byte. */
	check("\x9b" "31m", 4, 0, "\\x9b31m");
	check("\x80\x9f", 2, 0, "\\x80\\x9f");
	/* U+009B and U+0080, U+009F as UTF-8: escaped byte by byte. */
	check("\xc2\x9b" "2J", 4, 0, "\\xc2\\x9b2J");
	check("\xc2\x80\xc2\x9f", 4, 0, "\\xc2\\x80\\xc2\\x9f");
	/* U+00A0 and up are printable: kept. */
	check("\xc2\xa0\xc2\xa9", 4, 0, "\xc2\xa0\xc2\xa9");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("a\xff" "b", 3, 0, "a\\xffb");
	check("\xc3", 1, 0, "\\xc3");                         /* cut short */
	check("\xc3(", 2, 0, "\\xc3(");                       /* bad continuation */
	check("\xc0\xaf", 2, 0, "\\xc0\\xaf");                /* overlong '/' */
	check("\xe0\x80\xaf", 3, 0, "\\xe0\\x80\\xaf");       /* overlong, 3 bytes */
	check("\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80");       /* a surrogate */
	check("\xf4\x90\x80\x80", 4, 0, "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	check("\xe2\x82", 2, 0, "\\xe2\\x82");                /* a 3-byte one cut short */
}

static void test_valid_multibyte_kept(void **state)
{
	(void)state;
	const char *s = "caf\xc3\xa9 \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3";
	check(s, strlen(s), 0, s);
	/* Its continuation bytes (0x82, 0x90, ...) are not mistaken for C1. */
	check("\xe2\x82\xac\x9b", 4, 0, "\xe2\x82\xac\\x9b");
}

static void test_backslash(void **state)
{
	(void)state;
	check("a\\x1b", 5, 0, "a\\x1b");
	check("a\\x1b", 5, ST_ESCAPE_BACKSLASH, "a\\x5cx1b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1_raw_and_utf8),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_multibyte_kept),
		cmocka_unit_test(test_backslash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
