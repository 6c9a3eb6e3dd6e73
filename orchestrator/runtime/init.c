/* Our init (cfg->init): finding the stack-init binary on the host, and the
 * container's first process turning into it.  What init does, and why it
 * is a binary of its own and not a fork of ours, is in init_abi.h and
 * init/main.c.
 *
 * The binary is opened by the parent, before the fork: after pivot_root
 * the child can no longer name host files, and a fd cannot be redirected
 * by anything in the container's root.  It is looked for next to the
 * running executable (an installed `stack` and `stack-init` side by side,
 * and the build tree's orchestrator/), then at the path CMake built it to
 * (programs linking the runtime from elsewhere in the build tree: the
 * unit tests). */
#include "runtime/init_abi.h"
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* The fd we exec from is on a read-only copy of the binary's mount: the
 * kernel refuses to write a running binary (ETXTBSY), but a process that
 * got hold of /proc/1/exe (with CAP_SYS_PTRACE, init is readable) could
 * keep an O_PATH fd and reopen it for writing once no init runs it any
 * more, and so plant code in every later container (CVE-2019-5736, where
 * the binary was runc itself).  A write through a read-only mount fails
 * with EROFS whatever the caller's capabilities, and the container can
 * make no mount to undo it.  The copy is detached (no mount table shows
 * it) and goes away with the last fd and the last init running from it.
 * Cheaper than runc's sealed memfd copy of the whole binary at each start.
 * Where the new mount API is refused (no CAP_SYS_ADMIN), the plain file
 * is used: non-dumpable, init's /proc/1/exe is closed to the container's
 * default capabilities anyway. */
static int open_read_only(const char *path)
{
	int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return open(path, O_PATH | O_CLOEXEC);
	struct mount_attr ma = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0) {
		close(tree);
		return open(path, O_PATH | O_CLOEXEC);
	}
	return tree;
}

int rt_init_open(st_error_t *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	_cleanup_free_ char *next_to_us = NULL;
	if (n > 0) {
		self[n] = '\0';
		_cleanup_free_ char *dir = fs_dirname(self);
		next_to_us = xasprintf("%s/" RT_INIT_NAME, dir);
		int fd = open_read_only(next_to_us);
		if (fd >= 0)
			return fd;
	}
#ifdef RT_INIT_BUILD_PATH
	int fd = open_read_only(RT_INIT_BUILD_PATH);
	if (fd >= 0)
		return fd;
#endif
	return st_error(err, errno,
			"find the container's init: no `%s`: install " RT_INIT_NAME " next to the stack binary, "
			"or set `init: false`",
			next_to_us ? next_to_us : RT_INIT_NAME);
}

void rt_init_exec(struct rt_child *c)
{
	char fdbuf[16];
	snprintf(fdbuf, sizeof(fdbuf), "%d", c->sync_fd);
	struct strv argv = {0};
	strv_push(&argv, RT_INIT_NAME);
	strv_push(&argv, fdbuf);
	strv_push(&argv, c->cfg->process.tty ? "t" : "-");
	strv_push(&argv, "--");
	for (const char *const *a = c->cfg->process.argv; *a; a++)
		strv_push(&argv, *a);
	/* Everything else is O_CLOEXEC by now (rt_payload_exec). */
	int fl = fcntl(c->sync_fd, F_GETFD);
	if (fl >= 0)
		fcntl(c->sync_fd, F_SETFD, fl & ~FD_CLOEXEC);
	fexecve(c->init_fd, strv_argv(&argv), strv_argv(&c->env));
	st_error_t err = NULL;
	st_error(&err, errno, "exec the container's init (" RT_INIT_NAME ")");
	rt_child_fail(c->sync_fd, &err, 1);
}
