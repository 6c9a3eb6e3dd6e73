/* Pieces of the pull and debootstrap bases that need no network: the
 * host's Debian mirror from apt's one-line and deb822 sources, which
 * hosts are loopback (plain HTTP allowed), how a reference splits, which
 * manifests are accepted, and the debootstrap key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/debootstrap.h"
#include "image/registry_int.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	st_error_t err = NULL;
	if (fs_write_file_atomic(p, text, strlen(text), 0644, &err) < 0)
		fail_msg("%s", err->msg);
}

static char *mirror(const char *suite)
{
	st_error_t err = NULL;
	char *m = img_apt_debian_mirror(dir, suite, &err);
	st_error_free(&err);
	return m;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/stack-registry-parts-XXXXXX"); /* mkdtemp fills the X's in */
	if (!mkdtemp(dir))
		return -1;
	_cleanup_free_ char *d = xasprintf("%s/sources.list.d", dir);
	return mkdir(d, 0755);
}

static int teardown(void **state)
{
	(void)state;
	return fs_remove_tree(dir, NULL);
}

static void test_mirror_deb822_over_third_parties(void **state)
{
	(void)state;
	put("sources.list.d/00-node.sources", "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\n"
					      "Suites: nodistro\nComponents: main\n");
	put("sources.list.d/debian.sources",
	    "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
	    "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n"
	    "Suites: bookworm-security\nComponents: main\n");
	put("sources.list.d/google.list.disabled", "deb https://packages.example/apt bookworm main\n");
	_cleanup_free_ char *m = mirror("bookworm");
	assert_non_null(m);
	assert_string_equal(m, "http://mirror.example/debian");
	/* Another suite: still the Debian archive, not nodesource. */
	_cleanup_free_ char *t = mirror("trixie");
	assert_string_equal(t, "http://mirror.example/debian");
}

static void test_mirror_one_line_with_options(void **state)
{
	(void)state;
	put("sources.list", "# deb http://commented.example/debian bookworm main\n"
			    "deb-src http://src.example/debian bookworm main\n"
			    "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://one.example/debian trixie main\n");
	_cleanup_free_ char *m = mirror("trixie");
	assert_string_equal(m, "http://one.example/debian");
}

static void test_mirror_disabled_and_none(void **state)
{
	(void)state;
	put("sources.list.d/debian.sources", "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\n"
					     "Enabled: no\n");
	put("sources.list.d/00-node.sources", "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\n"
					      "Suites: nodistro\n");
	st_error_t err = NULL;
	char *m = img_apt_debian_mirror(dir, "bookworm", &err);
	assert_null(m);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "mirror:"));
	st_error_free(&err);
}

static void test_loopback(void **state)
{
	(void)state;
	assert_true(reg_host_is_loopback("localhost:5000"));
	assert_true(reg_host_is_loopback("127.0.0.1:15001"));
	assert_true(reg_host_is_loopback("127.8.9.10"));
	assert_true(reg_host_is_loopback("[::1]:5000"));
	assert_false(reg_host_is_loopback("192.0.2.2:5000"));
	assert_false(reg_host_is_loopback("localhost.example.com"));
	assert_false(reg_host_is_loopback("127.0.0.1.nip.io:80"));
	assert_false(reg_host_is_loopback("[::2]:5000"));
}

