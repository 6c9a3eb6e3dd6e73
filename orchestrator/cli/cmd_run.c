/* PLACEHOLDER: replaced by the owner of this command. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_run(struct cli_globals *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	fputs("stack run: not implemented yet\n", stderr);
	return CLI_EXIT_FAILURE;
}
