/* The control socket, server side: requests in, replies out, on the loop.
 * A client can send anything: a malformed, oversized or unfinished
 * message gets an error reply and that connection ends; the supervisor
 * and its other clients go on. */
#include "spec/units.h"
#include "supervisor/control.h"
#include "supervisor/files.h"
#include "supervisor/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct sup_conn {
	uv_pipe_t pipe;
	uv_timer_t partial_timer;
	struct sup_conn *next;
	struct sup *sup;
	size_t len;
	int writes, ops, handles;
	bool eof, closing;
	char buf[SUP_CTL_MAX_LINE];
};

struct write_req {
	uv_write_t req;
	struct sup_conn *conn;
	char *data;
};

static void conn_maybe_close(struct sup_conn *c);

static void conn_freed(uv_handle_t *h)
{
	struct sup_conn *c = h->data;
	if (--c->handles == 0)
		free(c);
}

static void conn_close(struct sup_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct sup *sup = c->sup;
	for (struct sup_conn **pp = &sup->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			sup->n_conns--;
			break;
		}
	for (struct sup_op *op = sup->ops; op; op = op->next)
		if (op->conn == c)
			op->conn = NULL; /* the reply has nobody to go to; the work goes on */
	uv_close((uv_handle_t *)&c->pipe, conn_freed);
	uv_close((uv_handle_t *)&c->partial_timer, conn_freed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	struct write_req *w = (struct write_req *)req;
	struct sup_conn *c = w->conn;
	free(w->data);
	free(w);
	c->writes--;
	conn_maybe_close(c);
}

/* Close when the client is done and owed nothing, or the supervisor ends. */
static void conn_maybe_close(struct sup_conn *c)
{
	if (c->closing || c->writes > 0)
		return;
	if ((c->eof && c->ops == 0) || c->sup->finished)
		conn_close(c);
}

static void conn_send(struct sup_conn *c, json_t *reply)
{
	if (!c || c->closing) {
		json_decref(reply);
		return;
	}
	char *text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (!text)
		return;
	size_t n = strlen(text);
	text = xrealloc(text, n + 2);
	text[n++] = '\n';
	struct write_req *w = xzalloc(sizeof(*w));
	w->conn = c;
	w->data = text;
	uv_buf_t b = uv_buf_init(text, (unsigned)n);
	c->writes++;
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
		c->writes--;
		free(text);
		free(w);
		conn_close(c);
		return;
	}
	/* What the socket did not take waits in memory: a client that
	 * pipelines requests and never reads the replies is cut off, not fed. */
	if (c->pipe.write_queue_size > SUP_CTL_MAX_QUEUED)
		conn_close(c);
}

static json_t *error_reply(json_t *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *error_reply(json_t *id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	if (id)
		json_object_set(r, "id", id);
	return r;
}

/* ---- replies that wait ---- */

static bool op_done(struct sup *sup, struct sup_op *op)
{
	for (size_t i = 0; i < op->n_want && i < sup->n_svcs; i++) {
		if (!op->want[i])
			continue;
		struct sup_service *s = sup->svcs[i];
		switch (op->kind) {
		case SUP_OP_WAIT_STOPPED:
		case SUP_OP_DOWN:
			if (!sup_service_settled(s))
				return false;
			break;
		case SUP_OP_WAIT_STARTED:
			if (s->starts == op->starts[i] && s->state != SUP_EXITED && s->state != SUP_REMOVED)
				return false;
			break;
		}
	}
	return true;
}

static json_t *op_reply(struct sup *sup, struct sup_op *op)
{
	json_t *r = json_pack("{s:b}", "ok", 1);
	if (op->id)
		json_object_set(r, "id", op->id);
	if (op->extra)
		json_object_update(r, op->extra);
	json_t *svcs = json_array();
	bool failed = false;
	for (size_t i = 0; i < op->n_want && i < sup->n_svcs; i++) {
		if (!op->want[i])
			continue;
		struct sup_service *s = sup->svcs[i];
		json_t *o = json_pack("{s:s, s:s}", "service", s->name, "state", sup_state_name(s->state));
		if (s->last_error) {
			json_object_set_new(o, "error", json_string(s->last_error));
			failed |= op->kind == SUP_OP_WAIT_STARTED;
		}
		json_array_append_new(svcs, o);
	}
	json_object_set_new(r, "services", svcs);
	if (failed) {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "error", json_string("a service failed to start"));
	}
	return r;
}

