/* The CLI: global options, then one function per command (cli/cmd_*.c). */
#ifndef STACK_CLI_CLI_H
#define STACK_CLI_CLI_H

#include "spec/spec.h"
#include "util/paths.h"
#include "util/strv.h"

/* Exit codes, as documented in README.md. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* a runtime failure: a syscall, a build step */
	CLI_EXIT_USAGE = 2,   /* bad command line or invalid stack file */
};

struct cli_globals {
	struct strv files;    /* -f FILE, repeatable */
	const char *project;  /* -p NAME */
	struct strv profiles; /* --profile NAME */
	struct st_paths paths; /* STACK_ROOT, STACK_RUN, STACK_CGROUP_PARENT, read once */
};

typedef int (*cli_command_fn)(struct cli_globals *g, int argc, char **argv);

struct cli_command {
	const char *name;
	cli_command_fn fn;
	const char *summary;
};

/* Load the stack named by the globals; on error print every diagnostic to
 * stderr and return CLI_EXIT_USAGE. */
int cli_load_stack(struct cli_globals *g, struct spec_stack **out);

struct build_plan;
/* Plan the stack's image builds (every Dockerfile parsed) and add the
 * registry images their FROM lines name as implicit pull bases; on error
 * print every diagnostic to stderr, set *out to NULL and return
 * CLI_EXIT_USAGE. */
int cli_plan_stack(struct spec_stack *s, struct build_plan **out);

int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --progress auto: whether stderr gets the live view (util/progress.h). */
bool cli_progress_tty(void);

/* Service NAME of the stack, or NULL after "stack CMD: no service `NAME`
 * in this stack; services: ..." on stderr (NAME escaped: cli/printable.h). */
const struct spec_service *cli_find_service(const char *cmd, const struct spec_stack *stack, const char *name);

int cmd_build(struct cli_globals *g, int argc, char **argv);
int cmd_config(struct cli_globals *g, int argc, char **argv);
int cmd_dockerfile(struct cli_globals *g, int argc, char **argv);
int cmd_exec(struct cli_globals *g, int argc, char **argv);
int cmd_pull(struct cli_globals *g, int argc, char **argv);
/* stack image push (cmd_image_push.c), a command of cmd_image. */
int cmd_image_push(struct cli_globals *g, int argc, char **argv);
int cmd_run(struct cli_globals *g, int argc, char **argv);
int cmd_images(struct cli_globals *g, int argc, char **argv);
int cmd_image(struct cli_globals *g, int argc, char **argv);
int cmd_up(struct cli_globals *g, int argc, char **argv);
int cmd_down(struct cli_globals *g, int argc, char **argv);
int cmd_ps(struct cli_globals *g, int argc, char **argv);
int cmd_logs(struct cli_globals *g, int argc, char **argv);
int cmd_stop(struct cli_globals *g, int argc, char **argv);
int cmd_start(struct cli_globals *g, int argc, char **argv);
int cmd_restart(struct cli_globals *g, int argc, char **argv);
int cmd_kill(struct cli_globals *g, int argc, char **argv);
int cmd_port(struct cli_globals *g, int argc, char **argv);
int cmd_events(struct cli_globals *g, int argc, char **argv);
int cmd_stats(struct cli_globals *g, int argc, char **argv);
int cmd_top(struct cli_globals *g, int argc, char **argv);
/* -t SECONDS of down, stop, restart: 0 or CLI_EXIT_USAGE (printed). */
int cli_parse_timeout(const char *cmd, const char *s, int *out);

#endif
