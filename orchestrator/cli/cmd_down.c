/* stack down [-t SECONDS] [-v] [--rmi local|all]
 *
 * Stop and remove every container of the project, then everything it
 * kept: state files, logs, networks, the supervisor's pid file and socket, the
 * project's run dir; with -v its named volumes, with --rmi its images
 * (cli/down_extra.h).  Also after a crash of the supervisor (then there is
 * nobody to ask, and the leftovers are swept here). */
#include "cli/cli.h"
#include "cli/down_extra.h"
#include "cli/printable.h"
#include "cli/sup_client.h"
#include "supervisor/files.h"
#include "supervisor/network.h"
#include "supervisor/sup.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

static void down_usage(FILE *out)
{
	fputs("Usage: stack down [OPTIONS]\n\n"
	      "Stop and remove the stack's containers, their logs and state.\n\n"
	      "Options:\n"
	      "  -t, --timeout SECONDS  grace period before SIGKILL (default: each service's stop_grace_period)\n"
	      "  -v, --volumes          also remove the named volumes of the top-level `volumes:` (never a\n"
	      "                         bind mount's source); without it they are kept\n"
	      "      --rmi local|all    also remove images: local, those built for services without an\n"
	      "                         `image:` name; all, every image the stack uses (built and bases).\n"
	      "                         One a running container of another project uses is kept\n"
	      "      --remove-orphans   accepted: down removes every container of the project anyway\n"
	      "  -h, --help             show this help\n",
	      out);
}

int cli_parse_timeout(const char *cmd, const char *s, int *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 86400)
		return cli_usage_error(cmd, "--timeout: `%s` is not a number of seconds (0 to 86400)", s);
	*out = (int)v;
	return 0;
}

int cmd_down(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"volumes", no_argument, NULL, 'v'},
		{"rmi", required_argument, NULL, 'R'},
		{"remove-orphans", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, timeout = -1;
	bool volumes = false;
	enum cli_rmi rmi = CLI_RMI_NONE;
	while ((c = getopt_long(argc, argv, "+t:vh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_timeout("down", optarg, &timeout) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'v':
			volumes = true;
			break;
		case 'R':
			if (strcmp(optarg, "local") == 0) {
				rmi = CLI_RMI_LOCAL;
			} else if (strcmp(optarg, "all") == 0) {
				rmi = CLI_RMI_ALL;
			} else {
				_cleanup_free_ char *shown = cli_printable(optarg);
				return cli_usage_error("down", "--rmi: `%s` is neither local nor all", shown);
			}
			break;
		case 'O':
			break;
		case 'h':
			down_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("down", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("down", "unexpected argument `%s`", argv[optind]);
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	st_interrupt_catch();
	rc = CLI_EXIT_OK;
	pid_t sup_pid = cli_sup_alive(g, stack);
	if (sup_pid) {
		/* Opened while it holds its pid file's lock, so this is the
		 * supervisor's pid and not a recycled one. */
		int sup_fd = sup_pid > 1 ? pidfd_open(sup_pid, 0) : -1;
		json_t *req = json_pack("{s:s}", "cmd", "down"), *reply = NULL;
		if (timeout >= 0)
			json_object_set_new(req, "timeout", json_integer(timeout));
		if (cli_sup_request("down", g, stack, req, -1, &reply) == 0) {
			size_t i;
			json_t *s;
			json_array_foreach (json_object_get(reply, "services"), i, s)
				fprintf(stderr, " Container %s-%s-1  Removed\n", stack->name,
					json_string_value(json_object_get(s, "service")));
		} else {
			rc = CLI_EXIT_FAILURE;
		}
		json_decref(reply);
		/* It exits once its reply is out; what it leaves goes below. */
		for (int i = 0; i < 200 && cli_sup_alive(g, stack); i++) {
			struct timespec ts = {0, 50 * 1000000L};
			nanosleep(&ts, NULL);
		}
		/* Its lock goes with its files, a moment before it has exited:
		 * `down` returns once no process of the stack is left. */
		if (sup_fd >= 0 && !cli_sup_alive(g, stack)) {
			struct pollfd pfd = {.fd = sup_fd, .events = POLLIN};
			while (poll(&pfd, 1, 10000) < 0 && errno == EINTR)
				;
		}
		if (sup_fd >= 0)
			close(sup_fd);
	}
	st_error_t err = NULL;
	if (sup_recover(&g->paths, stack, &err) < 0) {
		st_error_print(&err, stderr);
		rc = CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *run = cli_sup_run_dir(g, stack);
	_cleanup_free_ char *pid = sup_pid_path(run);
	_cleanup_free_ char *logs = sup_log_dir(&g->paths, stack->name);
	if (!cli_sup_alive(g, stack)) {
		/* The supervisor tears them down itself; after a kill -9 it is us. */
		int nr = sup_net_teardown_down(&g->paths, stack, &err);
		if (nr < 0) {
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
		} else if (nr > 0) {
			fprintf(stderr, "stack down: the networks%s of project `%s` are kept: a `stack run` container of "
					"it still runs; run `stack down` again once it has ended\n",
				volumes || rmi ? ", volumes and images" : "", stack->name);
		} else {
			if (volumes && cli_down_volumes(&g->paths, stack, stderr, &err) < 0) {
				st_error_print(&err, stderr);
				rc = CLI_EXIT_FAILURE;
			}
			if (cli_down_images(&g->paths, stack, rmi, stderr, &err) < 0) {
				st_error_print(&err, stderr);
				rc = CLI_EXIT_FAILURE;
			}
		}
		unlink(pid);
		if (fs_remove_tree(logs, &err) < 0) {
			st_error_print(&err, stderr);
			rc = CLI_EXIT_FAILURE;
		}
		rmdir(run); /* not when a `stack run` of the project still has a container there */
	}
	spec_stack_free(stack);
	return rc;
}
