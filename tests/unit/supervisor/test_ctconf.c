/* From a service and its image to the container's process: Docker's rules
 * for ENTRYPOINT and CMD (a service or run that sets the entrypoint drops
 * the image's CMD; a command replaces CMD and keeps the entrypoint), and
 * for environment, working directory and user (run over service over
 * image).  The image here has a CMD of its own, as most real images do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/spec.h"
#include "supervisor/ctconf.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char stack_yaml[] =
	"name: ctconf\n"
	"bases:\n"
	"  img: {rootfs: ./rootfs}\n"
	"  bare: {rootfs: ./rootfs}\n"
	"services:\n"
	"  plain: {image: img}\n"
	"  cmd: {image: img, command: [svc-cmd, a]}\n"
	"  cmd_string: {image: img, command: \"svc-cmd 'two words'\"}\n"
	"  ep: {image: img, entrypoint: [svc-ep]}\n"
	"  both: {image: img, entrypoint: [svc-ep], command: [svc-cmd]}\n"
	"  settings:\n"
	"    image: img\n"
	"    environment: {B: svc, C: svc}\n"
	"    working_dir: /svc\n"
	"    user: \"1:1\"\n";

static char dir[] = "/tmp/stack-ctconf-XXXXXX";
static char *root, *run;
static struct st_paths paths;
static struct spec_stack *stack;

/* ENTRYPOINT ["/bin/img-ep", "-x"], CMD ["img-cmd", "arg"]. */
static struct sup_image_defaults image;
/* CMD ["img-cmd", "arg"] only. */
static struct sup_image_defaults cmd_only;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	char *p = xasprintf("%s/stack.yaml", dir), *rootfs = xasprintf("%s/rootfs", dir);
	st_error_t err = NULL;
	int r = fs_write_file_atomic(p, stack_yaml, strlen(stack_yaml), 0644, &err);
	st_error_free(&err);
	mkdir(rootfs, 0755);
	free(p);
	free(rootfs);
	if (r < 0)
		return -1;
	paths.root = root = xasprintf("%s/root", dir);
	paths.run = run = xasprintf("%s/run", dir);
	paths.cgroup_parent = "stack-ctconf-test";
	static char *env[] = {NULL};
	struct spec_load_opts opts = {.workdir = dir, .environ = env};
	strv_push(&opts.files, "stack.yaml");
	struct diag_list d = {0};
	r = spec_load(&opts, &stack, &d);
	if (r < 0)
		diag_print(&d, stderr);
	diag_free(&d);
	strv_free(&opts.files);

	const char *ep[] = {"/bin/img-ep", "-x"}, *cmd[] = {"img-cmd", "arg"}, *env_img[] = {"A=img", "B=img"};
	for (size_t i = 0; i < 2; i++) {
		strv_push(&image.entrypoint, ep[i]);
		strv_push(&image.cmd, cmd[i]);
		strv_push(&cmd_only.cmd, cmd[i]);
		strv_push(&image.env, env_img[i]);
	}
	image.working_dir = "/img";
	image.user = "img";
	return r;
}

static int teardown(void **state)
{
	(void)state;
	spec_stack_free(stack);
	free(root);
	free(run);
	struct sup_image_defaults *imgs[] = {&image, &cmd_only};
	for (size_t i = 0; i < 2; i++) {
		strv_free(&imgs[i]->entrypoint);
		strv_free(&imgs[i]->cmd);
		strv_free(&imgs[i]->env);
	}
	return fs_remove_tree(dir, NULL);
}

