/* Units for the stack loader: fixtures → model fields, errors → diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/spec.h"
#include "util/mem.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#define FIX TEST_SOURCE_DIR "/fixtures/stacks"
#define CORPUS TEST_SOURCE_DIR "/corpus/stack"
#define SEC 1000000000LL

static char env_home[] = "HOME=/home/tester", env_version[] = "VERSION=7", env_shell[] = "FROM_SHELL=shell";
static char *test_env[] = {env_home, env_version, env_shell, NULL};

/* Load files (NULL-terminated) from dir; asserts the outcome matches `ok`. */
static struct spec_stack *load(const char *dir, const char *const *files, const char *profile, bool ok,
			       struct diag_list *diags)
{
	struct spec_load_opts opts = {.workdir = dir, .environ = test_env};
	for (size_t i = 0; files[i]; i++)
		strv_push(&opts.files, files[i]);
	if (profile)
		strv_push(&opts.profiles, profile);
	struct spec_stack *s = NULL;
	int r = spec_load(&opts, &s, diags);
	if (ok && r != 0)
		diag_print(diags, stderr);
	assert_int_equal(r, ok ? 0 : -1);
	if (!ok)
		assert_null(s);
	strv_free(&opts.files);
	strv_free(&opts.profiles);
	return s;
}

static const struct spec_mount *mount_at(const struct spec_service *sv, const char *target)
{
	for (size_t i = 0; i < sv->n_mounts; i++)
		if (strcmp(sv->mounts[i].target, target) == 0)
			return &sv->mounts[i];
	return NULL;
}

static void test_full_top(void **state)
{
	(void)state;
	struct diag_list d = {0};
	struct spec_stack *s = load(FIX, (const char *const[]){"full.yaml", NULL}, NULL, true, &d);
	assert_string_equal(s->name, "espresso");
	assert_string_equal(s->project_dir, FIX);
	assert_string_equal(s->files.v[0], FIX "/full.yaml");

	assert_int_equal(s->n_bases, 5); /* four given, postgres:16 implied by a service */
	const struct spec_base *b = spec_find_base(s, "ubuntu:focal");
	assert_int_equal(b->kind, SPEC_BASE_PULL);
	assert_string_equal(b->ref, "docker.io/library/ubuntu:focal");
	assert_false(b->implicit);
	assert_string_equal(b->pos.file, "full.yaml");
	assert_int_equal(b->pos.line, 4);
	b = spec_find_base(s, "debian:bookworm");
	assert_int_equal(b->kind, SPEC_BASE_DEBOOTSTRAP);
	assert_string_equal(b->debootstrap.suite, "bookworm");
	assert_string_equal(b->debootstrap.variant, "minbase");
	assert_null(b->debootstrap.mirror);
	assert_int_equal(b->debootstrap.include.n, 2);
	assert_string_equal(spec_find_base(s, "alpine-local")->path, FIX "/rootfs/alpine.tar.gz");
	assert_int_equal(spec_find_base(s, "busybox:oci")->kind, SPEC_BASE_OCI);
	b = spec_find_base(s, "postgres:16");
	assert_true(b->implicit);
	assert_string_equal(b->ref, "docker.io/library/postgres:16");

	assert_int_equal(s->n_images, 2);
	const struct spec_image *im = spec_find_image(s, "python3-pip3");
	assert_string_equal(im->context, FIX "/images/base");
	assert_string_equal(im->dockerfile, FIX "/images/base/Dockerfile");
	im = spec_find_image(s, "espresso");
	assert_string_equal(im->context, FIX);
	assert_string_equal(im->dockerfile, FIX "/images/app/Dockerfile");
	assert_string_equal(spec_kvlist_get(&im->args, "VERSION")->value, "7"); /* from the environment */
	assert_string_equal(spec_kvlist_get(&im->args, "PIP_INDEX")->value, "https://pypi.example/simple");
	assert_string_equal(im->target, "run");
	assert_string_equal(spec_kvlist_get(&im->labels, "org.example.team")->value, "coffee");
	assert_null(im->service);

	assert_string_equal(spec_find_secret(s, "espresso_env")->file, FIX "/secret.env");
	assert_string_equal(spec_find_secret(s, "api_token")->environment, "API_TOKEN");
	assert_int_equal(s->volumes.n, 1);
	assert_string_equal(s->volumes.v[0], "pgdata");
	assert_int_equal(s->n_services, 3);
	spec_stack_free(s);
	diag_free(&d);
}

