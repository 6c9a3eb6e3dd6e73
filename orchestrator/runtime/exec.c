/* The payload's last steps, in the order that keeps each one possible:
 * signals reset, stdio, user lookup (in the container's files), caps +
 * uid switch, cwd, no_new_privs, seccomp (last: it may forbid what came
 * before), execve of the payload, or of stack-init, which then runs with
 * all of this in force and forks the payload (init_abi.h). */
#include "runtime/internal.h"
#include "util/env.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(const struct strv *env, const char *key)
{
	return st_env_get((const char *const *)env->v, key);
}

static void build_env(struct rt_child *c, const struct rt_user *u, struct strv *env)
{
	/* Init (stack-init) is exec'd with this environment too and passes it on. */
	const struct rt_process *p = &c->cfg->process;
	for (const char *const *e = p->env; e && *e; e++)
		strv_push(env, *e);
	if (!env_get(env, "PATH"))
		strv_push(env, "PATH=" DEFAULT_PATH);
	if (!env_get(env, "HOME"))
		strv_pushf(env, "HOME=%s", u->home);
	if (!env_get(env, "HOSTNAME")) {
		char hn[65] = "";
		gethostname(hn, sizeof(hn) - 1);
		strv_pushf(env, "HOSTNAME=%s", hn);
	}
	if (p->tty && !env_get(env, "TERM"))
		strv_push(env, "TERM=xterm");
}

static int setup_stdio(struct rt_child *c, st_error_t *err)
{
	if (c->cfg->process.tty) {
		/* We lead a session of our own since the fork (spawn.c).  The
		 * pty slave becomes its controlling terminal, so ^C at the
		 * master reaches the payload's process group; with init, the
		 * payload takes it in a session of its own (init/main.c), so
		 * init's session must not. */
		bool init = c->cfg->init;
		int fd = open(c->pty_slave, O_RDWR | O_CLOEXEC | (init ? O_NOCTTY : 0));
		if (fd < 0)
			return st_error(err, errno, "open the pty `%s`", c->pty_slave);
		if (!init && ioctl(fd, TIOCSCTTY, 0) < 0)
			return st_error(err, errno, "TIOCSCTTY `%s`", c->pty_slave);
		for (int i = 0; i < 3; i++)
			if (dup2(fd, i) < 0)
				return st_error(err, errno, "dup2 the pty to fd %d", i);
		close(fd);
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		int fd = c->stdio[i];
		if (fd < 0)
			continue;
		if (fd == i) {
			int fl = fcntl(fd, F_GETFD);
			if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
				return st_error(err, errno, "fcntl fd %d", i);
		} else if (dup2(fd, i) < 0) {
			return st_error(err, errno, "dup2 fd %d", i);
		}
	}
	return 0;
}

static void load_seccomp(struct rt_child *c)
{
	int r = rt_seccomp_load(c->seccomp, NULL);
	if (r < 0) {
		st_error_t err = NULL;
		st_error(&err, -r, "load the seccomp filter");
		rt_child_fail(c->sync_fd, &err, 127);
	}
}

int rt_payload_prepare(struct rt_child *c, st_error_t *err)
{
	rt_child_step(c, "look up the user `%s` in the container's /etc/passwd and /etc/group",
		      c->cfg->process.user ? c->cfg->process.user : "root");
	if (rt_user_resolve(c->cfg->process.user, &c->user, err) < 0)
		return -1;
	build_env(c, &c->user, &c->env);
	return 0;
}

void rt_payload_exec(struct rt_child *c)
{
	st_error_t err = NULL;
	const struct rt_process *p = &c->cfg->process;

	/* Dispositions the caller ignored (a supervisor ignores SIGPIPE)
	 * would survive execve; the payload (and init: an ignored SIGCHLD
	 * would reap for it) starts with the defaults.  init's signals stay
	 * blocked until it waits for them (init_abi.h). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t mask;
	if (c->cfg->init)
		rt_init_sigset(&mask);
	else
		sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);

	rt_child_step(c, "set up stdio and switch to the user");
	if (setup_stdio(c, &err) < 0)
		rt_child_fail(c->sync_fd, &err, 127);
	const struct rt_user *u = &c->user;
	struct strv *env = &c->env;
	/* Installing a filter needs no_new_privs or CAP_SYS_ADMIN.  Without
	 * no_new_privs, load it while we still hold CAP_SYS_ADMIN, i.e. before
	 * the caps drop (as runc does); the profiles allow what follows. */
	if (!c->cfg->no_new_privileges)
		load_seccomp(c);
	if (rt_user_switch(u, c->caps, &err) < 0) {
		st_error_prefix(&err, "user `%s`", p->user ? p->user : "root");
		rt_child_fail(c->sync_fd, &err, 127);
	}
	/* A uid change clears the parent-death signal; the container's PID 1
	 * (init or the payload) must keep it.  It survives the execve. */
	if (c->cfg->die_with_parent)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	const char *cwd = p->cwd ? p->cwd : "/";
	rt_child_step(c, "chdir to the working directory `%s`", cwd);
	if (chdir(cwd) < 0) {
		st_error(&err, errno, "chdir to the working directory `%s`", cwd);
		rt_child_fail(c->sync_fd, &err, 127);
	}
	umask(022);
	/* Whatever the caller leaked into us (a fd without O_CLOEXEC) stays
	 * out of the container. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (c->cfg->no_new_privileges) {
		if (rt_security_set_no_new_privs(&err) < 0)
			rt_child_fail(c->sync_fd, &err, 127);
		load_seccomp(c);
	}
	rt_child_step(c, c->cfg->init ? "exec stack-init, which runs `%s`" : "exec `%s`", p->argv[0]);
	if (c->cfg->init)
		rt_init_exec(c);
	char *const *argv = (char *const *)p->argv;
	const char *path = env_get(env, "PATH");
	int e = rt_exec_search(argv, strv_argv(env), path);
	/* A distinct message: the caller maps it to 127/126 as a shell does. */
	st_error(&err, e, "exec `%s`", argv[0]);
	rt_sync_send(c->sync_fd, RT_MSG_EXEC_FAILED, e, err->msg, -1);
	_exit(e == ENOENT ? 127 : 126);
}
