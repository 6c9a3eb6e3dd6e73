/* What the builder and the supervisor stand on, with real containers (as
 * test_container.c: a busybox rootfs, a temp dir, a cgroup parent of our
 * own, all removed at the end; needs root):
 *  - many image layers (up to overlayfs's 500), by the new mount API and
 *    by the fallback for kernels without "lowerdir+";
 *  - a writable layer the caller owns: kept by destroy, reused by the next
 *    start (restart), holding overlayfs whiteouts for what was deleted;
 *  - a socket made in a container's network namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/container.h"
#include "runtime/internal.h" /* rt_overlay_force_legacy, ct->p.pidfd */
#include "util/fs.h"
#include "util/mem.h"
#include "ct_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>


static int group_setup(void **state)
{
	(void)state;
	return ct_fixture_setup("test_container_storage", 's');
}

static int group_teardown(void **state)
{
	(void)state;
	return ct_fixture_teardown();
}

/* Start, collect stdout+stderr, wait, destroy: the output. */
static char *run_ok(struct run *r)
{
	struct rt_exit st;
	char *all = ct_finish(ct_start(r), &st);
	if (st.exit_code != 0)
		fail_msg("exit %d:\n%s", st.exit_code, all);
	struct stat sb;
	assert_int_equal(lstat(r->state_dir, &sb), -1); /* destroy removed it */
	return all;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Start fails with `want` in the error and leaves no state dir, fd or child. */
static void expect_start_failure(struct run *r, const char *want)
{
	int fds = count_entries("/proc/self/fd");
	int states = count_entries(run_dir);
	struct rt_container *ct = NULL;
	st_error_t err = NULL;
	assert_int_equal(rt_container_start(&r->cfg, &ct, &err), -1);
	assert_null(ct);
	char *text = st_error_text(err);
	assert_contains(text, want);
	free(text);
	st_error_free(&err);
	assert_int_equal(count_entries(run_dir), states);
	assert_int_equal(count_entries("/proc/self/fd"), fds);
	struct stat sb;
	assert_int_equal(lstat(r->state_dir, &sb), -1);
	/* No zombie of the failed start (another container may run on). */
	assert_true(waitpid(-1, NULL, WNOHANG) <= 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("create %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* ---- many layers ---- */

/* n lower dirs, topmost first: n-1 generated layers over the busybox
 * rootfs.  Layer k (1 = just above the rootfs) adds /l/fk and writes /l/top
 * = k; the topmost one also holds a whiteout for /l/f1.  Names have ':'
 * and ',' (which lowerdir= would split on) and are as long as a store's
 * (sha256-<64 hex>); layer 3 sits at a path longer than fsconfig()'s 255
 * bytes.  Built once for the largest n and sliced. */
#define MAX_GEN 500
static char *layer_path[MAX_GEN];
static const char *lowers[MAX_GEN + 2];

static void make_layers(void)
{
	if (layer_path[1])
		return;
	st_error_t err = NULL;
	for (int k = 1; k < MAX_GEN; k++) {
		char *d;
		if (k == 3)
			d = xasprintf("%s/layers/%0200d/sha256:%064d,3", tmp, 0, k);
		else
			d = xasprintf("%s/layers/sha256:%064d,%d", tmp, k, k);
		char *l = xasprintf("%s/l", d);
		assert_int_equal(fs_mkdir_p(l, 0755, &err), 0);
		char *f = xasprintf("%s/f%d", l, k), *t = xasprintf("%s/top", l), *v = xasprintf("%d\n", k);
		write_file(f, v);
		write_file(t, v);
		free(f);
		free(t);
		free(v);
		free(l);
		layer_path[k] = d;
	}
}

/* lowers[] for n layers: the top is layer n-1, with the whiteout. */
static void slice_layers(int n, char *wh, size_t whsize)
{
	make_layers();
	for (int i = 0; i < n - 1; i++)
		lowers[i] = layer_path[n - 1 - i];
	lowers[n - 1] = rootfs;
	lowers[n] = NULL;
	snprintf(wh, whsize, "%s/l/f1", layer_path[n - 1]);
	unlink(wh); /* left by a failed run */
	assert_int_equal(mknod(wh, S_IFCHR | 0600, makedev(0, 0)), 0);
}

static void check_layers(int n)
{
	char wh[1024];
	slice_layers(n, wh, sizeof(wh));
	struct run r;
	ct_run_init(&r, "cat /l/top; echo files=$(ls /l | wc -l); test -e /l/f1 && echo f1-visible;"
		     "cat /l/f2 /l/f3; echo sh=$(busybox echo ok);"
		     /* which way it was mounted: each layer on its own, or fd names */
		     "grep ' / / ' /proc/self/mountinfo | grep -q 'lowerdir+=/' && echo api=fsconfig;"
		     "grep ' / / ' /proc/self/mountinfo | grep -q 'lowerdir=[0-9]*:[0-9]' && echo api=mount; true");
	r.cfg.lower_dirs = lowers;
	char *out = run_ok(&r);
	/* Topmost wins (/l/top), every layer adds its file, and the whiteout
	 * hides f1: f2..f(n-1) and top. */
	char *want = xasprintf("%d\nfiles=%d\n2\n3\nsh=ok\napi=%s\n", n - 1, n - 1,
			       rt_overlay_force_legacy ? "mount" : "fsconfig");
	assert_string_equal(out, want);
	free(want);
	free(out);
	unlink(wh);
}

static void test_128_layers(void **state)
{
	(void)state;
	rt_overlay_force_legacy = false;
	check_layers(128);
}

static void test_500_layers(void **state)
{
	(void)state;
	rt_overlay_force_legacy = false;
	check_layers(500);
}

/* Kernels without "lowerdir+" (before 6.8): mount(2) with fd names. */
static void test_500_layers_legacy_mount(void **state)
{
	(void)state;
	rt_overlay_force_legacy = true;
	check_layers(128);
	check_layers(500);
	rt_overlay_force_legacy = false;
}

static void test_too_many_layers(void **state)
{
	(void)state;
	make_layers();
	static const char *many[503];
	for (int i = 0; i < 501; i++)
		many[i] = layer_path[1 + i % (MAX_GEN - 1)];
	many[501] = rootfs;
	many[502] = NULL;
	struct run r;
	ct_run_init(&r, "true");
	r.cfg.lower_dirs = many;
	expect_start_failure(&r, "502 image layers, overlayfs stacks at most 500: squash the image");
}

/* ---- a writable layer the caller owns ---- */

struct layer_dirs {
	char base[300], upper[320], work[320];
};

static void layer_dirs_make(struct layer_dirs *d, const char *name)
{
	st_error_t err = NULL;
	snprintf(d->base, sizeof(d->base), "%s/%s", tmp, name);
	snprintf(d->upper, sizeof(d->upper), "%s/upper", d->base);
	snprintf(d->work, sizeof(d->work), "%s/work", d->base);
	assert_int_equal(fs_mkdir_p(d->upper, 0755, &err), 0);
	assert_int_equal(fs_mkdir_p(d->work, 0755, &err), 0);
}

static void assert_whiteout(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		fail_msg("no whiteout at %s: %s", path, strerror(errno));
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 0);
	assert_int_equal(minor(st.st_rdev), 0);
}

/* What a RUN step does: write, delete, replace a directory; after the
 * container is gone, the upper dir on the host is the layer to commit. */
static void test_caller_owned_upper_is_the_layer(void **state)
{
	(void)state;
	struct layer_dirs d;
	layer_dirs_make(&d, "step1");
	struct run r;
	ct_run_init(&r, "echo brewed > /coffee; rm /etc/group; rm -r /home; mkdir /home; echo new > /home/x;"
		     "mkdir /srv && echo kept > /srv/y && rm /srv/y");
	r.cfg.upper_dir = d.upper;
	r.cfg.work_dir = d.work;
	char *out = run_ok(&r);
	assert_string_equal(out, "");
	free(out);
	st_error_t err = NULL;

	char *p = xasprintf("%s/coffee", d.upper), *content = NULL;
	assert_int_equal(fs_read_file(p, 0, &content, NULL, &err), 0);
	assert_string_equal(content, "brewed\n");
	free(content);
	free(p);
	/* A deleted lower file: a whiteout (char 0:0). */
	p = xasprintf("%s/etc/group", d.upper);
	assert_whiteout(p);
	free(p);
	/* A lower directory removed and made again: opaque, so the lower
	 * /home/earl stays hidden, and only the new file is in it. */
	p = xasprintf("%s/home", d.upper);
	char v[8] = "";
	assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	assert_int_equal(count_entries(p), 1);
	free(p);
	/* Made and deleted in the container: nothing (no whiteout needed). */
	p = xasprintf("%s/srv", d.upper);
	assert_int_equal(count_entries(p), 0);
	free(p);
}

/* compose's `restart`: stop a container, start a new one over the same
 * upper; it finds its files, and deletions stay deleted. */
static void test_restart_keeps_the_writable_layer(void **state)
{
	(void)state;
	struct layer_dirs d;
	layer_dirs_make(&d, "svc");
	struct run r;
	ct_run_init(&r, "echo 1 >> /data/count 2>/dev/null || { mkdir /data; echo 1 > /data/count; };"
		     "rm -f /etc/group; echo up; exec sleep 60");
	r.cfg.upper_dir = d.upper;
	r.cfg.work_dir = d.work;
	struct rt_container *ct = ct_start(&r);
	char buf[8] = "";
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, 3), 3);
	assert_string_equal(buf, "up\n");
	st_error_t err = NULL;
	struct rt_exit st;
	assert_int_equal(rt_container_stop(ct, 5000, &st, &err), 0);
	assert_int_equal(rt_container_sync_upper(ct, &err), 0);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	struct stat sb;
	assert_int_equal(lstat(r.state_dir, &sb), -1);
	assert_int_equal(stat(d.upper, &sb), 0); /* ours: kept */

	/* The same config again (id, state dir: destroy removed it), another
	 * command. */
	r.argv[2] = "cat /data/count; test -e /etc/group || echo group-deleted";
	char *out = run_ok(&r);
	assert_string_equal(out, "1\ngroup-deleted\n");
	free(out);
	/* And again: it appends to what the first two wrote. */
	r.argv[2] = "echo 1 >> /data/count; cat /data/count";
	out = run_ok(&r);
	assert_string_equal(out, "1\n1\n");
	free(out);

	/* The runtime's own upper is still thrown away with the container. */
	ct_run_init(&r, "echo 1 > /scratch");
	out = run_ok(&r);
	free(out);
	char *p = xasprintf("%s/upper/scratch", r.state_dir);
	assert_int_equal(lstat(p, &sb), -1);
	free(p);
}

/* Two containers writing one upper would corrupt it: the second start is
 * refused while the first one exists, and works once it is destroyed. */
static void test_upper_in_use_is_refused(void **state)
{
	(void)state;
	struct layer_dirs d;
	layer_dirs_make(&d, "shared");
	struct run a, b;
	ct_run_init(&a, "echo a > /who; echo up; exec sleep 60");
	a.cfg.upper_dir = d.upper;
	a.cfg.work_dir = d.work;
	struct rt_container *ct = ct_start(&a);
	char buf[8] = "";
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, 3), 3);
	ct_run_init(&b, "echo b > /who");
	b.cfg.upper_dir = d.upper;
	b.cfg.work_dir = d.work;
	char *want = xasprintf("upper dir `%s` is in use by another container: destroy that one first", d.upper);
	expect_start_failure(&b, want);
	free(want);
	st_error_t err = NULL;
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	char *out = run_ok(&b);
	free(out);
	char *p = xasprintf("%s/who", d.upper), *content = NULL;
	assert_int_equal(fs_read_file(p, 0, &content, NULL, &err), 0);
	assert_string_equal(content, "b\n");
	free(content);
	free(p);
}

