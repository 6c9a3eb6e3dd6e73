/* Published ports against real busybox containers (RT_NET_NONE: only
 * lo): the proxy runs on a uv loop in a thread of its own, as in the
 * supervisor, and the test is the client, with plain blocking sockets on
 * the host's loopback.  10 MB both ways intact, many connections at once,
 * an app bound to the container's 127.0.0.1, a detached forward refusing,
 * a port in use, UDP, and an app that never reads (the sender is held back,
 * our memory is not spent).  Then against an app the test makes itself
 * in a container's netns (app_listen): 64 MiB each way to slow readers, a
 * server that speaks first, half-close both ways, resets behind full
 * queues, a client that never reads, 500 exchanges at once.  Loopback
 * ports 15200-15299 only.  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervisor/ports.h"
#include "util/mem.h"
#include "loop_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT_IN_USE 15201
#define PORT_FREE 15202

static uv_loop_t loop;
static uv_async_t wake;
static pthread_t loop_thread;
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*call_fn)(void *);
static void *call_arg;
static sem_t call_done;

static void wake_cb(uv_async_t *a)
{
	(void)a;
	pthread_mutex_lock(&call_lock);
	void (*fn)(void *) = call_fn;
	void *arg = call_arg;
	call_fn = NULL;
	pthread_mutex_unlock(&call_lock);
	if (fn) {
		fn(arg);
		sem_post(&call_done);
	}
}

/* Run fn(arg) on the loop's thread and wait for it. */
static void on_loop(void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&call_lock);
	call_fn = fn;
	call_arg = arg;
	pthread_mutex_unlock(&call_lock);
	uv_async_send(&wake);
	while (sem_wait(&call_done) < 0 && errno == EINTR)
		;
}

static void *loop_main(void *arg)
{
	(void)arg;
	uv_run(&loop, UV_RUN_DEFAULT);
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (ct_fixture_setup("test_ports", 'p') < 0 || uv_loop_init(&loop) < 0 || sem_init(&call_done, 0, 0) < 0 ||
	    uv_async_init(&loop, &wake, wake_cb) < 0)
		return -1;
	return pthread_create(&loop_thread, NULL, loop_main, NULL) == 0 ? 0 : -1;
}

/* Every handle, also those a failed test left open (the loop's memory
 * goes with the process). */
static void close_wake(void *arg)
{
	(void)arg;
	uv_walk(&loop, close_handle, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	on_loop(close_wake, NULL);
	pthread_join(loop_thread, NULL);
	uv_loop_close(&loop);
	return loop_fixture_teardown();
}

/* ---- on the loop ---- */

struct bind_call {
	const struct spec_port *ports;
	size_t n;
	struct sup_ports *p;
	struct rt_container *ct;
	st_error_t err;
	int rc;
	uint16_t host_port; /* of the first port's target */
	json_t *json;
};

static void do_bind(void *arg)
{
	struct bind_call *b = arg;
	b->rc = sup_ports_bind(&loop, b->ports, b->n, &b->p, &b->err);
	if (b->rc == 0) {
		sup_ports_attach(b->p, b->ct);
		b->host_port = b->n ? sup_ports_host_port(b->p, b->ports[0].target, b->ports[0].protocol) : 0;
	}
}

static void do_attach(void *arg)
{
	struct bind_call *b = arg;
	sup_ports_attach(b->p, b->ct);
}

static void do_json(void *arg)
{
	struct bind_call *b = arg;
	json_decref(b->json);
	b->json = sup_ports_json(b->p);
}

static void do_close(void *arg)
{
	struct bind_call *b = arg;
	sup_ports_close(b->p);
	b->p = NULL;
}

/* Publish 127.0.0.1:0 -> target of ct; the host port. */
static uint16_t publish(struct bind_call *b, struct spec_port *sp, uint16_t target, struct rt_container *ct)
{
	*sp = (struct spec_port){.host_ip = (char *)"127.0.0.1", .published = 0, .target = target};
	*b = (struct bind_call){.ports = sp, .n = 1, .ct = ct};
	on_loop(do_bind, b);
	if (b->rc < 0)
		fail_msg("bind: %s", b->err->msg);
	assert_int_not_equal(b->host_port, 0);
	return b->host_port;
}

static void unpublish(struct bind_call *b)
{
	on_loop(do_close, b);
	json_decref(b->json);
	b->json = NULL;
}

/* ---- the client ---- */

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect 127.0.0.1:%u: %s", port, strerror(errno));
	return fd;
}

/* A byte stream both ends can compute: xorshift. */
static void fill(uint64_t *seed, unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		buf[i] = (unsigned char)*seed;
	}
}

#define TEN_MB (10 * 1024 * 1024)

#define SEED_UP 88172645463325252ULL
#define SEED_DOWN 0x9E3779B97F4A7C15ULL

/* n bytes of the stream of seed, then shutdown(SHUT_WR) (keep_open: not). */
struct sender {
	int fd;
	size_t n;
	uint64_t seed;
	bool keep_open;
	int rc;
};

static void *send_stream(void *arg)
{
	struct sender *s = arg;
	uint64_t seed = s->seed;
	static _Thread_local unsigned char buf[65536];
	size_t sent = 0;
	while (sent < s->n) {
		size_t k = s->n - sent < sizeof(buf) ? s->n - sent : sizeof(buf);
		fill(&seed, buf, k);
		for (size_t off = 0; off < k;) {
			ssize_t w = send(s->fd, buf + off, k - off, 0);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				s->rc = -1;
				return NULL;
			}
			off += (size_t)w;
		}
		sent += k;
	}
	s->rc = s->keep_open ? 0 : shutdown(s->fd, SHUT_WR);
	return NULL;
}