void sup_ops_check(struct sup *sup)
{
	for (struct sup_op **pp = &sup->ops; *pp;) {
		struct sup_op *op = *pp;
		if (!op_done(sup, op)) {
			pp = &op->next;
			continue;
		}
		*pp = op->next;
		if (op->conn) {
			op->conn->ops--;
			conn_send(op->conn, op_reply(sup, op));
			conn_maybe_close(op->conn);
		}
		json_decref(op->id);
		json_decref(op->extra);
		free(op->want);
		free(op->starts);
		free(op);
	}
}

static struct sup_op *op_new(struct sup_conn *c, enum sup_op_kind kind, json_t *id)
{
	struct sup *sup = c->sup;
	struct sup_op *op = xzalloc(sizeof(*op));
	op->kind = kind;
	op->conn = c;
	op->id = id ? json_incref(id) : NULL;
	op->n_want = sup->n_svcs;
	op->want = xcalloc(sup->n_svcs + 1, sizeof(bool));
	op->starts = xcalloc(sup->n_svcs + 1, sizeof(unsigned));
	for (size_t i = 0; i < sup->n_svcs; i++)
		op->starts[i] = sup->svcs[i]->starts;
	c->ops++;
	op->next = sup->ops;
	sup->ops = op;
	return op;
}

/* ---- requests ---- */

/* The services a request names ("services": [..]; absent or empty: every
 * one not removed) as flags per index; NULL and *bad when one is unknown. */
static bool *pick_services(struct sup *sup, json_t *req, char **bad)
{
	bool *want = xcalloc(sup->n_svcs + 1, sizeof(bool));
	json_t *names = json_object_get(req, "services");
	if (!names || (json_is_array(names) && json_array_size(names) == 0)) {
		for (size_t i = 0; i < sup->n_svcs; i++)
			want[i] = sup->svcs[i]->state != SUP_REMOVED;
		return want;
	}
	if (!json_is_array(names)) {
		*bad = xstrdup("`services` must be an array of service names");
		free(want);
		return NULL;
	}
	size_t k;
	json_t *v;
	json_array_foreach (names, k, v) {
		const char *name = json_string_value(v);
		struct sup_service *s = name ? sup_find(sup, name) : NULL;
		if (!s || s->state == SUP_REMOVED) {
			*bad = name ? xasprintf("no such service: `%s`", name)
				    : xstrdup("`services` must be an array of service names");
			free(want);
			return NULL;
		}
		for (size_t i = 0; i < sup->n_svcs; i++)
			if (sup->svcs[i] == s)
				want[i] = true;
	}
	return want;
}

/* "timeout": seconds, absent: each service's stop_grace_period. */
static int req_timeout(json_t *req, int *out, char **bad)
{
	json_t *t = json_object_get(req, "timeout");
	*out = -1;
	if (!t || json_is_null(t))
		return 0;
	if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > 86400) {
		*bad = xstrdup("`timeout` must be a number of seconds from 0 to 86400");
		return -1;
	}
	*out = (int)json_integer_value(t);
	return 0;
}

static json_t *do_ps(struct sup *sup, json_t *id)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sup->n_svcs; i++)
		if (sup->svcs[i]->state != SUP_REMOVED)
			json_array_append_new(arr, sup_service_json(sup->svcs[i], true));
	json_t *r = json_pack("{s:b, s:s, s:i, s:o}", "ok", 1, "project", sup->project, "supervisor_pid", (int)getpid(),
			      "services", arr);
	if (id)
		json_object_set(r, "id", id);
	return r;
}

