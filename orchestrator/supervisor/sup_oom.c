/* `oom` events while a container runs (a child killed, the container
 * alive): each rise of its cgroup's OOM kill count is one.  The kernel
 * says when to look (rt_container_oom_watch: v1's eventfd, v2's inotify
 * on memory.events), so kills a moment apart are each seen; a host that
 * does not tell is looked at each second (SUP_OOM_POLL_MS).  v1 signals
 * as the cgroup runs out of memory, before the killer has counted its
 * kill: a wakeup that finds no rise looks again for a little while
 * (SUP_OOM_RECHECKS every SUP_OOM_RECHECK_MS). */
#include "runtime/cgroup.h"
#include "supervisor/internal.h"
#include "util/mem.h"

#include <unistd.h>

#define SUP_OOM_RECHECK_MS 5
#define SUP_OOM_RECHECKS 40

int sup_oom_check(struct sup_service *s)
{
	long long n = s->ct ? rt_container_oom_kills(s->ct) : -1;
	if (n < 0)
		return -1;
	if (n <= s->oom_seen)
		return 0;
	s->oom_seen = n;
	s->ev_oom = true;
	sup_event(s, "oom", json_pack("{s:I}", "oom_kills", (json_int_t)n));
	return 1;
}

static void on_oom_timer(uv_timer_t *t)
{
	struct sup_service *s = t->data;
	if (s->reaping)
		return;
	int r = sup_oom_check(s);
	if (r < 0 || (s->oom_poll && (r > 0 || --s->oom_rechecks <= 0)))
		uv_timer_stop(t);
}

static void free_poll(uv_handle_t *h)
{
	free(h);
}

static void stop_poll(struct sup_service *s)
{
	if (!s->oom_poll)
		return;
	uv_os_fd_t fd = -1;
	uv_fileno((uv_handle_t *)s->oom_poll, &fd);
	uv_poll_stop(s->oom_poll);
	uv_close((uv_handle_t *)s->oom_poll, free_poll);
	s->oom_poll = NULL;
	if (fd >= 0)
		close(fd);
	if (s->oom_keep >= 0)
		close(s->oom_keep);
	s->oom_keep = -1;
}

static void on_oom_ready(uv_poll_t *h, int status, int events)
{
	(void)events;
	struct sup_service *s = h->data;
	uv_os_fd_t fd = -1;
	uv_fileno((uv_handle_t *)h, &fd);
	rt_oom_watch_drain(fd);
	if (status < 0) {
		/* the watch broke: back to looking each second */
		stop_poll(s);
		uv_timer_start(&s->oom_timer, on_oom_timer, SUP_OOM_POLL_MS, SUP_OOM_POLL_MS);
		return;
	}
	if (s->reaping || sup_oom_check(s) != 0)
		return;
	s->oom_rechecks = SUP_OOM_RECHECKS;
	uv_timer_start(&s->oom_timer, on_oom_timer, SUP_OOM_RECHECK_MS, SUP_OOM_RECHECK_MS);
}

static bool start_poll(struct sup_service *s)
{
	st_error_t err = NULL;
	int keep = -1;
	int fd = rt_container_oom_watch(s->ct, &keep, &err);
	if (fd < 0) {
		st_error_free(&err); /* the poll does it */
		return false;
	}
	s->oom_poll = xzalloc(sizeof(*s->oom_poll));
	s->oom_keep = keep;
	if (uv_poll_init(&s->sup->loop, s->oom_poll, fd) < 0) {
		free(s->oom_poll);
		s->oom_poll = NULL;
		close(fd);
		if (keep >= 0)
			close(keep);
		s->oom_keep = -1;
		return false;
	}
	s->oom_poll->data = s;
	uv_poll_start(s->oom_poll, UV_READABLE, on_oom_ready);
	return true;
}

void sup_oom_start(struct sup_service *s)
{
	s->ev_oom = false;
	/* told first, counted then: a kill between the two is not missed */
	bool told = start_poll(s);
	s->oom_seen = rt_container_oom_kills(s->ct);
	if (s->oom_seen < 0)
		stop_poll(s); /* nothing counted: nothing to watch */
	else if (!told)
		uv_timer_start(&s->oom_timer, on_oom_timer, SUP_OOM_POLL_MS, SUP_OOM_POLL_MS);
}

void sup_oom_stop(struct sup_service *s)
{
	stop_poll(s);
	uv_timer_stop(&s->oom_timer);
}