/* Reads to EOF or an error, comparing with the stream of seed; a slow
 * reader with `every` (sleeps pause_us after each `every` bytes), so that
 * the proxy's writes toward it are partial and queue. */
struct receiver {
	int fd;
	uint64_t seed;
	size_t every;
	useconds_t pause_us;
	size_t total;
	bool differs;
	int err; /* errno of the read that ended it; 0 at EOF */
};

static void *recv_stream(void *arg)
{
	struct receiver *r = arg;
	static _Thread_local unsigned char got[65536], want[65536];
	size_t since = 0;
	for (;;) {
		ssize_t n = recv(r->fd, got, sizeof(got), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->err = n < 0 ? errno : 0;
			return NULL;
		}
		fill(&r->seed, want, (size_t)n);
		if (memcmp(got, want, (size_t)n) != 0)
			r->differs = true;
		r->total += (size_t)n;
		if (r->every && (since += (size_t)n) >= r->every) {
			since = 0;
			usleep(r->pause_us);
		}
	}
}

/* n bytes of seed's stream sent on `from` (by a thread) and then EOF,
 * read on `to`: all of them, in order, and EOF (not a reset). */
static void pass_stream(int from, int to, size_t n, uint64_t seed)
{
	struct sender s = {.fd = from, .n = n, .seed = seed};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, send_stream, &s), 0);
	struct receiver r = {.fd = to, .seed = seed};
	recv_stream(&r);
	pthread_join(t, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.total, n);
	assert_false(r.differs);
}

/* 10 MB up to an echo server and the same 10 MB back, byte for byte,
 * through a kernel-picked host port; then EOF both ways. */
static void test_ten_mb_both_ways(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("nc -ll -p 80 -e /bin/cat");
	wait_listen(ct, 80);
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 80, ct);

	int fd = dial(hp);
	pass_stream(fd, fd, TEN_MB, SEED_UP);
	close(fd);

	on_loop(do_json, &b);
	json_t *e = json_array_get(b.json, 0);
	assert_string_equal(json_string_value(json_object_get(e, "host_ip")), "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(e, "host_port")), hp);
	assert_int_equal(json_integer_value(json_object_get(e, "target")), 80);
	assert_string_equal(json_string_value(json_object_get(e, "protocol")), "tcp");
	assert_int_equal(json_integer_value(json_object_get(e, "accepted")), 1);
	unpublish(&b);
	stop_ct(ct);
}

#define MANY 100

/* MANY connections open at once, each asking for its own file and
 * getting that one. */
static void test_many_concurrent_connections(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("mkdir -p /www && for i in $(seq 0 99); do "
					   "echo \"connection $i says hello\" >/www/c$i.txt; done && "
					   "httpd -f -p 0.0.0.0:80 -h /www");
	wait_listen(ct, 80);
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 80, ct);
	int fds[MANY];
	for (int i = 0; i < MANY; i++)
		fds[i] = dial(hp);
	for (int i = 0; i < MANY; i++) {
		char req[64];
		int n = snprintf(req, sizeof(req), "GET /c%d.txt HTTP/1.0\r\n\r\n", i);
		assert_int_equal(send(fds[i], req, (size_t)n, 0), n);
	}
	for (int i = MANY - 1; i >= 0; i--) {
		char want[64], got[1024];
		snprintf(want, sizeof(want), "\r\n\r\nconnection %d says hello\n", i);
		size_t n = 0;
		ssize_t r;
		while (n + 1 < sizeof(got) && (r = recv(fds[i], got + n, sizeof(got) - 1 - n, 0)) > 0)
			n += (size_t)r;
		got[n] = '\0';
		assert_contains(got, " 200 ");
		assert_contains(got, want);
		close(fds[i]);
	}
	on_loop(do_json, &b);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(b.json, 0), "accepted")), MANY);
	unpublish(&b);
	stop_ct(ct);
}

/* An app bound to the container's own 127.0.0.1 (out of DNAT's reach)
 * answers through the proxy. */
static void test_app_bound_to_container_loopback(void **state)
{
	(void)state;
	struct rt_container *ct =
		start_ct("mkdir -p /www && echo served >/www/index.html && httpd -f -p 127.0.0.1:8080 -h /www");
	wait_listen(ct, 8080);
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 8080, ct);
	int fd = dial(hp);
	const char req[] = "GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n";
	assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	char got[4096];
	size_t n = 0;
	ssize_t r;
	while (n + 1 < sizeof(got) && (r = recv(fd, got + n, sizeof(got) - 1 - n, 0)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	close(fd);
	assert_contains(got, " 200 ");
	assert_contains(got, "served\n");
	unpublish(&b);
	stop_ct(ct);
}

/* Detached (the container restarts): a new connection is reset, and
 * once attached again it is served. */
static void test_detached_forward_refuses(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("nc -ll -p 80 -e /bin/cat");
	wait_listen(ct, 80);
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 80, ct);
	b.ct = NULL;
	on_loop(do_attach, &b);
	int fd = dial(hp);
	char c;
	ssize_t r = recv(fd, &c, 1, 0);
	int e = errno;
	close(fd);
	assert_int_equal(r, -1);
	assert_int_equal(e, ECONNRESET);

	b.ct = ct;
	on_loop(do_attach, &b);
	fd = dial(hp);
	assert_int_equal(send(fd, "x", 1, 0), 1);
	assert_int_equal(recv(fd, &c, 1, 0), 1);
	assert_int_equal(c, 'x');
	close(fd);
	on_loop(do_json, &b);
	json_t *j = json_array_get(b.json, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "refused")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 2);
	unpublish(&b);

	/* Nothing listening on the target: reset too. */
	hp = publish(&b, &sp, 81, ct);
	fd = dial(hp);
	r = recv(fd, &c, 1, 0);
	e = errno;
	close(fd);
	assert_int_equal(r, -1);
	assert_int_equal(e, ECONNRESET);
	unpublish(&b);
	stop_ct(ct);
}

