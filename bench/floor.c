/* floor ROOTFS: the least any container runtime must do to start /bin/true
 * in ROOTFS, timed by bench/run.sh as the lower bound for stack, crun and
 * runc.  clone() into new mount, pid, uts, ipc, net and cgroup namespaces,
 * make / private, bind ROOTFS on itself, pivot_root into it, mount /proc,
 * execve("/bin/true"); the parent waits.  No cgroups, caps, seccomp, /dev
 * or config parsing: those are what the runtimes add on top.
 *
 * Built by bench/run.sh with `cc -O2`; not part of the CMake build. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char child_stack[64 * 1024] __attribute__((aligned(16)));

static int die(const char *what)
{
	perror(what);
	return 127;
}

static int child(void *arg)
{
	const char *rootfs = arg;
	char *const argv[] = {"true", NULL};
	char *const envp[] = {"PATH=/bin:/usr/bin", NULL};

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return die("make / private");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return die("bind rootfs");
	if (chdir(rootfs) < 0)
		return die("chdir rootfs");
	/* pivot_root(".", "."): the old root ends up stacked under the new
	 * one and is detached right away; no put_old directory needed. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return die("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return die("detach old root");
	if (chdir("/") < 0)
		return die("chdir /");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return die("mount /proc");
	execve("/bin/true", argv, envp);
	return die("execve /bin/true");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOTFS\n", argv[0]);
		return 2;
	}
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP |
		    SIGCHLD;
	pid_t pid = clone(child, child_stack + sizeof(child_stack), flags, argv[1]);
	if (pid < 0)
		return die("clone");
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
