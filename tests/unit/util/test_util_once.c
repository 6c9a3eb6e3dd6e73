/* util/ from many threads at once: the first use of the dlopen()ed
 * libraries gives every thread a working library (util/dl.h) and digests
 * that agree with the known value; diagnostics past a list's limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../race.h"
#include "util/diag.h"
#include "util/dl.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <string.h>

/* SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct digest_slot {
	int r;
	char hex[ST_SHA256_HEX_LEN + 1];
};

static void digest_abc(void *p)
{
	struct digest_slot *s = p;
	struct st_sha256 h;
	st_error_t err = NULL;
	s->r = st_sha256_begin(&h, &err);
	st_error_free(&err);
	if (s->r < 0)
		return;
	st_sha256_update(&h, "abc", 3);
	st_sha256_end_hex(&h, s->hex);
}

static void test_sha256_first_use_from_many_threads(void **state)
{
	(void)state;
	struct digest_slot slots[RACE_THREADS] = {0};
	assert_int_equal(race_run(slots, sizeof(slots[0]), digest_abc), 0);
	for (size_t i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(slots[i].r, 0);
		assert_string_equal(slots[i].hex, ABC_SHA256);
	}
}

/* A library of our own choosing, so the test sees st_dl_load's table
 * directly: libz, which the runtime links anyway. */
static const char *(*dl_zlib_version)(void);
static unsigned long (*dl_crc32)(unsigned long, const unsigned char *, unsigned);
static int on_load_calls;
static void count_on_load(void)
{
	on_load_calls++; /* unsynchronised on purpose: st_dl_load runs it once, under its lock */
}
static const struct st_dl_sym z_syms[] = {
	{"zlibVersion", (void **)&dl_zlib_version},
	{"crc32", (void **)&dl_crc32},
};
static struct st_dl_lib z_lib = {
	.soname = "libz.so.1",
	.package = "zlib1g",
	.syms = z_syms,
	.n_syms = ARRAY_SIZE(z_syms),
	.on_load = count_on_load,
};

struct z_slot {
	int r;
	unsigned long crc;
	int calls_seen;
};

static void load_z(void *p)
{
	struct z_slot *s = p;
	st_error_t err = NULL;
	s->r = st_dl_load(&z_lib, &err);
	st_error_free(&err);
	if (s->r < 0)
		return;
	/* The table must be complete and on_load done for whoever returns 0. */
	s->calls_seen = on_load_calls;
	s->crc = dl_crc32(0, (const unsigned char *)"abc", 3);
}

static void test_dl_load_from_many_threads(void **state)
{
	(void)state;
	struct z_slot slots[RACE_THREADS] = {0};
	assert_int_equal(race_run(slots, sizeof(slots[0]), load_z), 0);
	for (size_t i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(slots[i].r, 0);
		assert_int_equal(slots[i].calls_seen, 1);
		assert_int_equal(slots[i].crc, 0x352441c2UL); /* CRC-32 of "abc" */
	}
	assert_int_equal(on_load_calls, 1);
	assert_non_null(dl_zlib_version());
}

static void test_dl_missing_library_and_symbol(void **state)
{
	(void)state;
	void (*nothing)(void) = NULL;
	const struct st_dl_sym syms[] = {{"no_such_symbol_in_zlib", (void **)&nothing}};
	struct st_dl_lib missing = {.soname = "libno-such-library.so.0", .package = "no-such-package",
				    .syms = syms, .n_syms = 1};
	st_error_t err = NULL;
	assert_int_equal(st_dl_load(&missing, &err), -1);
	assert_non_null(strstr(err->msg, "install Debian's no-such-package"));
	st_error_free(&err);
	struct st_dl_lib bad_sym = {.soname = "libz.so.1", .package = "zlib1g", .syms = syms, .n_syms = 1};
	assert_int_equal(st_dl_load(&bad_sym, &err), -1);
	assert_non_null(strstr(err->msg, "symbol no_such_symbol_in_zlib is missing"));
	st_error_free(&err);
	assert_null(nothing);
	assert_null(atomic_load(&bad_sym.handle)); /* not loaded: a later call tries again */
}

/* Loaders on many threads, each past its list's limit: the entries that
 * are not recorded go to a sink no other thread writes. */
struct diag_slot {
	size_t n;
	bool full;
};

static void overflow_diags(void *p)
{
	struct diag_slot *s = p;
	struct diag_list dl = {.limit = 2};
	for (int i = 0; i < 50; i++)
		diag_hint(diag_add(&dl, "f", i + 1, 1, "error %d", i), "hint %d", i);
	s->n = dl.n;
	s->full = diag_full(&dl);
	diag_free(&dl);
}

static void test_diag_overflow_from_many_threads(void **state)
{
	(void)state;
	struct diag_slot slots[RACE_THREADS] = {0};
	assert_int_equal(race_run(slots, sizeof(slots[0]), overflow_diags), 0);
	for (size_t i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(slots[i].n, 2);
		assert_true(slots[i].full);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_first_use_from_many_threads),
		cmocka_unit_test(test_dl_load_from_many_threads),
		cmocka_unit_test(test_dl_missing_library_and_symbol),
		cmocka_unit_test(test_diag_overflow_from_many_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