static void handle(struct sup_conn *c, const char *line, size_t len)
{
	struct sup *sup = c->sup;
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		conn_send(c, error_reply(NULL, "malformed request: %s (at byte %d)", jerr.text, jerr.position));
		return;
	}
	json_t *id = json_object_get(req, "id");
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	char *bad = NULL;
	bool *want = NULL;
	int timeout = -1;
	if (!json_is_object(req) || !cmd) {
		conn_send(c, error_reply(id, "a request is an object with a string `cmd`"));
		goto out;
	}
	if (sup->ending != SUP_RUN && strcmp(cmd, "ps") != 0 && strcmp(cmd, "kill") != 0 &&
	    strcmp(cmd, "down") != 0) {
		conn_send(c, error_reply(id, "the supervisor is stopping the stack"));
		goto out;
	}
	if (strcmp(cmd, "ps") == 0) {
		conn_send(c, do_ps(sup, id));
	} else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "restart") == 0) {
		if (!(want = pick_services(sup, req, &bad)) || req_timeout(req, &timeout, &bad) < 0) {
			conn_send(c, error_reply(id, "%s", bad));
			goto out;
		}
		bool restart = strcmp(cmd, "restart") == 0;
		struct sup_op *op = op_new(c, restart ? SUP_OP_WAIT_STARTED : SUP_OP_WAIT_STOPPED, id);
		memcpy(op->want, want, sup->n_svcs * sizeof(bool));
		for (size_t i = 0; i < sup->n_svcs; i++) {
			if (!want[i])
				continue;
			struct sup_service *s = sup->svcs[i];
			if (restart)
				s->selected = true;
			if (restart && !s->ct && s->state != SUP_RESTARTING)
				sup_service_start(s);
			else
				sup_service_stop(s, timeout < 0 ? -1 : timeout * 1000,
						 restart ? SUP_AFTER_START : SUP_AFTER_STAY);
		}
		sup_tick(sup);
	} else if (strcmp(cmd, "start") == 0) {
		if (!(want = pick_services(sup, req, &bad))) {
			conn_send(c, error_reply(id, "%s", bad));
			goto out;
		}
		struct sup_op *op = op_new(c, SUP_OP_WAIT_STARTED, id);
		for (size_t i = 0; i < sup->n_svcs; i++) {
			struct sup_service *s = sup->svcs[i];
			if (!want[i] || s->ct || s->state == SUP_RESTARTING)
				continue;
			op->want[i] = true;
			s->selected = true;
			s->state = SUP_CREATED; /* started when its dependencies allow */
		}
		sup_tick(sup);
	} else if (strcmp(cmd, "kill") == 0) {
		json_t *sj = json_object_get(req, "signal");
		int sig = SIGKILL;
		if (json_is_integer(sj)) {
			sig = (int)json_integer_value(sj);
		} else if (json_is_string(sj)) {
			char *msg = NULL;
			if (spec_parse_signal(json_string_value(sj), &sig, &msg) < 0) {
				conn_send(c, error_reply(id, "`signal`: %s", msg));
				free(msg);
				goto out;
			}
		} else if (sj) {
			conn_send(c, error_reply(id, "`signal` must be a signal name or number"));
			goto out;
		}
		if (sig < 1 || sig > 64) {
			conn_send(c, error_reply(id, "`signal`: %d is not a signal", sig));
			goto out;
		}
		if (!(want = pick_services(sup, req, &bad))) {
			conn_send(c, error_reply(id, "%s", bad));
			goto out;
		}
		json_t *killed = json_array();
		for (size_t i = 0; i < sup->n_svcs; i++)
			if (want[i] && sup_service_kill(sup->svcs[i], sig, NULL) == 0)
				json_array_append_new(killed, json_string(sup->svcs[i]->name));
		json_t *r = json_pack("{s:b, s:o}", "ok", 1, "killed", killed);
		if (id)
			json_object_set(r, "id", id);
		conn_send(c, r);
	} else if (strcmp(cmd, "down") == 0 || strcmp(cmd, "shutdown") == 0) {
		if (req_timeout(req, &timeout, &bad) < 0) {
			conn_send(c, error_reply(id, "%s", bad));
			goto out;
		}
		struct sup_op *op = op_new(c, SUP_OP_DOWN, id);
		for (size_t i = 0; i < sup->n_svcs; i++)
			op->want[i] = true;
		sup_begin_end(sup, strcmp(cmd, "down") == 0 ? SUP_DOWN : SUP_SHUTDOWN, timeout);
	} else if (strcmp(cmd, "up") == 0) {
		st_error_t err = NULL;
		json_t *extra = sup_reconcile(sup, req, &err);
		if (!extra) {
			conn_send(c, error_reply(id, "%s", err ? err->msg : "reconcile failed"));
			st_error_free(&err);
			goto out;
		}
		struct sup_op *op = op_new(c, SUP_OP_WAIT_STARTED, id);
		op->extra = extra;
		json_t *started = json_object_get(extra, "started");
		for (size_t i = 0; i < sup->n_svcs; i++) {
			size_t k;
			json_t *v;
			json_array_foreach (started, k, v)
				if (strcmp(json_string_value(v), sup->svcs[i]->name) == 0)
					op->want[i] = true;
		}
		/* starts recorded before the reconcile began (reconcile.c) */
		json_t *before = json_object_get(extra, "_starts");
		for (size_t i = 0; i < sup->n_svcs && i < json_array_size(before); i++)
			op->starts[i] = (unsigned)json_integer_value(json_array_get(before, i));
		json_object_del(extra, "_starts");
		sup_tick(sup);
	} else {
		conn_send(c, error_reply(id, "unknown command `%s`; the commands are ps, start, stop, restart, kill, up, "
					    "down, shutdown", cmd));
	}