static int listen_on(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A host port in use is an error naming it, before anything listens: a
 * port bound before the failing one is free again. */
static void test_port_in_use_is_an_error(void **state)
{
	(void)state;
	int busy = listen_on(PORT_IN_USE);
	assert_true(busy >= 0);
	struct spec_port sp[2] = {
		{.host_ip = (char *)"127.0.0.1", .published = PORT_FREE, .target = 80},
		{.host_ip = (char *)"127.0.0.1", .published = PORT_IN_USE, .target = 81},
	};
	struct bind_call b = {.ports = sp, .n = 2};
	on_loop(do_bind, &b);
	assert_int_equal(b.rc, -1);
	assert_null(b.p);
	assert_int_equal(b.err->status, EADDRINUSE);
	assert_contains(b.err->msg, "publish 127.0.0.1:15201->81/tcp: host port 15201 is already in use");
	st_error_free(&b.err);
	close(busy);
	int again = listen_on(PORT_FREE);
	assert_true(again >= 0);
	close(again);

	int ubusy = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT_IN_USE),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(ubusy, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct spec_port udp = {.host_ip = (char *)"127.0.0.1", .published = PORT_IN_USE, .target = 53,
				.protocol = SPEC_PROTO_UDP};
	b = (struct bind_call){.ports = &udp, .n = 1};
	on_loop(do_bind, &b);
	close(ubusy);
	assert_int_equal(b.rc, -1);
	assert_contains(b.err->msg, "publish 127.0.0.1:15201->53/udp: host port 15201 is already in use");
	st_error_free(&b.err);

	struct spec_port bad = {.host_ip = (char *)"127.0.0.300", .published = PORT_FREE, .target = 80};
	b = (struct bind_call){.ports = &bad, .n = 1};
	on_loop(do_bind, &b);
	assert_int_equal(b.rc, -1);
	assert_contains(b.err->msg, "`127.0.0.300` is not an IP address");
	st_error_free(&b.err);
}

struct udp_echo {
	int fd;
	int n; /* datagrams to echo */
};

/* The app: echoes each datagram to whoever sent it, n of them. */
static void *udp_echo(void *arg)
{
	struct udp_echo *e = arg;
	for (int i = 0; i < e->n; i++) {
		char buf[2048];
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		ssize_t r = recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (r < 0)
			return NULL;
		sendto(e->fd, buf, (size_t)r, 0, (struct sockaddr *)&from, len);
	}
	return NULL;
}

static int udp_client(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	/* A lost datagram would fail the test, not hang it. */
	struct timeval tv = {.tv_sec = 20};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* UDP: two clients, each gets its own replies back from the published
 * port; the app (a socket the test makes in the container's netns,
 * bound to its 127.0.0.1) sees two sessions.  Detached, datagrams are
 * dropped and counted. */
static void test_udp(void **state)
{
	(void)state;
	struct rt_container *ct = start_ct("read x");
	st_error_t err = NULL;
	int app = rt_container_socket(ct, AF_INET, SOCK_DGRAM, 0, &err);
	assert_true(app >= 0);
	assert_int_equal(fcntl(app, F_SETFL, 0), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(app, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct udp_echo e = {.fd = app, .n = 20};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, udp_echo, &e), 0);

	struct spec_port sp = {.host_ip = (char *)"127.0.0.1", .target = 53, .protocol = SPEC_PROTO_UDP};
	struct bind_call b = {.ports = &sp, .n = 1, .ct = ct};
	on_loop(do_bind, &b);
	if (b.rc < 0)
		fail_msg("bind: %s", b.err->msg);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(b.host_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int c[2] = {udp_client(), udp_client()};
	for (int i = 0; i < 20; i++) {
		char msg[64], got[128];
		int n = snprintf(msg, sizeof(msg), "datagram %d from client %d", i, i % 2);
		assert_int_equal(sendto(c[i % 2], msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)), n);
		ssize_t r = recv(c[i % 2], got, sizeof(got), 0);
		assert_int_equal(r, n);
		assert_memory_equal(got, msg, (size_t)n);
	}
	pthread_join(t, NULL);
	on_loop(do_json, &b);
	json_t *j = json_array_get(b.json, 0);
	assert_string_equal(json_string_value(json_object_get(j, "protocol")), "udp");
	assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "connections")), 2);

	b.ct = NULL;
	on_loop(do_attach, &b);
	assert_int_equal(sendto(c[0], "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	/* Dropped and counted: wait until the loop has read it. */
	for (int tries = 0; tries < 1000; tries++) {
		on_loop(do_json, &b);
		if (json_integer_value(json_object_get(json_array_get(b.json, 0), "refused")) == 1)
			break;
		usleep(10000);
	}
	j = json_array_get(b.json, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "refused")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "connections")), 0);
	close(c[0]);
	close(c[1]);
	close(app);
	unpublish(&b);
	stop_ct(ct);
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

#define FLOOD_MAX (256L * 1024 * 1024)

/* An app that accepts on 80 and never reads. */
static struct rt_container *start_never_reader(void)
{
	struct rt_container *ct = start_ct("printf '#!/bin/sh\\nexec sleep 1000\\n' >/tmp/never && chmod +x /tmp/never && "
					   "nc -ll -p 80 -e /tmp/never");
	wait_listen(ct, 80);
	return ct;
}

