/* stack top [SERVICE...]
 *
 * The processes of each running container (cli/ct_running.h): every pid
 * of its cgroup (sub-cgroups included, so `stack exec`'d ones too), as
 * the host sees it, with its user, parent, CPU time and command line
 * from /proc. */
#include "cli/cli.h"
#include "cli/ct_running.h"
#include "util/mem.h"

#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* PATH's first bytes (NUL-terminated, at most size-1); its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, size - 1);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return r;
}

struct proc_row {
	pid_t pid, ppid;
	long uid;
	unsigned long long ticks; /* utime + stime */
	char comm[64];
	char cmd[512];
};

static int proc_read(pid_t pid, struct proc_row *p)
{
	char path[64], buf[4096];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	/* "PID (COMM) S PPID ..." — the command may hold ')' and spaces */
	char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -1;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	char state;
	int ppid;
	unsigned long long utime = 0, stime = 0;
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(close_p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ppid, &utime, &stime) <
	    4)
		return -1;
	p->ppid = ppid;
	p->ticks = utime + stime;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		char *u = strstr(buf, "\nUid:");
		if (u)
			p->uid = strtol(u + 5, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	ssize_t n = read_small(path, p->cmd, sizeof(p->cmd));
	if (n <= 0) {
		snprintf(p->cmd, sizeof(p->cmd), "[%s]", p->comm); /* a kernel thread, or a zombie */
		return 0;
	}
	while (n > 0 && p->cmd[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (p->cmd[i] == '\0')
			p->cmd[i] = ' ';
	return 0;
}

static void user_name(long uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (uid >= 0 && getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "%ld", uid);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int cmd_top(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs("Usage: stack top [OPTIONS] [SERVICE...]\n\n"
			      "List the processes of the services' running containers: host pid, parent pid,\n"
			      "user, CPU time and command, `stack exec`'d ones included.\n\n"
			      "Options:\n"
			      "  -h, --help             show this help\n",
			      stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("top", "invalid option");
		}
	}
	struct spec_stack *stack = NULL;
	int rc = cli_load_stack(g, &stack);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct strv names = {0};
	struct cli_ct *cts = NULL;
	size_t n = 0;
	rc = cli_ct_running_args("top", g, stack, argc - optind, argv + optind, &names, &cts, &n);
	if (rc != CLI_EXIT_OK)
		goto out;
	long tck = sysconf(_SC_CLK_TCK);
	for (size_t i = 0; i < n; i++) {
		pid_t *pids = NULL;
		size_t np = 0;
		if (rt_cgroup_list_pids(cts[i].cg, &pids, &np, NULL) < 0)
			continue;
		qsort(pids, np, sizeof(*pids), cmp_pid);
		printf("%s%s\n", i ? "\n" : "", cts[i].container);
		printf("%-10s %-8s %-8s %-10s %s\n", "UID", "PID", "PPID", "TIME", "CMD");
		for (size_t k = 0; k < np; k++) {
			struct proc_row p;
			if (proc_read(pids[k], &p) < 0)
				continue; /* gone since the list was read */
			char user[64], tbuf[32];
			user_name(p.uid, user, sizeof(user));
			unsigned long long s = tck > 0 ? p.ticks / (unsigned long long)tck : 0;
			snprintf(tbuf, sizeof(tbuf), "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
			printf("%-10s %-8d %-8d %-10s %s\n", user, (int)p.pid, (int)p.ppid, tbuf, p.cmd);
		}
		free(pids);
	}
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
	cli_ct_free(cts, n);
	strv_free(&names);
	spec_stack_free(stack);
	return rc;
}
