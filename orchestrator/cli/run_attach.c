#include "cli/run_attach.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void run_proc_opts_init(struct run_proc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tty = -1;
}

int run_proc_opt(const char *cmd, int c, const char *arg, struct run_proc_opts *o)
{
	switch (c) {
	case 'e':
		if (arg[0] == '=' || !arg[0])
			return cli_usage_error(cmd, "-e `%s`: want KEY=VALUE or KEY", arg);
		if (strchr(arg, '='))
			strv_push(&o->env, arg);
		else if (getenv(arg)) /* `-e KEY` alone: ours, and unset means unset */
			strv_pushf(&o->env, "%s=%s", arg, getenv(arg));
		return 0;
	case 'u':
		o->user = arg;
		return 0;
	case 'w':
		if (arg[0] != '/')
			return cli_usage_error(cmd, "--workdir `%s`: want an absolute path", arg);
		o->workdir = arg;
		return 0;
	case 't':
		o->tty = 1;
		return 0;
	case 'T':
		o->tty = 0;
		return 0;
	default:
		return -1;
	}
}

bool run_proc_wants_tty(const struct run_proc_opts *o)
{
	return o->tty == 1 || (o->tty == -1 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
}

void run_proc_opts_free(struct run_proc_opts *o)
{
	strv_free(&o->env);
}

void run_attach_init(struct run_attach *a)
{
	memset(a, 0, sizeof(*a));
	run_relay_init(&a->relay);
}

int run_attach_prepare(struct run_attach *a, int fds[3], st_error_t *err)
{
	if (a->tty)
		return 0;
	if (run_relay_prepare(&a->relay, err) < 0)
		return -1;
	memcpy(fds, a->relay.child, sizeof(a->relay.child));
	return 0;
}

void run_attach_started(struct run_attach *a)
{
	run_relay_close_child_ends(&a->relay);
}

int run_attach_wait(struct run_attach *a, struct rt_container *ct, struct rt_exec *x, int pty,
		    const struct run_wait_opts *wo, struct rt_exit *st, st_error_t *err)
{
	if (a->tty) {
		run_tty_begin(&a->term, pty);
		a->term_on = true;
	} else if (run_relay_begin(&a->relay, err) < 0) {
		return -1;
	}
	struct run_tty *tty = a->tty ? &a->term : NULL;
	int r = ct ? run_wait(ct, tty, wo, st, err) : run_wait_exec(x, tty, wo, st, err);
	run_attach_end(a);
	return r;
}

void run_attach_lost_output(const struct run_attach *a, const char *cmd, const char *who, int *rc)
{
	int fd = 0, lost = run_relay_lost_output(&a->relay, &fd);
	if (!lost)
		return;
	fprintf(stderr, "stack %s: %s's %s could not all be written to fd %d: %s\n", cmd, who,
		fd == 1 ? "output" : "error output", fd, strerror(lost));
	if (*rc == CLI_EXIT_OK)
		*rc = CLI_EXIT_FAILURE;
}

void run_attach_end(struct run_attach *a)
{
	if (a->term_on) {
		run_tty_end(&a->term);
		a->term_on = false;
	}
	run_relay_end(&a->relay);
}
