/* Units for image/apt_sources: both formats of apt's sources lists, parsed
 * once for the mirror finder and host_apt's Signed-By keyrings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/apt_sources.h"

#include <string.h>

static void test_one_line(void **state)
{
	(void)state;
	struct img_apt_sources ss = {0};
	img_apt_sources_parse("# a comment\n"
			      "deb [arch=amd64 signed-by=/usr/share/keyrings/a.gpg,/etc/apt/keyrings/b.gpg] http://m/debian bookworm main\n"
			      "deb-src http://m/debian bookworm main # trailing\n"
			      "deb http://plain/debian trixie main contrib\n"
			      "rpm http://nope/ x\n",
			      false, &ss);
	assert_int_equal(ss.n, 3);
	assert_string_equal(ss.v[0].types.v[0], "deb");
	assert_string_equal(ss.v[0].uris.v[0], "http://m/debian");
	assert_string_equal(ss.v[0].suites.v[0], "bookworm");
	assert_int_equal(ss.v[0].signed_by.n, 2);
	assert_string_equal(ss.v[0].signed_by.v[1], "/etc/apt/keyrings/b.gpg");
	assert_string_equal(ss.v[1].types.v[0], "deb-src");
	assert_string_equal(ss.v[2].uris.v[0], "http://plain/debian");
	assert_int_equal(ss.v[2].signed_by.n, 0);
	img_apt_sources_free(&ss);
}

static void test_deb822(void **state)
{
	(void)state;
	struct img_apt_sources ss = {0};
	img_apt_sources_parse("Types: deb deb-src\n"
			      "URIs: http://a/debian\n"
			      "  http://b/debian\n"
			      "Suites: bookworm bookworm-updates\n"
			      "Signed-By: /usr/share/keyrings/debian.gpg\n"
			      "\n"
			      "# off\n"
			      "Types: deb\n"
			      "URIs: http://c/\n"
			      "Suites: sid\n"
			      "Enabled: no\n"
			      "Signed-By:\n"
			      " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
			      " .\n"
			      " mQINBF\n",
			      true, &ss);
	assert_int_equal(ss.n, 2);
	assert_int_equal(ss.v[0].types.n, 2);
	assert_int_equal(ss.v[0].uris.n, 2);
	assert_string_equal(ss.v[0].uris.v[1], "http://b/debian");
	assert_string_equal(ss.v[0].suites.v[1], "bookworm-updates");
	assert_string_equal(ss.v[0].signed_by.v[0], "/usr/share/keyrings/debian.gpg");
	assert_true(ss.v[0].enabled);
	assert_false(ss.v[1].enabled);
	/* An inline key: words, none of them a path. */
	for (size_t i = 0; i < ss.v[1].signed_by.n; i++)
		assert_true(ss.v[1].signed_by.v[i][0] != '/');
	img_apt_sources_free(&ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_deb822),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