/* An app that accepts and never reads: what we send piles up in the
 * kernel's socket buffers and at most SUP_PORTS_QUEUE_HIGH in the
 * proxy, then the sender is held back.  Without backpressure the proxy
 * would take all FLOOD_MAX bytes into its memory. */
static void test_app_that_never_reads_holds_sender_back(void **state)
{
	(void)state;
	struct rt_container *ct = start_never_reader();
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 80, ct);
	long before = rss_kb();
	int fd = dial(hp);
	/* The stall is seen as a send that gets nowhere for 2 s: on a slow
	 * machine that may come early, which only makes `sent` smaller. */
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	static char buf[65536];
	long sent = 0;
	while (sent < FLOOD_MAX) {
		ssize_t w = send(fd, buf, sizeof(buf), 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		sent += w;
	}
	long after = rss_kb();
	close(fd);
	unpublish(&b);
	stop_ct(ct);
	print_message("an app that never reads: %ld KiB sent before the sender was held back, RSS +%ld KiB\n",
		      sent / 1024, after - before);
	/* Socket buffers on three hops hold some tens of MB at most. */
	assert_true(sent < 64L * 1024 * 1024);
	assert_true(after - before < 16 * 1024);
}

/* The same app, fed in small segments: every read the proxy queues is a
 * buffer and a write request, however few bytes it got, so the hold-back
 * must count buffers, not bytes (1 MiB queued as 256-byte reads would be
 * 4096 of them, each with its write request and malloc's overhead).  The kernel's buffers toward the
 * app fill first (some MB), then the proxy's queue.  mallinfo2 counts
 * every arena of this process, the loop thread's too. */
#define TRICKLE_SEG 256

static void test_app_that_never_reads_small_segments(void **state)
{
	(void)state;
	struct rt_container *ct = start_never_reader();
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 80, ct);
	size_t before = mallinfo2().uordblks;
	int fd = dial(hp);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	static char seg[TRICKLE_SEG];
	long sent = 0, n = 0;
	while (sent < FLOOD_MAX) {
		ssize_t w = send(fd, seg, sizeof(seg), 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		sent += w;
		/* Paced so that the proxy's reads stay small (a read takes
		 * whatever has arrived): what a trickling peer makes. */
		if (++n % 16 == 0)
			usleep(50);
	}
	/* A call on the loop: what the proxy read before it is counted. */
	on_loop(do_json, &b);
	size_t after = mallinfo2().uordblks;
	close(fd);
	unpublish(&b);
	stop_ct(ct);
	long grown = after > before ? (long)((after - before) / 1024) : 0;
	print_message("%d-byte segments to an app that never reads: %ld KiB sent, heap +%ld KiB\n", TRICKLE_SEG,
		      sent / 1024, grown);
	assert_true(grown < 8 * 1024);
}

/* Clients that open connections and hold them (a flood, slowloris)
 * must not take every descriptor of the supervisor: with RLIMIT_NOFILE
 * at 1024, 1000 held connections are all accepted, the ones past the
 * cap reset, the process can still open files, and once they are gone
 * the port relays again.  The clients are a child's (its own fds). */
#define FLOOD_CONNS 1000

static long json_field(struct bind_call *b, const char *key)
{
	on_loop(do_json, b);
	return (long)json_integer_value(json_object_get(json_array_get(b->json, 0), key));
}

