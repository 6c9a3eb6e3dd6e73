/* `stack up` builds what is stale before anything starts (issue 8: as
 * `compose up` builds a missing image, but every time: the build cache
 * makes an unchanged chain a no-op, and an edited Dockerfile or context
 * is picked up without a separate `stack build`). */
#ifndef STACK_CLI_UP_BUILD_H
#define STACK_CLI_UP_BUILD_H

#include "cli/cli.h"
#include "spec/model.h"
#include "util/strv.h"

/* Build the images of the stack that SERVICES (and what they depend on)
 * run, and what those build FROM, with the build's progress on stderr.
 * CLI_EXIT_OK when nothing needed building or all was built; the build's
 * failures are said on stderr. */
int cli_up_build(struct cli_globals *g, struct spec_stack *stack, const struct strv *services);

#endif
