#include "builder/build.h"
#include "builder/exec.h"
#include "image/store.h"
#include "util/escape.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/progress.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum node_state { NODE_IDLE, NODE_PENDING, NODE_RUNNING, NODE_DONE, NODE_FAILED, NODE_SKIPPED };

struct scheduler {
	const struct spec_stack *stack;
	const struct build_plan *plan;
	const struct build_opts *o;
	struct img_store store;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	enum node_state *state;
	pthread_t *threads; /* per node, joined at the end */
	bool *started;
	struct build_digests **digests; /* per node (shared between nodes of one context) */
	int running;
	pthread_mutex_t out_lock; /* one line at a time on o->out */
	struct build_events ev;
	struct st_progress *pr; /* plain and tty modes */
	int built;
};

struct job {
	struct scheduler *sc;
	size_t node;
};

/* ---- progress ---- */

static void json_line(struct scheduler *sc, json_t *j)
{
	if (!j)
		return; /* not UTF-8: a RUN's output can be anything */
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (!text)
		return;
	pthread_mutex_lock(&sc->out_lock);
	fprintf(sc->o->out, "%s\n", text);
	fflush(sc->o->out);
	pthread_mutex_unlock(&sc->out_lock);
	free(text);
}

static void on_step(void *data, const char *image, int n, int total, const char *text, bool cached, int64_t ms)
{
	struct scheduler *sc = data;
	switch (sc->o->progress) {
	case BUILD_PROGRESS_QUIET:
		return;
	case BUILD_PROGRESS_JSON:
		json_line(sc, json_pack("{sssisisssbsI}", "image", image, "step", n, "steps", total, "instruction", text,
					"cached", cached, "ms", (json_int_t)ms));
		return;
	case BUILD_PROGRESS_PLAIN:
	case BUILD_PROGRESS_TTY:
		break;
	}
	_cleanup_free_ char *line = cached ? xasprintf("[%s %d/%d] %s  CACHED", image, n, total, text)
					   : xasprintf("[%s %d/%d] %s  %lld.%02llds", image, n, total, text,
						       (long long)(ms / 1000), (long long)(ms % 1000 / 10));
	st_progress_row_end(sc->pr, image, line);
}

static void on_step_begin(void *data, const char *image, int n, int total, const char *text)
{
	struct scheduler *sc = data;
	if (sc->pr && st_progress_get_mode(sc->pr) == ST_PROGRESS_TTY) {
		_cleanup_free_ char *row = xasprintf("[%s %d/%d] %s", image, n, total, text);
		st_progress_row(sc->pr, image, row);
	}
}

static void on_output(void *data, const char *image, const char *line, size_t len)
{
	struct scheduler *sc = data;
	switch (sc->o->progress) {
	case BUILD_PROGRESS_QUIET:
		return;
	case BUILD_PROGRESS_JSON: {
		json_t *j = json_pack("{ssss#}", "image", image, "output", line, (int)len);
		if (!j) {
			/* Not UTF-8 (a RUN's output can be any bytes): each byte
			 * outside ASCII becomes U+FFFD rather than the line being lost. */
			struct strbuf b = {0};
			for (size_t i = 0; i < len; i++) {
				if ((unsigned char)line[i] < 0x80 && line[i])
					strbuf_addc(&b, line[i]);
				else
					strbuf_adds(&b, "\xef\xbf\xbd");
			}
			_cleanup_free_ char *clean = strbuf_take(&b);
			j = json_pack("{ssss}", "image", image, "output", clean);
		}
		json_line(sc, j);
		return;
	}
	case BUILD_PROGRESS_PLAIN:
	case BUILD_PROGRESS_TTY:
		break;
	}
	/* The image's name escaped; the output as the step wrote it in plain
	 * mode (colors in a CI log, as BuildKit keeps them), escaped on a
	 * live view, where a cursor move would break the redraw. */
	_cleanup_free_ char *name = st_escape(image, strlen(image), ST_ESCAPE_KEEP_TAB);
	struct strbuf b = {0};
	strbuf_adds(&b, name);
	strbuf_adds(&b, " | ");
	if (st_progress_get_mode(sc->pr) == ST_PROGRESS_TTY) {
		_cleanup_free_ char *e = st_escape(line, len, ST_ESCAPE_KEEP_TAB);
		strbuf_adds(&b, e);
	} else {
		for (size_t i = 0; i < len; i++)
			strbuf_addc(&b, line[i]);
	}
	st_progress_line(sc->pr, b.s, b.n, true);
	free(b.s);
}

