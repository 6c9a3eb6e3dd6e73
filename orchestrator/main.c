/* stack: global options, then dispatch to one command. */
#include "cli/cli.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct cli_command commands[] = {
	{"build", cmd_build, "Build the stack's images in dependency order"},
	{"config", cmd_config, "Validate and print the resolved stack file"},
	{"dockerfile", cmd_dockerfile, "Print the parse of a Dockerfile as JSON"},
	{"exec", cmd_exec, "Run a command in a running container of a service"},
	{"pull", cmd_pull, "Pull the stack's registry bases, run its debootstrap bases again"},
	{"run", cmd_run, "Run a one-off container for a service"},
	{"images", cmd_images, "List the images of the store"},
	{"image", cmd_image, "Inspect, remove, prune or save images"},
	{"up", cmd_up, "Create and start the services under a supervisor"},
	{"down", cmd_down, "Stop and remove the services, their logs and state"},
	{"ps", cmd_ps, "List the services' containers"},
	{"logs", cmd_logs, "Show the services' output"},
	{"stop", cmd_stop, "Stop services (no restart)"},
	{"start", cmd_start, "Start stopped services"},
	{"restart", cmd_restart, "Restart services"},
	{"kill", cmd_kill, "Send a signal to services' containers"},
	{"port", cmd_port, "Print where a container port of a service is published"},
	{"events", cmd_events, "Show the containers' events (start, die, oom, health...)"},
	{"stats", cmd_stats, "Show the containers' CPU, memory and pids usage"},
	{"top", cmd_top, "List the processes of the services' containers"},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: stack [OPTIONS] COMMAND [ARGS...]\n\n"
		     "Build and run the services of a compose-style stack file in containers of\n"
		     "stack's own runtime, supervised, without a daemon.  Without -f, the stack file\n"
		     "is the first of stack.yaml, stack.yml, compose.yaml, compose.yml,\n"
		     "docker-compose.yml and docker-compose.yaml in the current directory.\n\n"
		     "Options:\n"
		     "  -f, --file FILE        stack file (repeatable; later files override)\n"
		     "  -p, --project-name NAME\n"
		     "                         project name (default: the stack file's `name:`, or\n"
		     "                         its directory's name)\n"
		     "      --profile NAME     enable services of this profile (repeatable)\n"
		     "  -h, --help             show this help\n"
		     "      --version          show the version\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nEnvironment:\n"
		     "  STACK_ROOT             images, layers, caches, volumes, logs (default\n"
		     "                         " ST_ROOT_DEFAULT ")\n"
		     "  STACK_RUN              containers' state, locks, supervisor sockets (default\n"
		     "                         " ST_RUN_DEFAULT ")\n"
		     "  STACK_CGROUP_PARENT    the cgroup containers go under (default " ST_CGROUP_PARENT_DEFAULT ")\n"
		     "  NO_COLOR               set and not empty: no colours in log prefixes\n"
		     "  DOCKER_CONFIG          where registry credentials are read (config.json;\n"
		     "                         default ~/.docker)\n\n"
		     "Exit status:\n"
		     "  0    success\n"
		     "  1    a runtime failure (a syscall, a build step); the message names the step\n"
		     "       and the path\n"
		     "  2    invalid input (bad command line, invalid stack file or Dockerfile);\n"
		     "       nothing was changed\n"
		     "  N    stack run and stack exec: the container command's status (126, 127: it\n"
		     "       cannot be executed, or is not found; 128+N: signal N)\n\n"
		     "Run 'stack COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"project-name", required_argument, NULL, 'p'},
		{"profile", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct cli_globals g = {0};
	int c, rc;

	/* Started with fd 0, 1 or 2 closed, the first file we open would take
	 * its number and be handed to a container as its stdio. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			return CLI_EXIT_FAILURE;

	/* The only read of STACK_ROOT, STACK_RUN and STACK_CGROUP_PARENT:
	 * every module gets them from here. */
	st_paths_from_env(&g.paths, environ);

	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+f:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			strv_push(&g.files, optarg);
			break;
		case 'p':
			g.project = optarg;
			break;
		case 'P':
			strv_push(&g.profiles, optarg);
			break;
		case 'h':
			usage(stdout);
			rc = CLI_EXIT_OK;
			goto out;
		case 'V':
			printf("stack version %s\n", STACK_VERSION);
			rc = CLI_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, name) == 0) {
			optind++;
			/* Commands parse their own options from a fresh getopt
			 * state: glibc re-reads the optstring's '+' (argument
			 * order) only when optind is 0, not 1. */
			int sub_argc = argc - optind + 1;
			char **sub_argv = argv + optind - 1;
			optind = 0;
			rc = commands[i].fn(&g, sub_argc, sub_argv);
			goto out;
		}
	}
	fprintf(stderr, "stack: unknown command `%s`\nRun 'stack --help' for the list of commands.\n", name);
	rc = CLI_EXIT_USAGE;
out:
	strv_free(&g.files);
	strv_free(&g.profiles);
	return rc;
}
