/* `stack ps --status S` / `--filter status=S`: docker's container statuses
 * mapped onto the supervisor's states (supervisor/internal.h):
 *
 *   created     created     (waiting for its dependencies)
 *   restarting  restarting  (ended, waiting for its restart backoff)
 *   running     starting, running, stopping  (its process exists, as
 *               docker shows a container that is being stopped)
 *   removing    removed     (down, or recreated away)
 *   exited      exited
 *   dead        exited, when its supervisor was killed and took it along
 *               (ps --format json's note "died with its supervisor")
 *   paused      never: stack has no pause
 */
#ifndef STACK_CLI_PS_STATUS_H
#define STACK_CLI_PS_STATUS_H

#include <jansson.h>
#include <stdbool.h>

/* the note `ps` gives a container its killed supervisor took along */
#define CLI_PS_NOTE_DIED "died with its supervisor"

#define CLI_PS_STATUSES "created, restarting, running, removing, paused, exited, dead"

/* Add the status S to *mask (repeated statuses OR).  0, or -1 when S is
 * none of CLI_PS_STATUSES. */
int cli_ps_status_add(const char *s, unsigned *mask);
/* REC (a `ps --format json` record) has one of the statuses of MASK. */
bool cli_ps_status_match(unsigned mask, json_t *rec);

#endif
