/* The image store: rootfs imports (directory, tar, tar.gz, tar.zst) land as
 * one content-addressed layer, the same content is stored once, hostile
 * archives cannot write outside the layer, a failed or killed import
 * leaves no layer behind, and image records round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	struct fixture *f = store_fixture_open(state, "/tmp/stack-image-test-XXXXXX");
	f->src = xasprintf("%s/src", f->dir);
	/* A small tree with what a rootfs has: dirs, modes, a symlink, a
	 * hardlink, a file owned by someone else. */
	sh("set -e; cd %s; mkdir -p src/bin src/etc src/tmp; printf 'root:x:0:0::/root:/bin/sh\\n' > src/etc/passwd;"
	   "printf hello > src/bin/tool; chmod 0750 src/bin/tool; ln -s tool src/bin/alias; ln src/bin/tool src/bin/hard;"
	   "chmod 1777 src/tmp; printf x > src/etc/owned; chown 1000:1000 src/etc/owned",
	   f->dir);
	return 0;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_directory_import_keeps_the_tree(void **state)
{
	struct fixture *f = *state;
	char *digest = store_import_ok(f, f->src);
	char *layer = img_layer_path(&f->store, digest);
	struct stat st;
	char *p = xasprintf("%s/bin/tool", layer);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	free(p);
	p = xasprintf("%s/bin/alias", layer);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	free(p);
	p = xasprintf("%s/tmp", layer);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 01777);
	free(p);
	p = xasprintf("%s/etc/owned", layer);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	free(p);
	/* every user of the container must be able to walk into / */
	assert_int_equal(stat(layer, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	/* nothing left in tmp/ */
	p = xasprintf("%s/tmp", f->root);
	assert_int_equal(count_entries(p), 0);
	free(p);
	free(layer);
	free(digest);
}

static void test_same_content_stored_once(void **state)
{
	struct fixture *f = *state;
	char *a = store_import_ok(f, f->src);
	char *b = store_import_ok(f, f->src);
	assert_string_equal(a, b);
	char *layers = xasprintf("%s/layers", f->root);
	assert_int_equal(count_entries(layers), 1);
	/* a change in content is a new layer */
	sh("printf changed > %s/etc/passwd", f->src);
	char *c = store_import_ok(f, f->src);
	assert_string_not_equal(a, c);
	assert_int_equal(count_entries(layers), 2);
	free(layers);
	free(a);
	free(b);
	free(c);
}

static void test_tarballs(void **state)
{
	struct fixture *f = *state;
	sh("cd %s && tar -C src -cf plain.tar . && tar -C src -czf gz.tar.gz . && tar -C src --zstd -cf zst.tar.zst .",
	   f->dir);
	static const char *const names[] = {"plain.tar", "gz.tar.gz", "zst.tar.zst"};
	char *first = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/%s", f->dir, names[i]);
		char *digest = store_import_ok(f, path);
		char *layer = img_layer_path(&f->store, digest);
		char *file = xasprintf("%s/bin/tool", layer);
		free(layer);
		char *data = NULL;
		st_error_t err = NULL;
		assert_int_equal(fs_read_file(file, 0, &data, NULL, &err), 0);
		assert_string_equal(data, "hello");
		/* the compression is not part of the content */
		if (first)
			assert_string_equal(first, digest);
		else
			first = xstrdup(digest);
		free(data);
		free(file);
		free(digest);
		free(path);
	}
	free(first);
}

static void test_hostile_archive_stays_inside(void **state)
{
	struct fixture *f = *state;
	sh("cd %s && printf pwned > escape-src && "
	   "tar -cf dotdot.tar --transform='s,^escape-src$,../escaped,' escape-src 2>/dev/null && "
	   "tar -cPf absolute.tar --transform='s,^escape-src$,/tmp/stack-image-test-abs,' escape-src",
	   f->dir);
	/* ../escaped: refused, and nothing of it anywhere. */
	char *path = xasprintf("%s/dotdot.tar", f->dir);
	char *digest = NULL;
	st_error_t err = NULL;
	assert_int_equal(img_import_rootfs(&f->store, path, &digest, &err), -1);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, "dotdot.tar"));
	free(t);
	st_error_free(&err);
	char *escaped = xasprintf("%s/root/escaped", f->dir);
	assert_int_equal(access(escaped, F_OK), -1);
	char *layers = xasprintf("%s/layers", f->root), *tmp = xasprintf("%s/tmp", f->root);
	assert_int_equal(count_entries(layers), 0);
	assert_int_equal(count_entries(tmp), 0);
	/* An absolute name is taken relative to the layer's root, as tar
	 * and docker do: it lands inside the layer, never on the host. */
	free(path);
	path = xasprintf("%s/absolute.tar", f->dir);
	digest = store_import_ok(f, path);
	assert_int_equal(access("/tmp/stack-image-test-abs", F_OK), -1);
	char *layer = img_layer_path(&f->store, digest);
	char *inside = xasprintf("%s/tmp/stack-image-test-abs", layer);
	free(layer);
	assert_int_equal(access(inside, F_OK), 0);
	free(inside);
	free(digest);
	free(layers);
	free(tmp);
	free(escaped);
	free(path);
}

