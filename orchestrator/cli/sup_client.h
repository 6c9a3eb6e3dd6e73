/* What the supervisor commands (up, down, ps, logs, stop, start, restart,
 * kill) share: the project's run dir, the supervisor's liveness, a
 * request that prints its own errors, image resolution for it. */
#ifndef STACK_CLI_SUP_CLIENT_H
#define STACK_CLI_SUP_CLIENT_H

#include "cli/cli.h"
#include "supervisor/sup.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

char *cli_sup_run_dir(const struct cli_globals *g, const struct spec_stack *stack);
/* The supervisor's pid, or 0 when none runs. */
pid_t cli_sup_alive(const struct cli_globals *g, const struct spec_stack *stack);
/* Send req (taken); 0 and *reply, or -1 after printing "stack CMD: ...". */
int cli_sup_request(const char *cmd, const struct cli_globals *g, const struct spec_stack *stack, json_t *req,
		    int timeout_ms, json_t **reply);
/* The CLI's image resolution, for the supervisor (sup.h). */
int cli_sup_resolve(const struct st_paths *paths, const struct spec_stack *stack, const char *image,
		    struct sup_image *out, st_error_t *err);
/* "services": [argv...] of a request (nothing when argc is 0). */
void cli_sup_add_services(json_t *req, int argc, char **argv);
/* The service names of the stack that are in argv (all when argc is 0);
 * prints an error and returns -1 for an unknown one. */
int cli_sup_services(const char *cmd, const struct spec_stack *stack, int argc, char **argv, struct strv *out);

#endif