/* argv of `service` as one space-joined string ("" on error). */
static char *argv_of(const char *service, const struct sup_image_defaults *img, const struct sup_overrides *ov)
{
	const struct spec_service *svc = spec_find_service(stack, service);
	assert_non_null(svc);
	struct strv none = {0};
	struct sup_ctconf c;
	st_error_t err = NULL;
	if (sup_ctconf_build(&paths, stack, svc, "c1", &none, img, ov, &c, &err) < 0) {
		st_error_free(&err);
		return xstrdup("");
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	for (const char *const *a = c.cfg.process.argv; *a; a++)
		fprintf(f, "%s%s", a == c.cfg.process.argv ? "" : " ", *a);
	fclose(f);
	sup_ctconf_free(&c);
	return out;
}

#define assert_argv(service, img, ov, want)                                                         \
	do {                                                                                         \
		char *got_ = argv_of(service, img, ov);                                              \
		assert_string_equal(got_, want);                                                     \
		free(got_);                                                                          \
	} while (0)

static void test_image_entrypoint_and_cmd(void **state)
{
	(void)state;
	assert_argv("plain", &image, NULL, "/bin/img-ep -x img-cmd arg");
	assert_argv("plain", &cmd_only, NULL, "img-cmd arg");
	/* command: replaces CMD, keeps ENTRYPOINT */
	assert_argv("cmd", &image, NULL, "/bin/img-ep -x svc-cmd a");
	assert_argv("cmd_string", &image, NULL, "/bin/img-ep -x svc-cmd two words");
	/* entrypoint: drops the image's CMD */
	assert_argv("ep", &image, NULL, "svc-ep");
	assert_argv("both", &image, NULL, "svc-ep svc-cmd");
}

static void test_run_overrides(void **state)
{
	(void)state;
	struct strv empty = {0}, run_cmd = {0}, run_ep = {0};
	strv_push(&run_cmd, "run-cmd");
	strv_push(&run_ep, "run-ep");
	/* `stack run svc` with no command keeps the image's CMD */
	assert_argv("plain", &image, (&(struct sup_overrides){.command = &empty}), "/bin/img-ep -x img-cmd arg");
	assert_argv("plain", &image, (&(struct sup_overrides){.command = &run_cmd}), "/bin/img-ep -x run-cmd");
	assert_argv("cmd", &image, (&(struct sup_overrides){.command = &run_cmd}), "/bin/img-ep -x run-cmd");
	/* --entrypoint drops the image's CMD, as docker run's does */
	assert_argv("plain", &image, (&(struct sup_overrides){.entrypoint = &run_ep, .command = &empty}), "run-ep");
	assert_argv("plain", &image, (&(struct sup_overrides){.entrypoint = &run_ep, .command = &run_cmd}),
		    "run-ep run-cmd");
	assert_argv("ep", &image, (&(struct sup_overrides){.entrypoint = &run_ep, .command = &empty}), "run-ep");
	strv_free(&run_cmd);
	strv_free(&run_ep);
}

static void test_nothing_to_run(void **state)
{
	(void)state;
	struct sup_image_defaults bare = {0};
	const struct spec_service *svc = spec_find_service(stack, "plain");
	struct strv none = {0};
	struct sup_ctconf c;
	st_error_t err = NULL;
	assert_int_equal(sup_ctconf_build(&paths, stack, svc, "c1", &none, &bare, NULL, &c, &err), -1);
	assert_non_null(strstr(err->msg, "service `plain` has no command to run"));
	st_error_free(&err);
	/* An image with only an ENTRYPOINT runs it alone. */
	strv_push(&bare.entrypoint, "/only-ep");
	assert_argv("plain", &bare, NULL, "/only-ep");
	strv_free(&bare.entrypoint);
}

static const char *env_value(const struct sup_ctconf *c, const char *key)
{
	size_t n = strlen(key);
	for (const char *const *e = c->cfg.process.env; *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void test_env_cwd_user_precedence(void **state)
{
	(void)state;
	const struct spec_service *svc = spec_find_service(stack, "settings");
	struct strv none = {0}, run_env = {0};
	strv_push(&run_env, "C=run");
	strv_push(&run_env, "FROM_CALLER");  /* `-e NAME`: our value */
	strv_push(&run_env, "UNSET_IN_CALLER"); /* unset here: unset there */
	setenv("FROM_CALLER", "ours", 1);
	unsetenv("UNSET_IN_CALLER");
	struct sup_ctconf c;
	st_error_t err = NULL;

	assert_int_equal(sup_ctconf_build(&paths, stack, svc, "c1", &none, &image, NULL, &c, &err), 0);
	assert_string_equal(env_value(&c, "A"), "img");
	assert_string_equal(env_value(&c, "B"), "svc");
	assert_string_equal(c.cfg.process.cwd, "/svc");
	assert_string_equal(c.cfg.process.user, "1:1");
	/* The service sets no command: the image's ENTRYPOINT and CMD run. */
	assert_string_equal(c.cfg.process.argv[2], "img-cmd");
	sup_ctconf_free(&c);

	struct sup_overrides ov = {.env = &run_env, .working_dir = "/run", .user = "2:2"};
	assert_int_equal(sup_ctconf_build(&paths, stack, svc, "c1", &none, &image, &ov, &c, &err), 0);
	assert_string_equal(env_value(&c, "C"), "run");
	assert_string_equal(env_value(&c, "FROM_CALLER"), "ours");
	assert_null(env_value(&c, "UNSET_IN_CALLER"));
	assert_string_equal(c.cfg.process.cwd, "/run");
	assert_string_equal(c.cfg.process.user, "2:2");
	sup_ctconf_free(&c);

	/* Nothing from the service or the run: the image's. */
	assert_int_equal(sup_ctconf_build(&paths, stack, spec_find_service(stack, "plain"), "c1", &none, &image, NULL, &c,
					  &err), 0);
	assert_string_equal(c.cfg.process.cwd, "/img");
	assert_string_equal(c.cfg.process.user, "img");
	sup_ctconf_free(&c);
	strv_free(&run_env);
}

/* Where the container's state goes comes from the paths the caller
 * resolved, the cgroup parent included: nothing below reads STACK_*. */
static void test_paths_from_the_caller(void **state)
{
	(void)state;
	struct strv none = {0};
	struct sup_ctconf c;
	st_error_t err = NULL;
	setenv("STACK_CGROUP_PARENT", "not-this-one", 1);
	setenv("STACK_RUN", "/not/this/one", 1);
	assert_int_equal(sup_ctconf_build(&paths, stack, spec_find_service(stack, "plain"), "c1", &none, &image, NULL,
					  &c, &err), 0);
	unsetenv("STACK_CGROUP_PARENT");
	unsetenv("STACK_RUN");
	char *state_dir = xasprintf("%s/ctconf/c1", run), *cache = xasprintf("%s/cache/seccomp", root);
	assert_string_equal(c.cfg.state_dir, state_dir);
	assert_string_equal(c.cfg.seccomp_cache_dir, cache);
	assert_string_equal(c.cfg.cgroup_parent, "stack-ctconf-test");
	free(state_dir);
	free(cache);
	sup_ctconf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_entrypoint_and_cmd),
		cmocka_unit_test(test_run_overrides),
		cmocka_unit_test(test_nothing_to_run),
		cmocka_unit_test(test_env_cwd_user_precedence),
		cmocka_unit_test(test_paths_from_the_caller),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