static void report(struct scheduler *sc, const char *image, bool ok, const char *msg)
{
	if (sc->o->progress == BUILD_PROGRESS_JSON)
		json_line(sc, ok ? json_pack("{sssb}", "image", image, "built", true)
				 : json_pack("{sssbss}", "image", image, "built", false, "error", msg));
	if (ok && sc->pr) {
		_cleanup_free_ char *line = xasprintf("[%s] built", image);
		st_progress_row_end(sc->pr, image, line);
	}
	if (ok) {
		pthread_mutex_lock(&sc->lock);
		sc->built++;
		pthread_mutex_unlock(&sc->lock);
	}
	if (!ok && sc->pr && st_progress_get_mode(sc->pr) == ST_PROGRESS_TTY) {
		/* The same terminal: above the live rows, not through them. */
		_cleanup_free_ char *line = xasprintf("stack build: error: %s", msg);
		st_progress_row_end(sc->pr, image, NULL);
		st_progress_line(sc->pr, line, strlen(line), false);
	} else if (!ok) {
		/* The message quotes the instruction, the Dockerfile's bytes. */
		_cleanup_free_ char *shown = st_escape(msg, strlen(msg), ST_ESCAPE_NL_N);
		pthread_mutex_lock(&sc->out_lock);
		fflush(sc->o->out);
		fprintf(sc->o->errors, "stack build: error: %s\n", shown);
		fflush(sc->o->errors);
		pthread_mutex_unlock(&sc->out_lock);
	}
}

/* ---- the jobs ---- */

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct scheduler *sc = j->sc;
	const struct build_node *n = &sc->plan->nodes[j->node];
	struct build_image_ctx cx = {
		.paths = sc->o->paths,
		.stack = sc->stack,
		.plan = sc->plan,
		.store = &sc->store,
		.node = j->node,
		.no_cache = sc->o->no_cache,
		.pull = sc->o->pull,
		.digests = sc->digests[j->node],
		.ev = &sc->ev,
	};
	st_error_t err = NULL;
	int r = build_image(&cx, &err);
	if (cx.digests)
		build_digests_save(cx.digests);
	if (r < 0) {
		_cleanup_free_ char *t = st_error_text(err);
		report(sc, n->image->name, false, t);
	} else {
		report(sc, n->image->name, true, NULL);
	}
	st_error_free(&err);
	pthread_mutex_lock(&sc->lock);
	sc->state[j->node] = r < 0 ? NODE_FAILED : NODE_DONE;
	sc->running--;
	pthread_cond_broadcast(&sc->changed);
	pthread_mutex_unlock(&sc->lock);
	free(j);
	return NULL;
}

/* Mark what is asked for and everything it builds FROM. */
static void mark(struct scheduler *sc, size_t i)
{
	if (sc->state[i] != NODE_IDLE)
		return;
	sc->state[i] = NODE_PENDING;
	const struct build_node *n = &sc->plan->nodes[i];
	for (size_t k = 0; k < n->n_deps; k++)
		mark(sc, n->deps[k]);
}

/* Under sc->lock: start what can start; 1 when something is left to wait for. */
static int schedule(struct scheduler *sc, int jobs, int *failed)
{
	bool pending = false;
	for (size_t i = 0; i < sc->plan->n; i++) {
		if (sc->state[i] != NODE_PENDING)
			continue;
		const struct build_node *n = &sc->plan->nodes[i];
		bool ready = true;
		const char *broken = NULL;
		for (size_t k = 0; k < n->n_deps; k++) {
			enum node_state d = sc->state[n->deps[k]];
			if (d == NODE_FAILED || d == NODE_SKIPPED)
				broken = sc->plan->nodes[n->deps[k]].image->name;
			else if (d != NODE_DONE)
				ready = false;
		}
		if (broken) {
			sc->state[i] = NODE_SKIPPED;
			(*failed)++;
			_cleanup_free_ char *msg = xasprintf("image `%s` was not built: it builds FROM `%s`, which failed",
							     n->image->name, broken);
			pthread_mutex_unlock(&sc->lock);
			report(sc, n->image->name, false, msg);
			pthread_mutex_lock(&sc->lock);
			i = (size_t)-1; /* its dependents may be skipped now too */
			continue;
		}
		pending = true;
		if (!ready || sc->running >= jobs || st_interrupted())
			continue;
		struct job *j = xzalloc(sizeof(*j));
		j->sc = sc;
		j->node = i;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 1 << 21);
		sc->state[i] = NODE_RUNNING;
		sc->running++;
		sc->started[i] = pthread_create(&sc->threads[i], &attr, job_main, j) == 0;
		if (!sc->started[i]) {
			sc->state[i] = NODE_FAILED;
			sc->running--;
			(*failed)++;
			free(j);
			pthread_mutex_unlock(&sc->lock);
			report(sc, n->image->name, false, "cannot start a build thread");
			pthread_mutex_lock(&sc->lock);
		}
		pthread_attr_destroy(&attr);
	}
	return pending || sc->running > 0;
}