static void test_bad_upper_dirs(void **state)
{
	(void)state;
	struct layer_dirs d;
	layer_dirs_make(&d, "bad");
	struct run r;
	ct_run_init(&r, "true");
	char *missing = xasprintf("%s/missing", tmp);
	r.cfg.upper_dir = missing;
	r.cfg.work_dir = d.work;
	expect_start_failure(&r, "upper dir `");
	free(missing);

	ct_run_init(&r, "true");
	r.cfg.upper_dir = d.upper;
	expect_start_failure(&r, "upper_dir and work_dir are given together or not at all");

	ct_run_init(&r, "true");
	r.cfg.upper_dir = d.upper;
	r.cfg.work_dir = d.upper;
	expect_start_failure(&r, "must be separate directories, neither inside the other");

	/* overlayfs refuses it too, but says why only in the kernel log. */
	char *nested = xasprintf("%s/w", d.upper);
	assert_int_equal(mkdir(nested, 0755), 0);
	ct_run_init(&r, "true");
	r.cfg.upper_dir = d.upper;
	r.cfg.work_dir = nested;
	expect_start_failure(&r, "must be separate directories, neither inside the other");
	rmdir(nested);
	free(nested);

	/* /dev/shm is a tmpfs of its own. */
	char shm[] = "/dev/shm/stack-storage-XXXXXX";
	assert_non_null(mkdtemp(shm));
	ct_run_init(&r, "true");
	r.cfg.upper_dir = d.upper;
	r.cfg.work_dir = shm;
	expect_start_failure(&r, "must be on the same filesystem");
	rmdir(shm);
	/* Nothing was written into the caller's dirs. */
	assert_int_equal(count_entries(d.upper), 0);
	assert_int_equal(count_entries(d.work), 0);
}