static void test_ref_parse(void **state)
{
	(void)state;
	struct reg_ref r;
	st_error_t err = NULL;
	assert_int_equal(reg_ref_parse("docker.io/library/debian:bookworm", &r, &err), 0);
	assert_string_equal(r.api_host, "registry-1.docker.io");
	assert_string_equal(r.repo, "library/debian");
	assert_string_equal(r.reference, "bookworm");
	reg_ref_free(&r);
	assert_int_equal(reg_ref_parse("127.0.0.1:15001/a/b@sha256:0123", &r, &err), 0);
	assert_string_equal(r.host, "127.0.0.1:15001");
	assert_string_equal(r.repo, "a/b");
	assert_string_equal(r.reference, "sha256:0123");
	reg_ref_free(&r);
	assert_int_equal(reg_ref_parse("127.0.0.1:15001/a", &r, &err), -1);
	st_error_free(&err);
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int parse(const char *json, struct reg_manifest *m, char **platform, st_error_t *err)
{
	return reg_manifest_parse(json, strlen(json), NULL, m, platform, err);
}

static void test_manifest(void **state)
{
	(void)state;
	struct reg_manifest m;
	char *platform = NULL;
	st_error_t err = NULL;
	const char *ok = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			 "\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:" HEX64 "\",\"size\":10},"
			 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
			 "\"digest\":\"sha256:" HEX64 "\",\"size\":5}]}";
	assert_int_equal(parse(ok, &m, &platform, &err), 0);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layers[0].size, 5);
	reg_manifest_free(&m);
	/* An encrypted layer, a digest of another algorithm, a huge layer. */
	const char *bad[] = {
		"{\"config\":{\"digest\":\"sha256:" HEX64 "\",\"size\":1},\"layers\":[{\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar+encrypted\",\"digest\":\"sha256:" HEX64 "\",\"size\":1}]}",
		"{\"config\":{\"digest\":\"sha512:" HEX64 "\",\"size\":1},\"layers\":[]}",
		"{\"config\":{\"digest\":\"sha256:" HEX64 "\",\"size\":1},\"layers\":[{\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" HEX64 "\",\"size\":99999999999999}]}",
		"{\"config\":{\"digest\":\"sha256:../../etc\",\"size\":1},\"layers\":[]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(parse(bad[i], &m, &platform, &err), -1);
		st_error_free(&err);
	}
	const char *index = "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
			    "{\"digest\":\"sha256:" HEX64 "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
			    "{\"digest\":\"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\","
			    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	assert_int_equal(parse(index, &m, &platform, &err), 0);
	assert_string_equal(platform, "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	free(platform);
	const char *arm_only = "{\"manifests\":[{\"digest\":\"sha256:" HEX64
			       "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}";
	assert_int_equal(parse(arm_only, &m, &platform, &err), -1);
	assert_non_null(strstr(err->msg, "linux/arm64"));
	st_error_free(&err);
}

/* A config.json the parser refuses: the error says where, never what the
 * parser saw there (it may be the credential). */
static void test_auth_config_error_quotes_no_credential(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{\"auths\": {\"reg.example\": {\"auth\" \"ZWFybDpzM2NyM3Q=\"}}}", /* no colon */
		"{\"auths\": {\"reg.example\": {\"auth\": \"ZWFybDpzM2NyM3Q=\\q\"}}}", /* bad escape */
		"{\"auths\": {\"reg.example\": {\"auth\": ZWFybDpzM2NyM3Q=}}}", /* not a string */
	};
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put("config.json", bad[i]);
		st_error_t err = NULL;
		assert_null(reg_auth_from_config(path, "reg.example", &err));
		assert_non_null(err);
		_cleanup_free_ char *text = st_error_text(err);
		assert_non_null(strstr(text, "config.json:1:"));
		assert_null(strstr(text, "ZWFy"));
		st_error_free(&err);
	}
}

static void test_debootstrap_key(void **state)
{
	(void)state;
	struct strv a = {0}, b = {0};
	strv_push(&a, "curl");
	strv_push(&a, "ca-certificates");
	strv_push(&b, "ca-certificates");
	strv_push(&b, "curl");
	struct img_debootstrap x = {.suite = "bookworm", .variant = "minbase", .include = &a};
	struct img_debootstrap y = {.suite = "bookworm", .variant = "minbase", .include = &b};
	struct img_debootstrap z = {.suite = "bookworm", .variant = "buildd", .include = &b};
	st_error_t err = NULL;
	_cleanup_free_ char *kx = img_debootstrap_key(&x, &err);
	_cleanup_free_ char *ky = img_debootstrap_key(&y, &err);
	_cleanup_free_ char *kz = img_debootstrap_key(&z, &err);
	assert_non_null(kx);
	assert_string_equal(kx, ky); /* include order does not matter */
	assert_string_not_equal(kx, kz);
	assert_int_equal(strncmp(kx, "debootstrap@bookworm-", 21), 0);
	struct img_debootstrap evil = {.suite = "bookworm", .mirror = "http://m.example/ --keyring=/x"};
	assert_null(img_debootstrap_key(&evil, &err));
	st_error_free(&err);
	strv_free(&a);
	strv_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mirror_deb822_over_third_parties, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_one_line_with_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_disabled_and_none, setup, teardown),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_ref_parse),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_debootstrap_key),
		cmocka_unit_test_setup_teardown(test_auth_config_error_quotes_no_credential, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
