/* libarchive's first load from many threads at once (a builder imports
 * layers in parallel): every thread gets the whole table and can use it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../race.h"
#include "image/archive_dl.h"

struct load_slot {
	int r;
	int used; /* an archive could be made and freed through the table */
};

static void load_and_use(void *p)
{
	struct load_slot *s = p;
	st_error_t err = NULL;
	s->r = img_archive_load(&err);
	st_error_free(&err);
	if (s->r < 0)
		return;
	struct archive *a = la.archive_read_new();
	if (a && la.archive_read_support_format_tar(a) == ARCHIVE_OK)
		s->used = 1;
	if (a)
		la.archive_read_free(a);
}

static void test_archive_first_load_from_many_threads(void **state)
{
	(void)state;
	struct load_slot slots[RACE_THREADS] = {0};
	assert_int_equal(race_run(slots, sizeof(slots[0]), load_and_use), 0);
	for (size_t i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(slots[i].r, 0);
		assert_int_equal(slots[i].used, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive_first_load_from_many_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
