/* Restart policies and Docker's backoff, as pure functions of a service's
 * history (no clock, no loop), so they are tested on their own.
 *
 * Docker (moby's restartmanager): the first restart waits 100 ms, each
 * further one twice the last, at most 1 min; a container that ran 10 s or
 * more starts the series again at 100 ms.  A container the user stopped
 * (`stack stop`, `stack kill`, `down`) is never restarted. */
#ifndef STACK_SUPERVISOR_RESTART_H
#define STACK_SUPERVISOR_RESTART_H

#include "spec/model.h"

#include <stdbool.h>
#include <stdint.h>

#define SUP_BACKOFF_FIRST_MS 100
#define SUP_BACKOFF_MAX_MS 60000
#define SUP_BACKOFF_RESET_MS 10000

/* Whether a container that exited with exit_code (0..255) on its own is
 * started again; `restarts` counts the policy's restarts so far. */
bool sup_restart_wanted(enum spec_restart policy, int max_retries, int exit_code, int restarts);

/* The delay before the next restart: prev_delay_ms is the delay used for
 * the previous one (0: none yet), up_ms how long the container ran. */
int64_t sup_restart_delay(int64_t prev_delay_ms, int64_t up_ms);

const char *sup_restart_policy_name(enum spec_restart policy);

#endif
