/* Units for builder/cache and builder/digest: a step's cache entry (hit,
 * miss, an entry whose layer is gone or that is damaged counts as a miss),
 * and the context's digest cache (a file is read once; a change of size,
 * mtime or ctime reads it again; the cache survives a save and reload). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/cache.h"
#include "builder/digest.h"
#include "util/fs.h"
#include "util/mem.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	struct img_store store;
};

static int setup(void **state)
{
	struct fixture *f = xzalloc(sizeof(*f));
	strcpy(f->dir, "/tmp/stack-test-bcache-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (img_store_open(f->dir, &f->store, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	img_store_close(&f->store);
	fs_remove_tree(f->dir, NULL);
	free(f);
	return 0;
}

static const char KEY[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char LAYER[] = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static void test_cache_entries(void **state)
{
	struct fixture *f = *state;
	char *layer = (char *)"unset";
	assert_int_equal(build_cache_get(&f->store, KEY, &layer), 0);
	assert_null(layer);
	/* a step without a layer */
	assert_int_equal(build_cache_put(&f->store, KEY, NULL, NULL), 0);
	assert_int_equal(build_cache_get(&f->store, KEY, &layer), 1);
	assert_null(layer);
	/* a layer that is not in the store is a miss */
	assert_int_equal(build_cache_put(&f->store, KEY, LAYER, NULL), 0);
	assert_int_equal(build_cache_get(&f->store, KEY, &layer), 0);
	_cleanup_free_ char *dir = img_layer_path(&f->store, LAYER);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(build_cache_get(&f->store, KEY, &layer), 1);
	assert_string_equal(layer, LAYER);
	free(layer);
	/* damaged: a miss, never an error */
	_cleanup_free_ char *path = xasprintf("%s/cache/build/%s.json", f->dir, KEY);
	FILE *fp = fopen(path, "w");
	fputs("{\"layer\": 12", fp);
	fclose(fp);
	assert_int_equal(build_cache_get(&f->store, KEY, &layer), 0);
	fp = fopen(path, "w");
	fputs("{\"layer\": \"sha256:../../../etc\"}", fp);
	fclose(fp);
	assert_int_equal(build_cache_get(&f->store, KEY, &layer), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void digest_of(struct build_digests *d, const char *path, const char *rel, char hex[ST_SHA256_HEX_LEN + 1],
		      bool *from_cache)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	*from_cache = build_digests_get(d, rel, &st, hex);
	if (*from_cache)
		return;
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(build_digests_hash(d, fd, rel, &st, hex, NULL), 0);
	close(fd);
}

static void test_digests(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ctx = xasprintf("%s/ctx", f->dir);
	_cleanup_free_ char *file = xasprintf("%s/ctx/a", f->dir);
	assert_int_equal(mkdir(ctx, 0755), 0);
	write_file(file, "hello\n");
	char hex[ST_SHA256_HEX_LEN + 1], again[ST_SHA256_HEX_LEN + 1];
	bool cached;
	struct build_digests *d = build_digests_open(f->dir, ctx);
	digest_of(d, file, "a", hex, &cached);
	assert_false(cached);
	/* sha256("hello\n") */
	assert_string_equal(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	digest_of(d, file, "a", again, &cached);
	assert_true(cached);
	assert_string_equal(again, hex);
	build_digests_save(d);
	build_digests_free(d);
	/* reloaded from disk */
	d = build_digests_open(f->dir, ctx);
	digest_of(d, file, "a", again, &cached);
	assert_true(cached);
	/* rewritten in place with the same size and mtime: ctime moved */
	struct stat before;
	assert_int_equal(lstat(file, &before), 0);
	write_file(file, "HELLO\n");
	struct timespec times[2] = {before.st_atim, before.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, file, times, 0), 0);
	digest_of(d, file, "a", again, &cached);
	assert_false(cached);
	assert_string_not_equal(again, hex);
	build_digests_free(d);
	/* another context has its own cache */
	d = build_digests_open(f->dir, f->dir);
	digest_of(d, file, "a", again, &cached);
	assert_false(cached);
	build_digests_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digests, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