static void test_full_service(void **state)
{
	(void)state;
	struct diag_list d = {0};
	struct spec_stack *s = load(FIX, (const char *const[]){"full.yaml", NULL}, NULL, true, &d);
	const struct spec_service *sv = spec_find_service(s, "espresso");
	assert_string_equal(sv->image, "espresso");
	assert_false(sv->has_build);
	/* command: flask run --host 0.0.0.0 "--port=5000" (split like a shell) */
	assert_true(sv->command_set);
	assert_int_equal(sv->command.n, 5);
	assert_string_equal(sv->command.v[4], "--port=5000");
	assert_int_equal(sv->entrypoint.n, 2);
	/* env_file values first (secret: the file is also a mounted secret), then environment */
	assert_string_equal(sv->environment.v[0].key, "DB_PASSWORD");
	assert_string_equal(sv->environment.v[0].value, "hunter2");
	assert_true(sv->environment.v[0].secret);
	assert_string_equal(spec_kvlist_get(&sv->environment, "SESSION_KEY")->value, "s3cr3t value");
	assert_string_equal(spec_kvlist_get(&sv->environment, "WORKERS")->value, "4");
	assert_false(spec_kvlist_get(&sv->environment, "WORKERS")->secret);
	assert_string_equal(sv->env_file.v[0], FIX "/secret.env");
	assert_string_equal(sv->working_dir, "/srv/app");
	assert_string_equal(sv->user, "1000:1000");
	assert_int_equal(sv->network_mode, SPEC_NET_PRIVATE);

	assert_int_equal(sv->n_ports, 3); /* the range 9000-9001 is expanded */
	assert_int_equal(sv->ports[0].published, 5055);
	assert_int_equal(sv->ports[0].target, 5000);
	assert_int_equal(sv->ports[2].target, 9001);
	assert_int_equal(sv->ports[2].protocol, SPEC_PROTO_UDP);
	assert_string_equal(sv->ports[2].host_ip, "127.0.0.1");

	const struct spec_mount *m = mount_at(sv, "/srv/static");
	assert_int_equal(m->type, SPEC_MOUNT_BIND);
	assert_string_equal(m->source, FIX "/static");
	assert_true(m->read_only);
	assert_true(m->create_host_path);
	m = mount_at(sv, "/var/lib/data");
	assert_int_equal(m->type, SPEC_MOUNT_VOLUME);
	assert_string_equal(m->source, "pgdata");
	m = mount_at(sv, "/run");
	assert_int_equal(m->type, SPEC_MOUNT_TMPFS);
	assert_int_equal(m->tmpfs_size, 16 << 20);
	assert_int_equal(m->tmpfs_mode, 01777);

	assert_int_equal(sv->n_secrets, 2);
	assert_string_equal(sv->secrets[0].target, "/espresso/.env");
	assert_string_equal(sv->secrets[1].target, "/run/secrets/api_token");
	assert_int_equal(sv->secrets[1].mode, 0444);
	assert_int_equal(sv->secrets[1].uid, -1);
	assert_true(sv->read_only);
	assert_string_equal(sv->cap_add.v[0], "NET_BIND_SERVICE");
	assert_string_equal(sv->cap_drop.v[0], "SETUID");
	assert_int_equal(sv->pids_limit, 256);
	assert_int_equal(sv->mem_limit, 1LL << 30);
	assert_int_equal(sv->memswap_limit, 2LL << 30);
	assert_int_equal(sv->cpu_shares, 512);
	assert_int_equal(sv->nano_cpus, 1500000000LL);
	assert_true(sv->no_new_privileges);
	assert_int_equal(sv->seccomp, SPEC_SECCOMP_UNCONFINED);
	assert_int_equal(sv->n_ulimits, 2);
	assert_int_equal(sv->ulimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(sv->ulimits[0].soft, 1024);
	assert_int_equal(sv->ulimits[0].hard, 4096);
	assert_int_equal(sv->ulimits[1].hard, 0);
	assert_true(sv->init);
	assert_int_equal(sv->stop_signal, SIGINT);
	assert_int_equal(sv->stop_grace_period, 90 * SEC);
	assert_int_equal(sv->restart, SPEC_RESTART_ON_FAILURE);
	assert_int_equal(sv->restart_max, 5);
	assert_int_equal(sv->health.kind, SPEC_HEALTH_HTTP);
	assert_int_equal(sv->health.port, 5000);
	assert_string_equal(sv->health.path, "/health");
	assert_int_equal(sv->health.interval, 2 * SEC);
	assert_int_equal(sv->health.start_interval, 5 * SEC); /* Docker's default */
	assert_string_equal(spec_kvlist_get(&sv->labels, "com.example.empty")->value, "");

	sv = spec_find_service(s, "db");
	assert_int_equal(sv->health.kind, SPEC_HEALTH_SHELL);
	assert_string_equal(sv->health.test.v[0], "pg_isready -U postgres");
	assert_int_equal(sv->health.start_period, 10 * SEC);
	assert_int_equal(sv->health.timeout, 30 * SEC);
	assert_int_equal(sv->health.retries, 3);
	assert_int_equal(sv->stop_signal, SIGTERM);
	assert_int_equal(sv->stop_grace_period, 10 * SEC);
	assert_int_equal(sv->restart, SPEC_RESTART_NO);

	sv = spec_find_service(s, "probe");
	assert_int_equal(sv->network_mode, SPEC_NET_NONE);
	assert_false(sv->init);
	assert_int_equal(sv->health.kind, SPEC_HEALTH_TCP);
	assert_int_equal(sv->n_depends_on, 2);
	assert_string_equal(sv->depends_on[0].service, "espresso");
	assert_int_equal(sv->depends_on[0].condition, SPEC_DEP_HEALTHY);
	assert_true(sv->depends_on[0].restart);
	assert_int_equal(sv->depends_on[1].condition, SPEC_DEP_STARTED);
	assert_true(sv->depends_on[1].required);
	assert_int_equal(sv->depends_on[1].pos.line, 74);
	spec_stack_free(s);
	diag_free(&d);
}

static void test_anchors_and_build(void **state)
{
	(void)state;
	struct diag_list d = {0};
	struct spec_stack *s = load(FIX, (const char *const[]){"anchors.yaml", NULL}, NULL, true, &d);
	const struct spec_service *w = spec_find_service(s, "worker");
	assert_int_equal(w->restart, SPEC_RESTART_ON_FAILURE); /* own key beats the merged one */
	assert_int_equal(w->pids_limit, 128);
	assert_string_equal(spec_kvlist_get(&w->environment, "LOG_LEVEL")->value, "debug");
	assert_int_equal(w->health.retries, 5);
	assert_int_equal(w->health.kind, SPEC_HEALTH_TCP);
	assert_string_equal(spec_find_service(s, "api")->cap_drop.v[0], "ALL");
	spec_stack_free(s);

	s = load(FIX, (const char *const[]){"compose.yaml", NULL}, NULL, true, &d);
	assert_string_equal(s->name, "stacks");
	const struct spec_service *app = spec_find_service(s, "app");
	assert_true(app->has_build);
	assert_string_equal(app->image, "stacks-app");
	const struct spec_image *im = spec_find_image(s, "stacks-app");
	assert_non_null(im);
	assert_string_equal(im->service, "app");
	assert_string_equal(im->context, FIX "/images/base");
	assert_string_equal(spec_kvlist_get(&app->environment, "FROM_SHELL")->value, "shell");
	assert_null(spec_kvlist_get(&app->environment, "UNSET_VAR")->value);
	assert_string_equal(spec_kvlist_get(&app->environment, "APP_GREETING")->value, "hello 80");
	assert_int_equal(app->env_file.n, 1); /* the optional missing file is skipped */
	assert_int_equal(app->stop_grace_period, 1500000000LL);
	assert_int_equal(app->ports[0].published, 8081);
	assert_int_equal(app->mounts[1].tmpfs_mode, 0700);
	assert_string_equal(spec_find_service(s, "cache")->command.v[2], "");
	spec_stack_free(s);
	diag_free(&d);
}

static void test_profiles_and_override(void **state)
{
	(void)state;
	struct diag_list d = {0};
	struct spec_stack *s = load(FIX, (const char *const[]){"profiles.yaml", NULL}, NULL, true, &d);
	assert_int_equal(s->n_services, 1);
	assert_int_equal(spec_find_service(s, "web")->n_depends_on, 0); /* required: false, left out */
	assert_null(spec_find_base(s, "busybox"));
	spec_stack_free(s);
	s = load(FIX, (const char *const[]){"profiles.yaml", NULL}, "monitoring", true, &d);
	assert_int_equal(s->n_services, 2);
	assert_non_null(spec_find_service(s, "metrics"));
	spec_stack_free(s);

	s = load(FIX, (const char *const[]){"override.base.yaml", "override.dev.yaml", NULL}, NULL, true, &d);
	const struct spec_service *web = spec_find_service(s, "web");
	assert_string_equal(web->command.v[0], "nginx-debug");
	assert_int_equal(web->mem_limit, 1LL << 30);
	assert_int_equal(web->n_ports, 2);
	assert_string_equal(spec_kvlist_get(&web->environment, "MODE")->value, "dev");
	assert_string_equal(spec_kvlist_get(&web->environment, "KEEP")->value, "1");
	assert_string_equal(s->file_names.v[1], "override.dev.yaml");
	assert_string_equal(spec_find_service(s, "tools")->pos.file, "override.dev.yaml");
	assert_string_equal(spec_find_service(s, "tools")->entrypoint.v[2], "echo \"tools ready\"; sleep 1");
	spec_stack_free(s);
	diag_free(&d);
}

static void test_errors(void **state)
{
	(void)state;
	struct diag_list d = {0};
	load(CORPUS, (const char *const[]){"several-errors.yaml", NULL}, NULL, false, &d);
	assert_int_equal(d.n, 7);
	assert_string_equal(d.v[0].file, "several-errors.yaml");
	assert_int_equal(d.v[0].line, 5);
	assert_int_equal(d.v[0].col, 5);
	assert_string_equal(d.v[0].hint, "did you mean `ports`?");
	diag_free(&d);

	load(CORPUS, (const char *const[]){"depends-cycle.yaml", NULL}, NULL, false, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, "depends_on cycle: a -> b -> c -> a");
	diag_free(&d);

	/* Errors of every file, not just the first. */
	load(CORPUS, (const char *const[]){"bad-restart.yaml", "tabs.yaml", "empty.yaml", NULL}, NULL, false, &d);
	assert_int_equal(d.n, 2);
	diag_sort(&d);
	assert_string_equal(d.v[0].file, "empty.yaml");
	assert_string_equal(d.v[1].file, "tabs.yaml");
	diag_free(&d);

	/* The profile-gated dependency is fine once the profile is on. */
	struct spec_stack *s = load(CORPUS, (const char *const[]){"profile-dependency.yaml", NULL}, "debug", true, &d);
	assert_int_equal(s->n_services, 2);
	spec_stack_free(s);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_top),
		cmocka_unit_test(test_full_service),
		cmocka_unit_test(test_anchors_and_build),
		cmocka_unit_test(test_profiles_and_override),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
