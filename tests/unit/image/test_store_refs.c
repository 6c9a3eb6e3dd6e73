/* The store's records: an image's OCI config JSON round-trips every field
 * the builder sets and gives one id for one image; hostile configs are
 * refused by field; refs resolve `name` as `name:latest`, survive writers
 * in several processes at once, and a version-1 store is converted, a
 * newer one refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define L1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define L2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int setup(void **state)
{
	store_fixture_open(state, "/tmp/stack-refs-test-XXXXXX");
	return 0;
}

static void full_image(struct img_image *img)
{
	memset(img, 0, sizeof(*img));
	img->name = xstrdup("espresso");
	strv_push(&img->layers, L1);
	strv_push(&img->layers, L2);
	strv_push(&img->env, "PATH=/bin");
	strv_push(&img->env, "A=b c");
	strv_push(&img->entrypoint, "/bin/sh");
	strv_push(&img->entrypoint, "-c");
	strv_push(&img->cmd, "exec flask run");
	img->working_dir = xstrdup("/espresso");
	img->user = xstrdup("earl");
	strv_push(&img->exposed_ports, "5000/tcp");
	img_image_set_label(img, "org.opencontainers.image.title", "espresso");
	img_image_set_label(img, "k", "1");
	img_image_set_label(img, "k", "2");
	strv_push(&img->healthcheck.test, "CMD-SHELL");
	strv_push(&img->healthcheck.test, "wget -q -O- localhost:5000");
	img->healthcheck.interval = 30000000000;
	img->healthcheck.timeout = 5000000000;
	img->healthcheck.start_period = 1000000000;
	img->healthcheck.start_interval = 500000000;
	img->healthcheck.retries = 3;
	img->stop_signal = xstrdup("SIGQUIT");
	strv_push(&img->volumes, "/data");
	strv_push(&img->on_build, "RUN echo child");
	img->history = xcalloc(2, sizeof(*img->history));
	img->n_history = 2;
	img->history[0].created_by = xstrdup("COPY . /espresso");
	img->history[1].created_by = xstrdup("ENV A=b c");
	img->history[1].empty_layer = true;
	img->history[1].comment = xstrdup("buildkit.dockerfile.v0");
}

static void test_config_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct img_image img, back;
	full_image(&img);
	st_error_t err = NULL;
	char *id = NULL;
	assert_int_equal(img_image_write(&f->store, &img, &id, &err), 0);
	assert_true(img_digest_valid(id));
	assert_int_equal(img_image_read(&f->store, "espresso:latest", &back, &err), 1);
	assert_string_equal(back.name, "espresso:latest");
	assert_int_equal(back.layers.n, 2);
	assert_string_equal(back.layers.v[1], L2);
	assert_int_equal(back.env.n, 2);
	assert_string_equal(back.env.v[1], "A=b c");
	assert_string_equal(back.entrypoint.v[1], "-c");
	assert_string_equal(back.cmd.v[0], "exec flask run");
	assert_string_equal(back.working_dir, "/espresso");
	assert_string_equal(back.user, "earl");
	assert_int_equal(back.exposed_ports.n, 1);
	assert_string_equal(back.exposed_ports.v[0], "5000/tcp");
	assert_int_equal(back.n_labels, 2);
	assert_string_equal(img_image_label(&back, "k"), "2");
	assert_string_equal(img_image_label(&back, "org.opencontainers.image.title"), "espresso");
	assert_int_equal(back.healthcheck.test.n, 2);
	assert_true(back.healthcheck.interval == 30000000000);
	assert_true(back.healthcheck.timeout == 5000000000);
	assert_true(back.healthcheck.start_period == 1000000000);
	assert_true(back.healthcheck.start_interval == 500000000);
	assert_int_equal(back.healthcheck.retries, 3);
	assert_string_equal(back.stop_signal, "SIGQUIT");
	assert_string_equal(back.volumes.v[0], "/data");
	assert_string_equal(back.on_build.v[0], "RUN echo child");
	assert_int_equal(back.n_history, 2);
	assert_string_equal(back.history[0].created_by, "COPY . /espresso");
	assert_false(back.history[0].empty_layer);
	assert_true(back.history[1].empty_layer);
	assert_string_equal(back.history[1].comment, "buildkit.dockerfile.v0");

	/* the id is the digest of the canonical config: what was read back
	 * serializes to the same bytes, and so to the same id */
	char *a = img_config_json(&img), *b = img_config_json(&back);
	assert_string_equal(a, b);
	char *id2 = NULL;
	free(back.name);
	back.name = NULL;
	assert_int_equal(img_image_write(&f->store, &back, &id2, &err), 0);
	assert_string_equal(id, id2);
	/* and the blob is the OCI config: os, architecture, rootfs.diff_ids */
	assert_non_null(strstr(a, "\"architecture\":\"amd64\""));
	assert_non_null(strstr(a, "\"diff_ids\":[\"" L1 "\",\"" L2 "\"]"));
	assert_non_null(strstr(a, "\"ExposedPorts\":{\"5000/tcp\":{}}"));
	free(a);
	free(b);
	free(id);
	free(id2);
	img_image_free(&img);
	img_image_free(&back);
}

static void expect_parse_error(const char *json, const char *needle)
{
	struct img_image img;
	st_error_t err = NULL;
	assert_int_equal(img_config_parse(json, strlen(json), &img, &err), -1);
	char *t = st_error_text(err);
	if (!strstr(t, needle))
		fprintf(stderr, "error `%s` lacks `%s`\n", t, needle);
	assert_non_null(strstr(t, needle));
	free(t);
	st_error_free(&err);
}