out:
	free(bad);
	free(want);
	json_decref(req);
}

static void on_partial_timeout(uv_timer_t *t)
{
	struct sup_conn *c = t->data;
	conn_send(c, error_reply(NULL, "incomplete request: no end of line within %d ms",
				 SUP_CTL_PARTIAL_TIMEOUT_MS));
	c->eof = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	c->len = 0;
	conn_maybe_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct sup_conn *c = h->data;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	struct sup_conn *c = st->data;
	if (n < 0) {
		uv_read_stop(st);
		c->eof = true;
		uv_timer_stop(&c->partial_timer);
		if (c->len)
			conn_send(c, error_reply(NULL, "incomplete request: the connection ended in the middle of a line"));
		c->len = 0;
		conn_maybe_close(c);
		return;
	}
	bool had_partial = c->len > 0;
	c->len += (size_t)n;
	size_t start = 0;
	for (;;) {
		char *nl = memchr(c->buf + start, '\n', c->len - start);
		if (!nl)
			break;
		size_t l = (size_t)(nl - (c->buf + start));
		if (l)
			handle(c, c->buf + start, l);
		start += l + 1;
		if (c->closing)
			return;
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if (c->len == sizeof(c->buf)) {
		conn_send(c, error_reply(NULL, "request longer than %d bytes", SUP_CTL_MAX_LINE));
		uv_read_stop(st);
		c->eof = true;
		c->len = 0;
		uv_timer_stop(&c->partial_timer);
		conn_maybe_close(c);
		return;
	}
	/* The deadline runs from the line's first byte: a client that
	 * trickles a byte at a time does not hold the connection longer. */
	if (!c->len)
		uv_timer_stop(&c->partial_timer);
	else if (!had_partial || start > 0)
		uv_timer_start(&c->partial_timer, on_partial_timeout, SUP_CTL_PARTIAL_TIMEOUT_MS, 0);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sup *sup = server->data;
	if (status < 0)
		return;
	struct sup_conn *c = xzalloc(sizeof(*c));
	c->sup = sup;
	uv_pipe_init(&sup->loop, &c->pipe, 0);
	uv_timer_init(&sup->loop, &c->partial_timer);
	c->pipe.data = c;
	c->partial_timer.data = c;
	c->handles = 2;
	c->next = sup->conns;
	sup->conns = c;
	sup->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		conn_close(c);
		return;
	}
	/* The socket is 0600 in a 0700 dir; the peer's uid is checked too. */
	uv_os_fd_t fd;
	struct ucred cred = {0};
	socklen_t len = sizeof(cred);
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || (cred.uid != 0 && cred.uid != geteuid())) {
		conn_send(c, error_reply(NULL, "permission denied: the control socket is for root only"));
		c->eof = true;
		conn_maybe_close(c);
		return;
	}
	if (sup->n_conns > SUP_CTL_MAX_CONNS || sup->finished) {
		conn_send(c, error_reply(NULL, "too many clients (at most %d at once)", SUP_CTL_MAX_CONNS));
		c->eof = true;
		conn_maybe_close(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

int sup_ctl_listen(struct sup *sup, st_error_t *err)
{
	_cleanup_free_ char *path = sup_socket_path(sup->run_dir);
	unlink(path); /* a dead supervisor's; we hold the pid file */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return st_error(err, errno, "socket");
	mode_t old = umask(0177);
	int r = sup_unix_socket_at(path, fd, true, err);
	umask(old);
	if (r < 0) {
		close(fd);
		return -1;
	}
	uv_pipe_init(&sup->loop, &sup->ctl, 0);
	sup->ctl.data = sup;
	if ((r = uv_pipe_open(&sup->ctl, fd)) < 0 || (r = uv_listen((uv_stream_t *)&sup->ctl, 16, on_connection)) < 0) {
		uv_close((uv_handle_t *)&sup->ctl, NULL);
		return st_error(err, -r, "listen on `%s`", path);
	}
	sup->ctl_open = true;
	return 0;
}

void sup_ctl_close(struct sup *sup)
{
	if (sup->ctl_open) {
		uv_close((uv_handle_t *)&sup->ctl, NULL);
		sup->ctl_open = false;
	}
	for (struct sup_conn *c = sup->conns, *next; c; c = next) {
		next = c->next;
		conn_maybe_close(c);
	}
}