/* ---- a socket in the container's network namespace ---- */

static ino_t thread_netns(void)
{
	struct stat st;
	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

static int wait_fd(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;
	do
		r = poll(&p, 1, 20000); /* a hang guard, not a measurement */
	while (r < 0 && errno == EINTR);
	return r;
}

static int connect_port(int fd, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

/* GET / through a socket the runtime made in the container: the reply. */
static char *http_get(struct rt_container *ct, int port)
{
	st_error_t err = NULL;
	ino_t before = thread_netns();
	int fd = rt_container_socket(ct, AF_INET, SOCK_STREAM, 0, &err);
	if (fd < 0)
		fail_msg("rt_container_socket: %s", err->msg);
	/* Back in our own namespace; the socket is non-blocking, close-on-exec. */
	assert_int_equal(thread_netns(), before);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	if (connect_port(fd, port) < 0) {
		assert_int_equal(errno, EINPROGRESS);
		assert_int_equal(wait_fd(fd, POLLOUT), 1);
		int e = 0;
		socklen_t len = sizeof(e);
		assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
		if (e)
			fail_msg("connect to the container's 127.0.0.1:%d: %s", port, strerror(e));
	}
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	char buf[4096];
	size_t n = 0;
	for (;;) {
		if (wait_fd(fd, POLLIN) != 1)
			fail_msg("no reply from the container's 127.0.0.1:%d", port);
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0 || (n += (size_t)k) == sizeof(buf) - 1)
			break;
	}
	buf[n] = '\0';
	close(fd);
	return xstrdup(buf);
}

/* A plain socket of this thread reaches the host's 127.0.0.1:port, where
 * `host` listens: the connection is in its accept queue, not the
 * container's. */
static void expect_host_connect(int host, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect_port(fd, port), 0);
	int c = accept4(host, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		fail_msg("the host's listener did not get our connection: %s", strerror(errno));
	close(c);
	close(fd);
}

struct prober {
	struct rt_container *ct;
	int port, rounds, ok;
};

static void *probe_thread(void *arg)
{
	struct prober *p = arg;
	for (int i = 0; i < p->rounds; i++) {
		char *reply = http_get(p->ct, p->port);
		p->ok += strstr(reply, "served-from-container") != NULL;
		free(reply);
	}
	return NULL;
}

static void test_socket_in_container_netns(void **state)
{
	(void)state;
	/* The host listens on the port the container serves on: a socket
	 * made in the wrong namespace would reach the host, and hang. */
	int host = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(host >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(host, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(host, 64), 0);
	assert_int_equal(getsockname(host, (struct sockaddr *)&a, &alen), 0);
	int port = ntohs(a.sin_port);

	char script[512];
	snprintf(script, sizeof(script),
		 "mkdir -p /www && echo served-from-container > /www/index.html &&"
		 "httpd -f -p 127.0.0.1:%d -h /www & "
		 "until grep -q ':%04X 00000000:0000 0A' /proc/net/tcp; do usleep 10000; done; echo ready; wait",
		 port, port);
	struct run r;
	ct_run_init(&r, script);
	struct rt_container *ct = ct_start(&r);
	char buf[8] = "";
	assert_int_equal(read(rt_container_stdio(ct, 1), buf, 6), 6);
	assert_string_equal(buf, "ready\n");

	char *reply = http_get(ct, port);
	assert_contains(reply, "200 OK");
	assert_contains(reply, "served-from-container");
	free(reply);
	expect_host_connect(host, port);

	/* Without a pidfd (old kernels, valgrind): /proc/PID/ns/net. */
	int pidfd = ct->p.pidfd;
	ct->p.pidfd = -1;
	reply = http_get(ct, port);
	assert_contains(reply, "served-from-container");
	free(reply);
	ct->p.pidfd = pidfd;

	/* Concurrently: a probe thread in and out of the container's
	 * namespace while this thread keeps using the host's. */
	struct prober p = {.ct = ct, .port = port, .rounds = 40};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, probe_thread, &p), 0);
	ino_t mine = thread_netns();
	for (int i = 0; i < 40; i++) {
		expect_host_connect(host, port);
		assert_int_equal(thread_netns(), mine);
		reply = http_get(ct, port);
		assert_contains(reply, "served-from-container");
		free(reply);
	}
	pthread_join(th, NULL);
	assert_int_equal(p.ok, p.rounds);

	/* Once the container is gone: an error, not a socket of the host. */
	st_error_t err = NULL;
	struct rt_exit st;
	assert_int_equal(rt_container_kill(ct, SIGKILL, &err), 0);
	assert_int_equal(rt_container_wait(ct, &st, &err), 0);
	assert_int_equal(rt_container_socket(ct, AF_INET, SOCK_STREAM, 0, &err), -1);
	assert_int_equal(err->status, ESRCH);
	st_error_free(&err);
	assert_int_equal(rt_container_destroy(ct, &err), 0);
	close(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_128_layers),
		cmocka_unit_test(test_500_layers),
		cmocka_unit_test(test_500_layers_legacy_mount),
		cmocka_unit_test(test_too_many_layers),
		cmocka_unit_test(test_caller_owned_upper_is_the_layer),
		cmocka_unit_test(test_restart_keeps_the_writable_layer),
		cmocka_unit_test(test_upper_in_use_is_refused),
		cmocka_unit_test(test_bad_upper_dirs),
		cmocka_unit_test(test_socket_in_container_netns),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