static void test_truncated_archive_leaves_no_layer(void **state)
{
	struct fixture *f = *state;
	sh("cd %s && head -c 100000 /dev/urandom > src/bin/big && tar -C src -czf t.tar.gz . && "
	   "head -c 20000 t.tar.gz > cut.tar.gz",
	   f->dir);
	char *path = xasprintf("%s/cut.tar.gz", f->dir);
	char *digest = NULL;
	st_error_t err = NULL;
	_cleanup_free_ char *cwd_before = getcwd(NULL, 0);
	assert_int_equal(img_import_rootfs(&f->store, path, &digest, &err), -1);
	st_error_free(&err);
	/* The import extracts from inside its temp dir; a failure returns too. */
	_cleanup_free_ char *cwd_after = getcwd(NULL, 0);
	assert_non_null(cwd_after);
	assert_string_equal(cwd_after, cwd_before);
	char *layers = xasprintf("%s/layers", f->root), *tmp = xasprintf("%s/tmp", f->root);
	assert_int_equal(count_entries(layers), 0);
	assert_int_equal(count_entries(tmp), 0);
	free(layers);
	free(tmp);
	free(path);
}

static void test_killed_import_is_swept(void **state)
{
	struct fixture *f = *state;
	/* What a SIGKILLed import leaves: a temp dir nobody holds a lock on,
	 * whatever pid its name says (ours here: a pid reused since). */
	sh("mkdir -p %s/tmp/import-%d-abcdef/etc %s/tmp/import-XXXXXX", f->root, (int)getpid(), f->root);
	/* and one whose importer is at work: it holds the dir's flock */
	char *live = xasprintf("%s/tmp/import-live00", f->root);
	assert_int_equal(mkdir(live, 0700), 0);
	int lfd = open(live, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	char *digest = store_import_ok(f, f->src);
	char *dead = xasprintf("%s/tmp/import-%d-abcdef", f->root, (int)getpid());
	char *dead2 = xasprintf("%s/tmp/import-XXXXXX", f->root);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(dead2, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	close(lfd);
	rmdir(live);
	free(dead);
	free(dead2);
	free(live);
	free(digest);
}

/* Another thread resolving relative paths while an import runs must not
 * see the working directory move (the import used to chdir() into its
 * temp dir around the extraction). */
struct cwd_watch {
	const char *want;
	volatile int done;
	int moved;
};

static void *watch_cwd(void *arg)
{
	struct cwd_watch *w = arg;
	char buf[4096];
	while (!w->done)
		if (!getcwd(buf, sizeof(buf)) || strcmp(buf, w->want) != 0)
			w->moved++;
	return NULL;
}

static void test_import_leaves_the_working_directory_alone(void **state)
{
	struct fixture *f = *state;
	sh("set -e; cd %s/src; for i in $(seq 300); do mkdir -p d$i; printf x > d$i/f; done", f->dir);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	struct cwd_watch w = {.want = cwd};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, watch_cwd, &w), 0);
	char *digest = store_import_ok(f, f->src);
	w.done = 1;
	pthread_join(t, NULL);
	assert_int_equal(w.moved, 0);
	free(digest);
}

static void test_missing_source(void **state)
{
	struct fixture *f = *state;
	char *digest = NULL;
	st_error_t err = NULL;
	assert_int_equal(img_import_rootfs(&f->store, "/nonexistent/rootfs", &digest, &err), -1);
	assert_int_equal(err->status, ENOENT);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, "/nonexistent/rootfs"));
	free(t);
	st_error_free(&err);
}

static void test_image_record_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct img_image img = {.name = xstrdup("docker.io/library/some/thing:1.0")};
	strv_push(&img.layers, "sha256:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	strv_push(&img.layers, "sha256:" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	strv_push(&img.env, "PATH=/bin");
	strv_push(&img.entrypoint, "/bin/sh");
	strv_push(&img.cmd, "-c");
	img.working_dir = xstrdup("/srv");
	img.user = xstrdup("earl");
	st_error_t err = NULL;
	char *id = NULL;
	assert_int_equal(img_image_write(&f->store, &img, &id, &err), 0);
	struct img_image back = {0};
	assert_int_equal(img_image_read(&f->store, img.name, &back, &err), 1);
	assert_string_equal(back.name, img.name);
	assert_int_equal(back.layers.n, 2);
	assert_string_equal(back.layers.v[1], "sha256:" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_string_equal(back.env.v[0], "PATH=/bin");
	assert_string_equal(back.entrypoint.v[0], "/bin/sh");
	assert_string_equal(back.cmd.v[0], "-c");
	assert_string_equal(back.working_dir, "/srv");
	assert_string_equal(back.user, "earl");
	img_image_free(&back);
	assert_int_equal(img_image_read(&f->store, "not-there", &back, &err), 0);
	/* a damaged config is an error that says what to do, not a crash */
	sh("printf '{bad' > %s/blobs/sha256/%s", f->root, id + 7);
	assert_int_equal(img_image_read(&f->store, img.name, &back, &err), -1);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, "stack image rm"));
	free(t);
	st_error_free(&err);
	/* writing the image again, as that error says to, repairs the blob */
	char *again = NULL;
	assert_int_equal(img_image_write(&f->store, &img, &again, &err), 0);
	assert_string_equal(again, id);
	assert_int_equal(img_image_read(&f->store, img.name, &back, &err), 1);
	img_image_free(&back);
	free(again);
	free(id);
	img_image_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory_import_keeps_the_tree, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_same_content_stored_once, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tarballs, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_archive_stays_inside, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_archive_leaves_no_layer, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_killed_import_is_swept, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_import_leaves_the_working_directory_alone, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_missing_source, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_image_record_roundtrip, setup, store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