static void test_held_connections_leave_descriptors(void **state)
{
	(void)state;
	struct rlimit saved, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max < 4096)
		skip();
	low = (struct rlimit){.rlim_cur = 1024, .rlim_max = saved.rlim_max};
	struct rt_container *ct = start_ct("nc -ll -p 80 -e /bin/cat");
	wait_listen(ct, 80);
	struct bind_call b;
	struct spec_port sp;
	uint16_t hp = publish(&b, &sp, 80, ct);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int to[2], from[2];
	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_NOFILE, &saved);
		for (int i = 0; i < FLOOD_CONNS; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(hp),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			/* One past the cap may be reset before connect returns. */
			if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != ECONNRESET)) {
				fprintf(stderr, "connection %d: %s\n", i, strerror(errno));
				_exit(1);
			}
		}
		char c;
		if (write(from[1], "c", 1) != 1 || read(to[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	char c = 0;
	assert_int_equal(read(from[0], &c, 1), 1);
	long accepted = 0;
	for (int i = 0; i < 1000 && (accepted = json_field(&b, "accepted")) < FLOOD_CONNS; i++)
		usleep(10000);
	long refused = json_field(&b, "refused");
	/* What the rest of the supervisor needs is still there. */
	int fds[64], opened = 0;
	for (; opened < 64 && (fds[opened] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0; opened++)
		;
	for (int i = 0; i < opened; i++)
		close(fds[i]);
	assert_int_equal(write(to[1], "q", 1), 1);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(to[1]);
	close(from[0]);
	for (int i = 0; i < 1000 && json_field(&b, "connections") > 0; i++)
		usleep(10000);
	/* Back to relaying. */
	int fd = dial(hp);
	char buf[5] = {0};
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	assert_int_equal(recv(fd, buf, 4, MSG_WAITALL), 4);
	close(fd);
	setrlimit(RLIMIT_NOFILE, &saved);
	unpublish(&b);
	stop_ct(ct);
	print_message("%d held connections: %ld accepted, %ld reset, %d more files opened\n", FLOOD_CONNS, accepted,
		      refused, opened);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(accepted, FLOOD_CONNS);
	assert_true(refused > 0);
	assert_int_equal(opened, 64);
	assert_string_equal(buf, "ping");
}

/* The same for UDP, where a source is easy to forge: datagrams from 1000
 * client addresses under a 1024 limit leave the process files to open. */
static void test_udp_sources_leave_descriptors(void **state)
{
	(void)state;
	struct rlimit saved, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max < 4096)
		skip();
	low = (struct rlimit){.rlim_cur = 1024, .rlim_max = saved.rlim_max};
	struct rt_container *ct = start_ct("read x");
	struct spec_port sp = {.host_ip = (char *)"127.0.0.1", .target = 53, .protocol = SPEC_PROTO_UDP};
	struct bind_call b = {.ports = &sp, .n = 1, .ct = ct};
	on_loop(do_bind, &b);
	if (b.rc < 0)
		fail_msg("bind: %s", b.err->msg);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_NOFILE, &saved);
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(b.host_port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		for (int i = 0; i < FLOOD_CONNS; i++) {
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (fd < 0 || sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
				_exit(1);
			/* Paced, so that the listener's buffer drops few. */
			if (i % 32 == 31)
				usleep(2000);
		}
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* Until all are seen, or none more for half a second (the kernel
	 * may drop some from the listener's buffer on a busy machine). */
	long seen = 0;
	for (int i = 0, still = 0; i < 1000 && seen < FLOOD_CONNS && still < 50; i++) {
		long now = json_field(&b, "accepted") + json_field(&b, "refused");
		still = now == seen ? still + 1 : 0;
		seen = now;
		usleep(10000);
	}
	long sessions = json_field(&b, "accepted");
	int fds[64], opened = 0;
	for (; opened < 64 && (fds[opened] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0; opened++)
		;
	for (int i = 0; i < opened; i++)
		close(fds[i]);
	unpublish(&b);
	setrlimit(RLIMIT_NOFILE, &saved);
	stop_ct(ct);
	print_message("%d udp sources: %ld sessions, %ld datagrams seen, %d more files opened\n", FLOOD_CONNS,
		      sessions, seen, opened);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(sessions > 0);
	assert_int_equal(opened, 64);
}

/* ---- an app of the test's own ---- */

/* A guard, not a measure: a read or an accept that waits this long has
 * hung, and fails the test instead of hanging it. */
#define GUARD_S 20

static void guard(int fd)
{
	struct timeval tv = {.tv_sec = GUARD_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The app: a listener the test makes in ct's network namespace, on its
 * 127.0.0.1:port, so that the test makes its every move (when it writes,
 * how slowly it reads, how it closes).  rcvbuf 0: the kernel's. */
static int app_listen(struct rt_container *ct, uint16_t port, int rcvbuf)
{
	st_error_t err = NULL;
	int fd = rt_container_socket(ct, AF_INET, SOCK_STREAM, 0, &err);
	if (fd < 0)
		fail_msg("socket in the container: %s", err->msg);
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	guard(fd); /* accept too */
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1024), 0);
	return fd;
}

static int app_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		fail_msg("the app's accept: %s", strerror(errno));
	guard(fd);
	return fd;
}

/* The client's end, guarded, with a small receive buffer (0: the kernel's). */
static int dial_guarded(uint16_t port, int rcvbuf)
{
	int fd = dial(port);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	guard(fd);
	return fd;
}

/* Read n bytes (all of them, or what came before EOF/an error); that count. */
static size_t recv_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Wait (on a busy machine, a while) until the port's open connections
 * are down to n; the count then. */
static long wait_connections(struct bind_call *b, long n)
{
	long now = 0;
	for (int i = 0; i < 1000 && (now = json_field(b, "connections")) > n; i++)
		usleep(10000);
	return now;
}

/* A port that still relays: one round trip to a fresh app connection. */
static void assert_port_relays(uint16_t hp, int lfd)
{
	int fd = dial_guarded(hp, 0);
	int afd = app_accept(lfd);
	char buf[8] = {0};
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	assert_int_equal(recv_all(afd, buf, 4), 4);
	assert_int_equal(send(afd, "pong", 4, 0), 4);
	assert_int_equal(recv_all(fd, buf + 4, 4), 4);
	assert_memory_equal(buf, "pingpong", 8);
	close(fd);
	close(afd);
}

/* The app's container with the test's listener on target in it (see
 * app_listen), published on a kernel-picked host port. */
struct app_port {
	struct rt_container *ct;
	int lfd;
	struct spec_port sp;
	struct bind_call b;
	uint16_t hp;
};

static void app_port_open(struct app_port *a, uint16_t target, int rcvbuf)
{
	a->ct = start_ct("read x");
	a->lfd = app_listen(a->ct, target, rcvbuf);
	a->hp = publish(&a->b, &a->sp, target, a->ct);
}

static void app_port_close(struct app_port *a)
{
	close(a->lfd);
	unpublish(&a->b);
	stop_ct(a->ct);
}

#define BIG (64UL * 1024 * 1024)
#define SMALL_RCVBUF 16384

/* 64 MiB each way at once, two different streams, each read slowly into
 * a small receive buffer, so that the proxy's writes on both sides come
 * out partial, the rest queues, and reading pauses and resumes: every
 * byte arrives once, in order (the stream is compared byte by byte);
 * then EOF both ways ends the connection. */
static void test_64mib_each_way_slow_readers(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 90, SMALL_RCVBUF);
	int fd = dial_guarded(a.hp, SMALL_RCVBUF);
	int afd = app_accept(a.lfd);

	struct sender up = {.fd = fd, .n = BIG, .seed = SEED_UP}, down = {.fd = afd, .n = BIG, .seed = SEED_DOWN};
	struct receiver app = {.fd = afd, .seed = SEED_UP, .every = 1 << 20, .pause_us = 3000};
	struct receiver client = {.fd = fd, .seed = SEED_DOWN, .every = 1 << 20, .pause_us = 3000};
	pthread_t t[3];
	assert_int_equal(pthread_create(&t[0], NULL, send_stream, &up), 0);
	assert_int_equal(pthread_create(&t[1], NULL, send_stream, &down), 0);
	assert_int_equal(pthread_create(&t[2], NULL, recv_stream, &app), 0);
	recv_stream(&client);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	close(fd);
	close(afd);
	long open = wait_connections(&a.b, 0);
	app_port_close(&a);
	assert_int_equal(up.rc, 0);
	assert_int_equal(down.rc, 0);
	assert_int_equal(app.err, 0);
	assert_int_equal(client.err, 0);
	assert_int_equal(app.total, BIG);
	assert_int_equal(client.total, BIG);
	assert_false(app.differs);
	assert_false(client.differs);
	assert_int_equal(open, 0);
}

/* A server-first protocol (SMTP's banner): the app writes on accept,
 * before the client sent anything, and the client gets it; then a
 * request, a reply and the app's close, seen as EOF. */
static void test_server_speaks_first(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 25, 0);
	int fd = dial_guarded(a.hp, 0);
	int afd = app_accept(a.lfd);
	const char banner[] = "220 app ready\r\n", quit[] = "QUIT\r\n", bye[] = "221 bye\r\n";
	assert_int_equal(send(afd, banner, sizeof(banner) - 1, 0), sizeof(banner) - 1);
	char got[64] = {0};
	assert_int_equal(recv_all(fd, got, sizeof(banner) - 1), sizeof(banner) - 1);
	assert_string_equal(got, banner);
	assert_int_equal(send(fd, quit, sizeof(quit) - 1, 0), sizeof(quit) - 1);
	memset(got, 0, sizeof(got));
	assert_int_equal(recv_all(afd, got, sizeof(quit) - 1), sizeof(quit) - 1);
	assert_string_equal(got, quit);
	assert_int_equal(send(afd, bye, sizeof(bye) - 1, 0), sizeof(bye) - 1);
	close(afd);
	memset(got, 0, sizeof(got));
	/* All of the reply, then EOF (recv_all stops at it: asks one more). */
	assert_int_equal(recv_all(fd, got, sizeof(got) - 1), sizeof(bye) - 1);
	assert_string_equal(got, bye);
	close(fd);
	long open = wait_connections(&a.b, 0);
	app_port_close(&a);
	assert_int_equal(open, 0);
}

#define HALF (1024 * 1024)

/* One side sends HALF and shuts its writing down; the other reads it all
 * to EOF, and only then answers, HALF of its own, and closes: the
 * answer and then EOF reach the first, whose writing was shut. */
static void half_close(int first, int second)
{
	pass_stream(first, second, HALF, SEED_UP);
	struct sender answer = {.fd = second, .n = HALF, .seed = SEED_DOWN, .keep_open = true};
	send_stream(&answer);
	assert_int_equal(answer.rc, 0);
	close(second);
	struct receiver back = {.fd = first, .seed = SEED_DOWN};
	recv_stream(&back);
	assert_int_equal(back.err, 0);
	assert_int_equal(back.total, HALF);
	assert_false(back.differs);
	close(first);
}

/* Half-close, the client's (an HTTP/1.0 client's shutdown after its
 * request) and the app's (a server that says all it has, then reads). */
static void test_half_close_both_ways(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 91, 0);
	int fd = dial_guarded(a.hp, 0);
	half_close(fd, app_accept(a.lfd));
	long after_client = wait_connections(&a.b, 0);
	fd = dial_guarded(a.hp, 0);
	half_close(app_accept(a.lfd), fd);
	long after_app = wait_connections(&a.b, 0);
	app_port_close(&a);
	assert_int_equal(after_client, 0);
	assert_int_equal(after_app, 0);
}

/* Close with a reset (SO_LINGER 0), as a client that gives up does. */
static void close_reset(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* A flood toward a side that does not read: the sender until it is held
 * back (its sends get nowhere for a while) or fails; its errno then. */
struct flood {
	int fd;
	long sent;
	int err;
};

static void *flood(void *arg)
{
	struct flood *f = arg;
	static _Thread_local char buf[65536];
	for (;;) {
		ssize_t w = send(f->fd, buf, sizeof(buf), 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			f->err = errno;
			return NULL;
		}
		f->sent += w;
	}
}

/* Sends until a send gets nowhere for stall_ms (the kernel may take a
 * little now and then, so held back for good takes some times that): the
 * bytes it got out.  On a slow machine the stall may come early, which
 * only makes them fewer. */
static long flood_until_held(int fd, int stall_ms)
{
	struct timeval tv = {.tv_sec = stall_ms / 1000, .tv_usec = stall_ms % 1000 * 1000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct flood f = {.fd = fd};
	flood(&f);
	assert_int_equal(f.err, EAGAIN);
	return f.sent;
}

static size_t heap_used(struct bind_call *b)
{
	on_loop(do_json, b); /* what the loop read before is counted */
	return mallinfo2().uordblks;
}

/* One side sends until held back (the other reads nothing), then resets;
 * the other, reading at last, gets what came, in order, and then the
 * reset, not an EOF that would pass a cut-off upload for a whole one
 * (libuv hands such a reset over as EOF); the connection is gone and
 * the port relays on. */
static void reset_when_held_back(struct app_port *a, bool client_resets)
{
	int fd = dial_guarded(a->hp, 0), afd = app_accept(a->lfd);
	int from = client_resets ? fd : afd, to = client_resets ? afd : fd;
	struct sender s = {.fd = from, .n = BIG, .seed = SEED_UP};
	struct timeval tv = {.tv_usec = 300000};
	setsockopt(from, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	send_stream(&s); /* held back: fails at the timeout */
	close_reset(from);
	struct receiver r = {.fd = to, .seed = SEED_UP};
	recv_stream(&r);
	close(to);
	long open = wait_connections(&a->b, 0);
	print_message("%s resetting, held back by one that did not read: %zu KiB read, then %s\n",
		      client_resets ? "a client" : "an app", r.total / 1024, r.err ? strerror(r.err) : "EOF");
	assert_int_equal(s.rc, -1);
	assert_int_equal(r.err, ECONNRESET);
	assert_false(r.differs);
	assert_int_equal(open, 0);
	assert_port_relays(a->hp, a->lfd);
}

/* The client resets while the proxy holds a full queue toward it (an
 * app flooding a client that does not read): the app's side is reset
 * (its send fails, it does not hang), the connection and its buffers
 * are gone, and the port relays on.  Then reset_when_held_back, the
 * client's reset and the app's. */
static void test_client_reset_with_writes_queued(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 92, 0);
	size_t before = heap_used(&a.b);

	int fd = dial_guarded(a.hp, 0);
	int afd = app_accept(a.lfd);
	long sent = flood_until_held(afd, 300);
	size_t full = heap_used(&a.b);
	close_reset(fd);
	struct flood f = {.fd = afd};
	flood(&f); /* the guard's SO_SNDTIMEO: EAGAIN if never reset */
	close(afd);
	long open1 = wait_connections(&a.b, 0);
	size_t after = heap_used(&a.b);
	print_message("app flooding a client that resets: %ld KiB sent, heap +%zu KiB held, +%ld KiB after\n",
		      sent / 1024, full > before ? (full - before) / 1024 : 0, ((long)after - (long)before) / 1024);
	assert_true(f.err == ECONNRESET || f.err == EPIPE);
	assert_int_equal(open1, 0);
	assert_true((long)after - (long)before < 256 * 1024);
	assert_port_relays(a.hp, a.lfd);

	reset_when_held_back(&a, true);
	reset_when_held_back(&a, false);
	app_port_close(&a);
}

/* The other way than test_app_that_never_reads_holds_sender_back: an app
 * that floods a client that never reads is held back, and the proxy's
 * memory is not what takes the flood. */
static void test_client_that_never_reads_holds_app_back(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 93, 0);
	size_t before = heap_used(&a.b);
	long rss_before = rss_kb();
	int fd = dial_guarded(a.hp, 0);
	int afd = app_accept(a.lfd);
	long sent = flood_until_held(afd, 500);
	size_t after = heap_used(&a.b);
	long rss_after = rss_kb();
	close(fd);
	close(afd);
	long open = wait_connections(&a.b, 0);
	app_port_close(&a);
	long grown = after > before ? (long)((after - before) / 1024) : 0;
	print_message("an app flooding a client that never reads: %ld KiB sent, heap +%ld KiB, RSS +%ld KiB\n",
		      sent / 1024, grown, rss_after - rss_before);
	assert_true(sent < 64L * 1024 * 1024);
	assert_true(grown < 8 * 1024);
	assert_true(rss_after - rss_before < 16 * 1024);
	assert_int_equal(open, 0);
}

/* Many clients flooding an app that reads none of it: each connection's
 * own bound (about SUP_PORTS_QUEUE_HIGH) times the connections a client
 * may open would be gigabytes, so all of them together hold about
 * SUP_PORTS_QUEUE_TOTAL; once they are gone the heap is back and the
 * port relays on.  The clients send non-blocking, round robin, until a
 * pass over all of them gets nothing out for a while. */
#define FLOODERS 64
#define FLOOD_QUIET_MS 400

static void test_floods_share_one_budget(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 94, SMALL_RCVBUF);
	size_t before = heap_used(&a.b);
	int fds[FLOODERS], afds[FLOODERS];
	for (int i = 0; i < FLOODERS; i++) {
		fds[i] = dial_guarded(a.hp, 0);
		afds[i] = app_accept(a.lfd);
		assert_int_equal(fcntl(fds[i], F_SETFL, O_NONBLOCK), 0);
	}
	static char buf[65536];
	long sent = 0;
	for (int quiet = 0; quiet < FLOOD_QUIET_MS / 10;) {
		long pass = 0;
		for (int i = 0; i < FLOODERS; i++) {
			ssize_t w;
			while ((w = send(fds[i], buf, sizeof(buf), MSG_NOSIGNAL)) > 0)
				pass += w;
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				fail_msg("flooder %d: %s", i, strerror(errno));
		}
		sent += pass;
		if (pass == 0) {
			quiet++;
			usleep(10000);
		} else
			quiet = 0;
	}
	size_t held = heap_used(&a.b);
	for (int i = 0; i < FLOODERS; i++) {
		close_reset(fds[i]);
		close(afds[i]);
	}
	long open = wait_connections(&a.b, 0);
	size_t after = heap_used(&a.b);
	assert_port_relays(a.hp, a.lfd);
	app_port_close(&a);
	long grown = held > before ? (long)((held - before) / 1024) : 0;
	long left = after > before ? (long)((after - before) / 1024) : 0;
	print_message("%d clients flooding an app that never reads: %ld MiB sent, heap +%ld KiB held, +%ld KiB after\n",
		      FLOODERS, sent >> 20, grown, left);
	/* 50 MiB seen here without the budget (up to FLOODERS x SUP_PORTS_QUEUE_HIGH) */
	assert_true(grown < SUP_PORTS_QUEUE_TOTAL / 1024 + 2 * FLOODERS * 8);
	assert_true(left < 1024);
	assert_int_equal(open, 0);
}

/* Stack down while the proxy holds full queues both ways (both ends
 * flood, neither reads): the queued writes are dropped (no crash, no
 * leak: see the sanitizer build) and both ends are reset. */
static void test_close_with_queues_full(void **state)
{
	(void)state;
	struct app_port a;
	app_port_open(&a, 96, 0);
	int fd = dial_guarded(a.hp, 0), afd = app_accept(a.lfd);
	long up = flood_until_held(fd, 300), down = flood_until_held(afd, 300);
	app_port_close(&a);
	struct flood client = {.fd = fd}, app = {.fd = afd};
	flood(&client);
	flood(&app);
	close(fd);
	close(afd);
	print_message("stack down with %ld KiB up and %ld KiB down held: the client's send then: %s, the app's: %s\n",
		      up / 1024, down / 1024, strerror(client.err), strerror(app.err));
	assert_true(client.err == ECONNRESET || client.err == EPIPE);
	assert_true(app.err == ECONNRESET || app.err == EPIPE);
}

#define CONNS 500

/* The app for test_many_small_exchanges: on its CONNS connections,
 * echoes whatever comes, until each has ended (poll, one thread). */
struct echo_app {
	int lfd;
	int err;
};

static void *echo_app(void *arg)
{
	struct echo_app *e = arg;
	static struct pollfd pf[CONNS + 1];
	int n = 0, ended = 0;
	pf[0] = (struct pollfd){.fd = e->lfd, .events = POLLIN};
	while (ended < CONNS) {
		int r = poll(pf, (nfds_t)n + 1, GUARD_S * 1000);
		if (r <= 0) {
			e->err = r == 0 ? ETIMEDOUT : errno;
			break;
		}
		if ((pf[0].revents & POLLIN) && n < CONNS) {
			int fd = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				guard(fd);
				pf[++n] = (struct pollfd){.fd = fd, .events = POLLIN};
			}
		}
		for (int i = 1; i <= n; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char buf[4096];
			ssize_t got = recv(pf[i].fd, buf, sizeof(buf), 0);
			if (got <= 0 || send(pf[i].fd, buf, (size_t)got, 0) != got) {
				close(pf[i].fd);
				pf[i].fd = -1;
				ended++;
			}
		}
	}
	for (int i = 1; i <= n; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	return NULL;
}

/* CONNS connections open at once, each with a request of its own (sizes
 * from a few bytes to some KiB, sent in two pieces) answered while all
 * the others are open: each gets its own bytes back, none another's (all
 * their reads go through the proxy's one buffer). */
static void test_many_small_exchanges(void **state)
{
	(void)state;
	struct rlimit saved, more;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	more = saved;
	if (more.rlim_cur != RLIM_INFINITY && more.rlim_cur < 4 * CONNS + 512) {
		if (more.rlim_max != RLIM_INFINITY && more.rlim_max < 4 * CONNS + 512)
			skip();
		more.rlim_cur = 4 * CONNS + 512;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &more), 0);
	}
	struct app_port a;
	app_port_open(&a, 94, 0);
	struct echo_app e = {.lfd = a.lfd};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, echo_app, &e), 0);
	static int fds[CONNS];
	static char req[4200], got[4200];
	for (int i = 0; i < CONNS; i++)
		fds[i] = dial_guarded(a.hp, 0);
	int wrong = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < CONNS; i++) {
			size_t n = (size_t)snprintf(req, sizeof(req), "request %d:", i);
			size_t len = n + (size_t)(i * 37 % 4000) + 1;
			memset(req + n, 'a' + i % 26, len - n - 1);
			req[len - 1] = '\n';
			/* pass 0: the first half of every request; pass 1: the rest,
			 * and the whole reply back */
			size_t from = pass ? len / 2 : 0, to = pass ? len : len / 2;
			assert_int_equal(send(fds[i], req + from, to - from, 0), (ssize_t)(to - from));
			if (pass == 0)
				continue;
			if (recv_all(fds[i], got, len) != len || memcmp(got, req, len) != 0)
				wrong++;
		}
	for (int i = 0; i < CONNS; i++)
		close(fds[i]);
	pthread_join(t, NULL);
	long open = wait_connections(&a.b, 0);
	long accepted = json_field(&a.b, "accepted");
	app_port_close(&a);
	setrlimit(RLIMIT_NOFILE, &saved);
	assert_int_equal(e.err, 0);
	assert_int_equal(wrong, 0);
	assert_int_equal(accepted, CONNS);
	assert_int_equal(open, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_in_use_is_an_error),
		cmocka_unit_test(test_ten_mb_both_ways),
		cmocka_unit_test(test_many_concurrent_connections),
		cmocka_unit_test(test_app_bound_to_container_loopback),
		cmocka_unit_test(test_detached_forward_refuses),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_app_that_never_reads_holds_sender_back),
		cmocka_unit_test(test_app_that_never_reads_small_segments),
		cmocka_unit_test(test_held_connections_leave_descriptors),
		cmocka_unit_test(test_udp_sources_leave_descriptors),
		cmocka_unit_test(test_64mib_each_way_slow_readers),
		cmocka_unit_test(test_server_speaks_first),
		cmocka_unit_test(test_half_close_both_ways),
		cmocka_unit_test(test_client_reset_with_writes_queued),
		cmocka_unit_test(test_client_that_never_reads_holds_app_back),
		cmocka_unit_test(test_floods_share_one_budget),
		cmocka_unit_test(test_close_with_queues_full),
		cmocka_unit_test(test_many_small_exchanges),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