/* Libraries loaded before threads start: a build helper forked while
 * another thread is loading one must not inherit the loader's lock. */
static int preload(st_error_t *err)
{
	struct st_sha256 h;
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	st_sha256_abort(&h);
	return 0;
}

int build_stack(const struct spec_stack *stack, const struct build_plan *plan, const struct build_opts *o,
		st_error_t *err)
{
	struct scheduler sc = {.stack = stack, .plan = plan, .o = o};
	if (preload(err) < 0 || img_store_open(o->paths->root, &sc.store, err) < 0)
		return -1;
	pthread_mutex_init(&sc.lock, NULL);
	pthread_mutex_init(&sc.out_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sc.changed, &ca);
	pthread_condattr_destroy(&ca);
	sc.ev = (struct build_events){.step = on_step, .step_begin = on_step_begin, .output = on_output, .data = &sc};
	if (o->progress == BUILD_PROGRESS_PLAIN || o->progress == BUILD_PROGRESS_TTY)
		sc.pr = st_progress_new(o->out, o->progress == BUILD_PROGRESS_TTY ? ST_PROGRESS_TTY : ST_PROGRESS_PLAIN);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sc.state = xcalloc(plan->n ? plan->n : 1, sizeof(*sc.state));
	sc.digests = xcalloc(plan->n ? plan->n : 1, sizeof(*sc.digests));
	sc.threads = xcalloc(plan->n ? plan->n : 1, sizeof(*sc.threads));
	sc.started = xcalloc(plan->n ? plan->n : 1, sizeof(*sc.started));
	for (size_t i = 0; i < plan->n; i++)
		if (!o->wanted || o->wanted[i])
			mark(&sc, i);
	/* Images of one context share its digest cache. */
	for (size_t i = 0; i < plan->n; i++) {
		if (sc.state[i] != NODE_PENDING || !plan->nodes[i].image->context)
			continue;
		for (size_t k = 0; k < i && !sc.digests[i]; k++)
			if (sc.digests[k] && !strcmp(plan->nodes[k].image->context, plan->nodes[i].image->context))
				sc.digests[i] = sc.digests[k];
		if (!sc.digests[i])
			sc.digests[i] = build_digests_open(o->paths->root, plan->nodes[i].image->context);
	}
	int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs < 1)
		jobs = 1;
	int failed = 0;
	pthread_mutex_lock(&sc.lock);
	while (schedule(&sc, jobs, &failed)) {
		if (st_interrupted() && sc.running == 0)
			break;
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += 100 * 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sc.changed, &sc.lock, &t);
	}
	for (size_t i = 0; i < plan->n; i++)
		if (sc.state[i] == NODE_FAILED)
			failed++;
	pthread_mutex_unlock(&sc.lock);
	/* Every job is done (running is 0); joined, none still touches sc. */
	for (size_t i = 0; i < plan->n; i++)
		if (sc.started[i])
			pthread_join(sc.threads[i], NULL);
	for (size_t i = 0; i < plan->n; i++) {
		bool shared = false;
		for (size_t k = 0; k < i && !shared; k++)
			shared = sc.digests[k] == sc.digests[i];
		if (!shared)
			build_digests_free(sc.digests[i]);
	}
	if (sc.pr && st_progress_get_mode(sc.pr) == ST_PROGRESS_TTY) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		_cleanup_free_ char *sum = xasprintf("stack build: %d built, %d failed in %.1fs", sc.built, failed, secs);
		st_progress_line(sc.pr, sum, strlen(sum), false);
	}
	st_progress_free(sc.pr);
	free(sc.digests);
	free(sc.state);
	free(sc.threads);
	free(sc.started);
	pthread_cond_destroy(&sc.changed);
	pthread_mutex_destroy(&sc.lock);
	pthread_mutex_destroy(&sc.out_lock);
	img_store_close(&sc.store);
	return failed ? 1 : 0;
}
