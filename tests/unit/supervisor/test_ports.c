/* Published ports against real busybox containers (RT_NET_NONE: only
 * lo): the proxy runs on a uv loop in a thread of its own, as in the
 * supervisor, and the test is the client, with plain blocking sockets on
 * the host's loopback.  10 MB both ways intact, many connections at once,
 * an app bound to the container's 127.0.0.1, a detached forward refusing,
 * a port in use, UDP, and an app that never reads (the sender is held back,
 * our memory is not spent).  Loopback ports 15200-15299 only.  Needs root. */
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

struct sender {
	int fd;
	size_t n;
	int rc;
};

static void *send_stream(void *arg)
{
	struct sender *s = arg;
	uint64_t seed = 88172645463325252ULL;
	unsigned char buf[65536];
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
	s->rc = shutdown(s->fd, SHUT_WR);
	return NULL;
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
	struct sender s = {.fd = fd, .n = TEN_MB};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, send_stream, &s), 0);
	uint64_t seed = 88172645463325252ULL;
	static unsigned char got[65536], want[65536];
	size_t total = 0;
	bool same = true;
	for (;;) {
		ssize_t r = recv(fd, got, sizeof(got), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		fill(&seed, want, (size_t)r);
		if (memcmp(got, want, (size_t)r) != 0)
			same = false;
		total += (size_t)r;
	}
	pthread_join(t, NULL);
	close(fd);
	assert_int_equal(s.rc, 0);
	assert_int_equal(total, TEN_MB);
	assert_true(same);

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
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
