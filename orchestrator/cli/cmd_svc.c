/* stack stop|start|restart [-t SECONDS] [SERVICE...], stack kill [-s SIG] [SERVICE...]
 *
 * Requests to the project's supervisor (docs/control-protocol.md).  A stop
 * or kill never makes the restart policy start the service again. */
#include "cli/cli.h"
#include "cli/sup_client.h"
#include "util/mem.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>


/* kill takes -s, stop and restart -t, start nothing (it stops nothing):
 * a table each, so that each command's parser accepts exactly what its
 * --help lists. */
static const struct option timeout_opts[] = {
	{"timeout", required_argument, NULL, 't'},
	{"help", no_argument, NULL, 'h'},
	{0},
};
static const struct option start_opts[] = {
	{"help", no_argument, NULL, 'h'},
	{0},
};
static const struct option kill_opts[] = {
	{"signal", required_argument, NULL, 's'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static void svc_usage(const char *cmd)
{
	if (strcmp(cmd, "kill") == 0) {
		fputs("Usage: stack kill [OPTIONS] [SERVICE...]\n\n"
		      "Send a signal to the services' containers (all, or those named).  The restart\n"
		      "policy does not start a killed service again.\n\n"
		      "Options:\n"
		      "  -s, --signal SIGNAL    the signal, by name or number (default SIGKILL)\n"
		      "  -h, --help             show this help\n",
		      stdout);
		return;
	}
	if (strcmp(cmd, "start") == 0) {
		fputs("Usage: stack start [OPTIONS] [SERVICE...]\n\n"
		      "Start the services' stopped containers (all, or those named).\n\n"
		      "Options:\n"
		      "  -h, --help             show this help\n",
		      stdout);
		return;
	}
	const char *what = strcmp(cmd, "stop") == 0 ? "Stop the services' containers; the restart policy does not start\n"
						      "them again until `stack start`"
						    : "Stop and start the services' containers";
	printf("Usage: stack %s [OPTIONS] [SERVICE...]\n\n"
	       "%s (all, or those named).\n\n"
	       "Options:\n"
	       "  -t, --timeout SECONDS  grace period before SIGKILL (default: each service's\n"
	       "                         stop_grace_period)\n"
	       "  -h, --help             show this help\n",
	       cmd, what);
}

static int svc_command(struct cli_globals *g, const char *cmd, int argc, char **argv)
{
	bool is_kill = strcmp(cmd, "kill") == 0, is_start = strcmp(cmd, "start") == 0;
	const char *optstring = is_kill ? "+s:h" : is_start ? "+h" : "+t:h";
	const struct option *opts = is_kill ? kill_opts : is_start ? start_opts : timeout_opts;
	int c, timeout = -1;
	const char *sig = "SIGKILL";
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_timeout(cmd, optarg, &timeout) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 's':
			sig = optarg;
			break;
		case 'h':
			svc_usage(cmd);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(cmd, "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct strv names = {0};
	if (cli_sup_services(cmd, stack, argc - optind, argv + optind, &names) < 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!cli_sup_alive(g, stack)) {
		if (strcmp(cmd, "stop") == 0) {
			fprintf(stderr, "stack stop: no supervisor runs for project `%s`: nothing is running\n",
				stack->name);
			rc = CLI_EXIT_OK;
		} else {
			fprintf(stderr, "stack %s: no supervisor runs for project `%s`; start the stack with `stack up`\n",
				cmd, stack->name);
			rc = CLI_EXIT_FAILURE;
		}
		goto out;
	}
	json_t *req = json_pack("{s:s}", "cmd", cmd), *reply = NULL;
	cli_sup_add_services(req, argc - optind, argv + optind);
	if (timeout >= 0)
		json_object_set_new(req, "timeout", json_integer(timeout));
	if (is_kill)
		json_object_set_new(req, "signal", json_string(sig));
	if (cli_sup_request(cmd, g, stack, req, -1, &reply) < 0) {
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	size_t i;
	json_t *s;
	if (is_kill) {
		json_array_foreach (json_object_get(reply, "killed"), i, s)
			fprintf(stderr, " Container %s-%s-1  Killed\n", stack->name, json_string_value(s));
	} else {
		json_array_foreach (json_object_get(reply, "services"), i, s)
			fprintf(stderr, " Container %s-%s-1  %s\n", stack->name,
				json_string_value(json_object_get(s, "service")),
				json_string_value(json_object_get(s, "state")));
	}
	json_decref(reply);
out:
	strv_free(&names);
	spec_stack_free(stack);
	return rc;
}

int cmd_stop(struct cli_globals *g, int argc, char **argv)
{
	return svc_command(g, "stop", argc, argv);
}

int cmd_start(struct cli_globals *g, int argc, char **argv)
{
	return svc_command(g, "start", argc, argv);
}

int cmd_restart(struct cli_globals *g, int argc, char **argv)
{
	return svc_command(g, "restart", argc, argv);
}

int cmd_kill(struct cli_globals *g, int argc, char **argv)
{
	return svc_command(g, "kill", argc, argv);
}
