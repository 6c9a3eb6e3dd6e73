/* stack port SERVICE PRIVATE_PORT[/PROTO]
 *
 * Where a container port of SERVICE is published: HOST_IP:HOST_PORT, one
 * line per binding, as `docker compose port` prints it.  The listeners
 * are the supervisor's (supervisor/ports.h), so it asks the supervisor;
 * with none running nothing is published. */
#include "cli/cli.h"
#include "cli/sup_client.h"
#include "util/mem.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void port_usage(FILE *out)
{
	fputs("Usage: stack port SERVICE PRIVATE_PORT[/tcp|/udp]\n\n"
	      "Print the host address a container port of SERVICE is published on.\n\n"
	      "Options:\n"
	      "  -h, --help   show this help\n",
	      out);
}

int cmd_port(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			port_usage(stdout);
			return CLI_EXIT_OK;
		}
		return cli_usage_error("port", "invalid option");
	}
	if (argc - optind != 2)
		return cli_usage_error("port", "want SERVICE and PRIVATE_PORT[/PROTO]");
	const char *service = argv[optind], *arg = argv[optind + 1];
	char *end = NULL;
	long target = strtol(arg, &end, 10);
	const char *proto = "tcp";
	if (end && *end == '/')
		proto = end + 1;
	if (end == arg || target < 1 || target > 65535 || (*end && *end != '/') ||
	    (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
		return cli_usage_error("port", "`%s`: want a port number 1-65535, optionally with /tcp or /udp", arg);
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAILURE;
	json_t *reply = NULL;
	if (!cli_find_service("port", stack, service)) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!cli_sup_alive(g, stack)) {
		fprintf(stderr, "stack port: project `%s` is not running (no supervisor): nothing is published; "
				"start it with `stack up -d`\n",
			stack->name);
		goto out;
	}
	if (cli_sup_request("port", g, stack, json_pack("{s:s}", "cmd", "ps"), 10000, &reply) < 0)
		goto out;
	size_t i, j;
	json_t *r, *p;
	int found = 0;
	json_array_foreach (json_object_get(reply, "services"), i, r) {
		const char *name = json_string_value(json_object_get(r, "service"));
		if (!name || strcmp(name, service) != 0)
			continue;
		json_array_foreach (json_object_get(r, "published"), j, p) {
			const char *pr = json_string_value(json_object_get(p, "protocol"));
			if (json_integer_value(json_object_get(p, "target")) != target || !pr || strcmp(pr, proto) != 0)
				continue;
			const char *ip = json_string_value(json_object_get(p, "host_ip"));
			printf("%s:%d\n", ip ? ip : "0.0.0.0", (int)json_integer_value(json_object_get(p, "host_port")));
			found++;
		}
	}
	if (found)
		rc = CLI_EXIT_OK;
	else
		fprintf(stderr, "stack port: no port %ld/%s of service `%s` is published\n", target, proto, service);
out:
	json_decref(reply);
	spec_stack_free(stack);
	return rc;
}
