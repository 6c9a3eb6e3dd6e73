/* Progress of a pull: on a terminal one line redrawn at most ten times a
 * second (layer n/N, bytes of total, rate), else one plain line per layer,
 * so a CI log reads as a list. */
#include "image/registry_int.h"

#include "util/mem.h"

#include <stdarg.h>
#include <string.h>

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static const char *human(int64_t n, char *buf, size_t size)
{
	if (n < 1024)
		snprintf(buf, size, "%lld B", (long long)n);
	else if (n < (1 << 20))
		snprintf(buf, size, "%.1f KiB", (double)n / 1024);
	else if (n < (1LL << 30))
		snprintf(buf, size, "%.1f MiB", (double)n / (1 << 20));
	else
		snprintf(buf, size, "%.2f GiB", (double)n / (1LL << 30));
	return buf;
}

void reg_progress_begin(struct reg_progress *p, FILE *out, bool tty, const char *ref, size_t n_layers,
			int64_t total)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = tty;
	p->ref = ref;
	p->n_layers = n_layers;
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
	if (out) {
		p->pr = st_progress_new(out, tty ? ST_PROGRESS_TTY : ST_PROGRESS_PLAIN);
		char b[32];
		reg_progress_line(p, "pull %s: %zu layer%s, %s", ref, n_layers, n_layers == 1 ? "" : "s",
				  human(total, b, sizeof(b)));
	}
}

void reg_progress_free(struct reg_progress *p)
{
	st_progress_free(p->pr);
	p->pr = NULL;
}

static void redraw(struct reg_progress *p, const struct timespec *now)
{
	char done[32], total[32], rate[32];
	double secs = since(&p->start, now);
	int64_t bytes = p->done + p->layer_got;
	human(secs > 0 ? (int64_t)((double)bytes / secs) : 0, rate, sizeof(rate));
	_cleanup_free_ char *row = xasprintf("pull %s: layer %zu/%zu, %s of %s, %s/s", p->ref, p->layer + 1, p->n_layers,
					     human(bytes, done, sizeof(done)), human(p->total, total, sizeof(total)), rate);
	st_progress_row(p->pr, "pull", row);
}

void reg_progress_bytes(void *data, int64_t layer_got)
{
	struct reg_progress *p = data;
	p->layer_got = layer_got;
	if (!p->pr || !p->tty)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->last, &now) < 0.1)
		return;
	p->last = now;
	redraw(p, &now);
}

void reg_progress_line(struct reg_progress *p, const char *fmt, ...)
{
	if (!p->pr)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *line = xvasprintf(fmt, ap);
	va_end(ap);
	st_progress_line(p->pr, line, strlen(line), false);
}

void reg_progress_layer(struct reg_progress *p, const struct reg_desc *d, bool fetched)
{
	char b[32];
	const char *how = fetched ? "pulled" : "already pulled";
	p->done += d->size;
	if (fetched)
		p->fetched += d->size;
	p->layer_got = 0;
	if (p->pr)
		st_progress_row_end(p->pr, "pull", NULL);
	reg_progress_line(p, "pull %s: layer %zu/%zu %.19s %s %s", p->ref, p->layer + 1, p->n_layers, d->digest,
			  human(d->size, b, sizeof(b)), how);
	p->layer++;
}

void reg_progress_end(struct reg_progress *p)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = since(&p->start, &now);
	char b[32], r[32];
	reg_progress_line(p, "pull %s: done, %s downloaded in %.1f s (%s/s)", p->ref, human(p->fetched, b, sizeof(b)),
			  secs, human(secs > 0 ? (int64_t)((double)p->fetched / secs) : 0, r, sizeof(r)));
	reg_progress_free(p);
}