static void test_config_hostile(void **state)
{
	(void)state;
	expect_parse_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:../../etc\"]}}", "diff_ids[0]");
	expect_parse_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" L1 "\"]},\"config\":{\"Env\":\"A=1\"}}",
			   "config.Env");
	expect_parse_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Labels\":{\"a\":1}}}",
			   "config.Labels");
	expect_parse_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Healthcheck\":"
			   "{\"Interval\":-1}}}",
			   "Healthcheck.Interval");
	expect_parse_error("{\"config\":{}}", "rootfs");
	expect_parse_error("{\"architecture\":\"arm64\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
			   "linux/amd64");
	expect_parse_error("{\"rootfs\":1,\"rootfs\":2}", "line 1");
	expect_parse_error("[", "line");
}

static void test_refs(void **state)
{
	struct fixture *f = *state;
	st_error_t err = NULL;
	char *id = NULL;
	assert_int_equal(img_ref_resolve(&f->store, "a", &id, &err), 0);
	assert_int_equal(img_ref_set(&f->store, "a", L1, NULL, &err), 0);
	assert_int_equal(img_ref_set(&f->store, "reg.example:5000/b/c", L2, "/src", &err), 0);
	assert_int_equal(img_ref_set(&f->store, "rootfs@1-2-3", L2, NULL, &err), 0);
	assert_int_equal(img_ref_resolve(&f->store, "a:latest", &id, &err), 1);
	assert_string_equal(id, L1);
	free(id);
	struct img_ref *refs = NULL;
	size_t n = 0;
	assert_int_equal(img_ref_list(&f->store, &refs, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(refs[0].name, "a:latest");
	assert_string_equal(refs[1].name, "reg.example:5000/b/c:latest");
	assert_string_equal(refs[1].source, "/src");
	assert_string_equal(refs[2].name, "rootfs@1-2-3");
	img_ref_list_free(refs, n);
	/* replacing keeps one ref */
	assert_int_equal(img_ref_set(&f->store, "a:latest", L2, NULL, &err), 0);
	assert_int_equal(img_ref_resolve(&f->store, "a", &id, &err), 1);
	assert_string_equal(id, L2);
	free(id);
	assert_int_equal(img_ref_remove(&f->store, "a", &err), 1);
	assert_int_equal(img_ref_remove(&f->store, "a", &err), 0);
	assert_int_equal(img_ref_resolve(&f->store, "a", &id, &err), 0);
	/* bad input is refused, and nothing changes */
	assert_int_equal(img_ref_set(&f->store, "x y", L1, NULL, &err), -1);
	st_error_free(&err);
	assert_int_equal(img_ref_set(&f->store, "x", "sha256:zz", NULL, &err), -1);
	st_error_free(&err);
	assert_int_equal(img_ref_list(&f->store, &refs, &n, &err), 0);
	assert_int_equal(n, 2);
	img_ref_list_free(refs, n);
}

/* Writers in separate processes, each a read-modify-write of refs.json:
 * without store.lock, one would drop another's ref. */
static void test_refs_concurrent(void **state)
{
	struct fixture *f = *state;
	enum { PROCS = 4, EACH = 25 };
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct img_store s;
			st_error_t err = NULL;
			if (img_store_open(f->root, &s, &err) < 0)
				_exit(2);
			for (int i = 0; i < EACH; i++) {
				char name[32];
				snprintf(name, sizeof(name), "p%d-%d", p, i);
				if (img_ref_set(&s, name, L1, NULL, &err) < 0)
					_exit(1);
			}
			img_store_close(&s);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status = 0;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct img_ref *refs = NULL;
	size_t n = 0;
	st_error_t err = NULL;
	assert_int_equal(img_ref_list(&f->store, &refs, &n, &err), 0);
	assert_int_equal(n, PROCS * EACH);
	img_ref_list_free(refs, n);
}

static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	char *old = xasprintf("%s/old", f->dir);
	/* what the store of version 1 wrote: one record per import */
	sh("set -e; mkdir -p %s/images %s/layers; printf '%%s' '{\"name\":\"rootfs@1-2-3\",\"source\":\"/srv/rootfs\","
	   "\"layers\":[\"" L1 "\"],\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[],\"Entrypoint\":[],"
	   "\"WorkingDir\":\"\",\"User\":\"\"}}' > %s/images/rootfs@1-2-3.json; printf '{bad' > %s/images/broken.json",
	   old, old, old, old);
	struct img_store s;
	st_error_t err = NULL;
	assert_int_equal(img_store_open(old, &s, &err), 0);
	struct img_image img;
	assert_int_equal(img_image_read(&s, "rootfs@1-2-3", &img, &err), 1);
	assert_string_equal(img.layers.v[0], L1);
	assert_string_equal(img.env.v[0], "PATH=/bin");
	assert_string_equal(img.source, "/srv/rootfs");
	assert_null(img.working_dir);
	img_image_free(&img);
	img_store_close(&s);
	char *images = xasprintf("%s/images", old);
	assert_int_equal(access(images, F_OK), -1);
	sh("grep -qx 2 %s/store-version", old);

	/* a store from a newer stack is refused, not misread */
	sh("echo 99 > %s/store-version", old);
	assert_int_equal(img_store_open(old, &s, &err), -1);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, "newer"));
	free(t);
	st_error_free(&err);
	free(images);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_roundtrip, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_config_hostile, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refs, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refs_concurrent, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
