/* net_down PROJECT: sup_net_teardown() for PROJECT under $STACK_RUN, for
 * the network tests until `stack down` calls it (issue 8): what `stack
 * down` will do for the networks, with no stack file and no live stack
 * process needed. */
#include "spec/lookup.h"
#include "supervisor/network.h"
#include "util/paths.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: net_down PROJECT\n");
		return 2;
	}
	if (!spec_project_name_valid(argv[1])) {
		fprintf(stderr, "net_down: invalid project name\n");
		return 2;
	}
	struct st_paths paths;
	st_paths_from_env(&paths, environ);
	struct spec_stack stack;
	memset(&stack, 0, sizeof(stack));
	stack.name = argv[1];
	st_error_t err = NULL;
	if (sup_net_teardown(&paths, &stack, &err) < 0) {
		st_error_print(&err, stderr);
		return 1;
	}
	return 0;
}
