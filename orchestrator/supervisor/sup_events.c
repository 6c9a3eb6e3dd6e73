/* The services' events (event_rec.h) into the project's events file.
 *
 * The file is the only place they go: `stack events` follows it as
 * `stack logs -f` follows the logs, so it works the same whether the
 * supervisor is alive, gone, or was never there, and the supervisor keeps
 * no list of subscribers.  A write is a small append to a regular file
 * (a copy into the page cache) like a log line; a failed one is counted
 * and dropped, never waited on. */
#include "supervisor/event_rec.h"
#include "supervisor/files.h"
#include "supervisor/internal.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

void sup_events_open(struct sup *sup)
{
	_cleanup_free_ char *dir = sup_events_dir(sup->paths);
	_cleanup_free_ char *path = sup_events_path(sup->paths, sup->project);
	st_error_t err = NULL;
	sup->events.fd = -1;
	if (fs_mkdir_p(dir, 0700, &err) < 0 ||
	    sup_logfile_open(&sup->events, path, SUP_EVENTS_MAX_SIZE, SUP_EVENTS_MAX_FILE, &err) < 0) {
		/* runs without a record of its events rather than not at all */
		st_error_prefix(&err, "events are not recorded");
		st_error_print(&err, stderr);
		sup->events.fd = -1;
	}
}

void sup_events_close(struct sup *sup)
{
	sup_logfile_close(&sup->events);
}

void sup_event(struct sup_service *s, const char *action, json_t *attrs)
{
	struct sup *sup = s->sup;
	char ts[40];
	sup_log_timestamp(ts);
	char *text = sup_event_encode(ts, action, s->name, s->id, attrs);
	json_decref(attrs);
	if (!text) {
		sup->events.dropped++;
		return;
	}
	size_t n = strlen(text);
	text[n++] = '\n'; /* over the NUL: written by length */
	sup_logfile_write_record(&sup->events, text, n);
	free(text);
}

void sup_event_signal(struct sup_service *s, const char *action, int sig)
{
	char buf[16];
	sup_event(s, action, json_pack("{s:s, s:i}", "signal", st_signal_name(sig, buf, sizeof(buf)), "signo", sig));
}
