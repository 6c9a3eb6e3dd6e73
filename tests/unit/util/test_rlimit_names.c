/* The ulimit name table against the kernel's own: /proc/self/limits lists
 * one row per resource, in RLIMIT_* order, with a label of its own, so a
 * name mapped to the wrong resource, or a resource without a name, shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/rlimit_names.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Docker's name -> the kernel's label (fs/proc/base.c, lnames[]), by hand. */
static const struct {
	const char *name, *label;
} expected[] = {
	{"cpu", "Max cpu time"},
	{"fsize", "Max file size"},
	{"data", "Max data size"},
	{"stack", "Max stack size"},
	{"core", "Max core file size"},
	{"rss", "Max resident set"},
	{"nproc", "Max processes"},
	{"nofile", "Max open files"},
	{"memlock", "Max locked memory"},
	{"as", "Max address space"},
	{"locks", "Max file locks"},
	{"sigpending", "Max pending signals"},
	{"msgqueue", "Max msgqueue size"},
	{"nice", "Max nice priority"},
	{"rtprio", "Max realtime priority"},
	{"rttime", "Max realtime timeout"},
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* The label of each row of /proc/self/limits (row i = resource i). */
static size_t kernel_labels(char labels[][32], size_t max)
{
	FILE *f = fopen("/proc/self/limits", "re");
	assert_non_null(f);
	char line[256];
	size_t n = 0;
	assert_non_null(fgets(line, sizeof(line), f)); /* header */
	while (n < max && fgets(line, sizeof(line), f)) {
		/* Labels are padded to 26 columns ("%-25s "). */
		size_t len = strlen(line) < 25 ? strlen(line) : 25;
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\n'))
			len--;
		memcpy(labels[n], line, len);
		labels[n][len] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

static void test_names_match_the_kernel(void **state)
{
	(void)state;
	char labels[64][32];
	size_t rows = kernel_labels(labels, 64);
	assert_int_equal(rows, RLIM_NLIMITS);
	for (size_t i = 0; i < N_EXPECTED; i++) {
		int r = st_rlimit_from_name(expected[i].name);
		if (r < 0 || (size_t)r >= rows || strcmp(labels[r], expected[i].label) != 0)
			fprintf(stderr, "`%s` maps to %d (`%s`), want `%s`\n", expected[i].name, r,
				r >= 0 && (size_t)r < rows ? labels[r] : "-", expected[i].label);
		assert_true(r >= 0 && (size_t)r < rows);
		assert_string_equal(labels[r], expected[i].label);
		assert_string_equal(st_rlimit_name(r), expected[i].name);
	}
	/* Every resource the kernel has is named, and no name is extra. */
	assert_int_equal(st_n_rlimit_names, rows);
	for (size_t r = 0; r < rows; r++)
		assert_non_null(st_rlimit_name((int)r));
}

static void test_unknown_names(void **state)
{
	(void)state;
	/* Exactly as Docker spells them: no prefix, no other case. */
	assert_int_equal(st_rlimit_from_name("nofil"), -1);
	assert_int_equal(st_rlimit_from_name("NOFILE"), -1);
	assert_int_equal(st_rlimit_from_name("RLIMIT_NOFILE"), -1);
	assert_int_equal(st_rlimit_from_name(""), -1);
	assert_int_equal(st_rlimit_from_name(NULL), -1);
	assert_null(st_rlimit_name(RLIM_NLIMITS));
	assert_null(st_rlimit_name(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_match_the_kernel),
		cmocka_unit_test(test_unknown_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
