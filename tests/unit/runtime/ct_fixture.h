/* The fixture the container unit tests share: a temp dir with a busybox
 * rootfs, a secret file and a seccomp cache, containers named
 * PREFIX<pid>-N under a cgroup parent of this process's own, and a
 * teardown that sweeps every container a failed assertion left running.
 * Each test program includes it once (static state, one per program). */
#ifndef STACK_TEST_CT_FIXTURE_H
#define STACK_TEST_CT_FIXTURE_H

#include "runtime/container.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* strstr() that shows the text when the needle is missing (a bare
 * assert_non_null() would only say "0x0 is NULL"). */
#define assert_contains(text, needle)                                              \
	do {                                                                           \
		const char *text_ = (text), *needle_ = (needle);                           \
		if (!text_ || !strstr(text_, needle_))                                     \
			fail_msg("`%s` not found in:\n%s", needle_, text_ ? text_ : "(null)"); \
	} while (0)

static char tmp[] = "/tmp/stack-rt-test-XXXXXX";
static char rootfs[256], run_dir[256], secret[256], seccomp_cache[256], cgparent[64];
static char id_prefix;
static int counter;

__attribute__((unused)) static int ct_fixture_setup(const char *program, char prefix)
{
	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root\n", program);
		return -1;
	}
	if (!mkdtemp(tmp))
		return -1;
	id_prefix = prefix;
	snprintf(rootfs, sizeof(rootfs), "%s/root/busybox", tmp);
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmp);
	snprintf(secret, sizeof(secret), "%s/secret.env", tmp);
	snprintf(seccomp_cache, sizeof(seccomp_cache), "%s/root/cache/seccomp", tmp);
	snprintf(cgparent, sizeof(cgparent), "stack-test-%c%d", prefix, (int)getpid());
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s/fixtures/busybox-rootfs.sh %s >/dev/null", TEST_SOURCE_DIR, rootfs);
	if (system(cmd) != 0)
		return -1;
	FILE *f = fopen(secret, "w");
	if (!f)
		return -1;
	fputs("API_KEY=espresso\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

__attribute__((unused)) static int ct_fixture_teardown(void)
{
	st_error_t err = NULL;
	/* A failed assertion skips a test's destroy: sweep every container
	 * we may have started, whatever happened. */
	for (int i = 1; i <= counter; i++) {
		char id[64], sd[320];
		snprintf(id, sizeof(id), "%c%d-%d", id_prefix, (int)getpid(), i);
		snprintf(sd, sizeof(sd), "%s/%s", run_dir, id);
		if (rt_container_remove_stale(id, sd, cgparent, &err) < 0) {
			fprintf(stderr, "teardown: %s\n", err->msg);
			st_error_free(&err);
		}
	}
	fs_remove_tree(tmp, &err);
	st_error_free(&err);
	return 0;
}

struct run {
	struct rt_config cfg;
	const char *lower[2];
	const char *argv[4];
	char id[64], state_dir[320];
	struct rt_mount mounts[4];
};

/* `sh -c script` over the busybox rootfs, stdio as pipes. */
__attribute__((unused)) static void ct_run_init(struct run *r, const char *script)
{
	rt_config_init(&r->cfg);
	snprintf(r->id, sizeof(r->id), "%c%d-%d", id_prefix, (int)getpid(), ++counter);
	snprintf(r->state_dir, sizeof(r->state_dir), "%s/%s", run_dir, r->id);
	r->lower[0] = rootfs;
	r->lower[1] = NULL;
	r->argv[0] = "/bin/sh";
	r->argv[1] = "-c";
	r->argv[2] = script;
	r->argv[3] = NULL;
	r->cfg.id = r->id;
	r->cfg.state_dir = r->state_dir;
	r->cfg.lower_dirs = r->lower;
	r->cfg.process.argv = r->argv;
	r->cfg.process.stdio = RT_STDIO_PIPES;
	r->cfg.cgroup_parent = cgparent;
	r->cfg.seccomp_cache_dir = seccomp_cache;
	r->cfg.mounts = r->mounts;
}

/* All of fd up to EOF (caller frees). */
__attribute__((unused)) static char *ct_read_all(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return buf;
}

/* Start r with its stdin closed; a failed start fails the test. */
__attribute__((unused)) static struct rt_container *ct_start(struct run *r)
{
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	if (rt_container_start(&r->cfg, &ct, &err) < 0)
		fail_msg("start: %s", err ? err->msg : "?");
	close(rt_container_take_stdio(ct, 0));
	return ct;
}

/* Collect ct's stdout and stderr, wait for it (*st: how it ended) and
 * destroy it: the output, stdout first (caller frees). */
__attribute__((unused)) static char *ct_finish(struct rt_container *ct, struct rt_exit *st)
{
	st_error_t err = NULL;
	char *out = ct_read_all(rt_container_stdio(ct, 1));
	char *errout = ct_read_all(rt_container_stdio(ct, 2));
	assert_int_equal(rt_container_wait(ct, st, &err), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	char *all = xasprintf("%s%s", out, errout);
	free(out);
	free(errout);
	return all;
}

/* PARENT/ID in any cgroup hierarchy of the host: how many dirs exist. */
__attribute__((unused)) static int ct_cgroup_dirs(const char *id)
{
	int n = 0;
	DIR *d = opendir("/sys/fs/cgroup");
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[512];
		struct stat st;
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s/%s", de->d_name, cgparent, id);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n++;
	}
	closedir(d);
	/* A pure cgroup2 host mounts the tree itself at /sys/fs/cgroup. */
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s", cgparent, id);
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		n++;
	return n;
}

#endif
