/* Run debootstrap (debootstrap.h) and import its tree as one layer. */
#include "image/debootstrap.h"
#include "image/child_read.h"
#include "image/import_int.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PUBLIC_MIRROR "http://deb.debian.org/debian"

/* Words debootstrap takes as arguments: never an option ("-x"), never
 * more than one argument. */
static bool word_ok(const char *s, const char *extra)
{
	if (!s || !*s || !isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static int check_params(const struct img_debootstrap *o, st_error_t *err)
{
	if (!word_ok(o->suite, ".-_"))
		return st_error(err, 0, "debootstrap: suite `%s` is not a Debian suite name (e.g. bookworm)",
				o->suite ? o->suite : "");
	if (o->variant && strcmp(o->variant, "minbase") && strcmp(o->variant, "buildd") &&
	    strcmp(o->variant, "fakechroot"))
		return st_error(err, 0, "debootstrap: variant `%s` is not one of minbase, buildd, fakechroot",
				o->variant);
	if (o->mirror && strncmp(o->mirror, "http://", 7) && strncmp(o->mirror, "https://", 8) &&
	    strncmp(o->mirror, "file:/", 6))
		return st_error(err, 0, "debootstrap: mirror `%s` is not an http(s):// or file:/ URL", o->mirror);
	if (o->mirror && strpbrk(o->mirror, " \t\n"))
		return st_error(err, 0, "debootstrap: mirror `%s` has a blank in it", o->mirror);
	for (size_t i = 0; o->include && i < o->include->n; i++)
		if (!word_ok(o->include->v[i], "+-.") || isupper((unsigned char)o->include->v[i][0]))
			return st_error(err, 0, "debootstrap: include `%s` is not a Debian package name",
					o->include->v[i]);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *img_debootstrap_key(const struct img_debootstrap *o, st_error_t *err)
{
	if (check_params(o, err) < 0)
		return NULL;
	struct strv inc = {0};
	if (o->include)
		strv_copy(&inc, o->include);
	if (inc.n)
		qsort(inc.v, inc.n, sizeof(char *), cmp_str);
	struct st_sha256 md;
	if (st_sha256_begin(&md, err) < 0) {
		strv_free(&inc);
		return NULL;
	}
	const char *parts[] = {o->suite, o->variant ? o->variant : "", o->mirror ? o->mirror : ""};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		st_sha256_update(&md, parts[i], strlen(parts[i]) + 1);
	for (size_t i = 0; i < inc.n; i++)
		st_sha256_update(&md, inc.v[i], strlen(inc.v[i]) + 1);
	strv_free(&inc);
	char hex[ST_SHA256_HEX_LEN + 1];
	st_sha256_end_hex(&md, hex);
	return xasprintf("debootstrap@%s-%.16s", o->suite, hex);
}

/* The child: in a mount and PID namespace of its own, with debootstrap
 * as that namespace's init, so everything it started ends with it. */
__attribute__((noreturn)) static void run_child(char **argv, int out)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t stop;
	st_interrupt_sigset(&stop);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&stop, sig))
			signal(sig, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &stop, NULL);
	if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		dprintf(out, "stack: cannot give debootstrap its own namespaces: %s\n", strerror(errno));
		_exit(125);
	}
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		close_range(3, ~0U, 0);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "stack: run %s: %s (install Debian's debootstrap)\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out);
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	_exit(pid < 0 ? 125 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

struct lines {
	const struct img_debootstrap *o;
	struct strbuf line, *tail;
};

/* Pass each whole line to `progress` with a prefix; keep the last. */
static void eat_lines(void *ctx, const char *buf, size_t n)
{
	struct lines *l = ctx;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			strbuf_addc(&l->line, buf[i]);
			continue;
		}
		if (l->o->progress) {
			fprintf(l->o->progress, "debootstrap %s: %s\n", l->o->suite, l->line.s ? l->line.s : "");
			fflush(l->o->progress);
		}
		/* The last lines say why when it fails. */
		strbuf_reset(l->tail);
		strbuf_adds(l->tail, l->line.s ? l->line.s : "");
		strbuf_reset(&l->line);
	}
}

/* Stream the child's lines to `progress` with a prefix until EOF; a stop
 * signal kills it (and with it its namespace). */
static int stream(int fd, pid_t pid, const struct img_debootstrap *o, struct strbuf *tail, st_error_t *err)
{
	struct lines l = {.o = o, .tail = tail};
	int r = img_child_read(fd, pid, "debootstrap's output", eat_lines, &l, err);
	free(l.line.s);
	return r;
}

static int run_debootstrap(const struct img_debootstrap *o, const char *mirror, const char *target,
			   st_error_t *err)
{
	struct strv argv = {0};
	strv_push(&argv, "debootstrap");
	if (o->variant)
		strv_pushf(&argv, "--variant=%s", o->variant);
	if (o->include && o->include->n) {
		struct strbuf inc = {0};
		for (size_t i = 0; i < o->include->n; i++) {
			strbuf_adds(&inc, i ? "," : "");
			strbuf_adds(&inc, o->include->v[i]);
		}
		strv_pushf(&argv, "--include=%s", inc.s);
		free(inc.s);
	}
	strv_push(&argv, o->suite);
	strv_push(&argv, target);
	strv_push(&argv, mirror);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		strv_free(&argv);
		return st_error(err, errno, "pipe");
	}
	if (o->progress)
		fflush(o->progress);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		run_child(strv_argv(&argv), p[1]);
	}
	int e = errno;
	close(p[1]);
	strv_free(&argv);
	if (pid < 0) {
		close(p[0]);
		return st_error(err, e, "fork for debootstrap");
	}
	struct strbuf tail = {0};
	int r = stream(p[0], pid, o, &tail, err);
	close(p[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = st_error(err, 0, "debootstrap %s from %s failed (exit %d)%s%s", o->suite, mirror,
			     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), tail.n ? ": " : "",
			     tail.n ? tail.s : "");
	free(tail.s);
	return r;
}

/* A directory of the target, reached without following a symlink. */
static int open_in(int root, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	int fd = dup(root);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

/* Replace `name` in directory `dir` of the target by a new file. */
static int put_file(int root, const char *dir, const char *name, const char *data, st_error_t *err)
{
	_cleanup_close_ int d = open_in(root, dir);
	if (d < 0)
		return st_error(err, errno, "debootstrap result: open `%s`", dir);
	if (unlinkat(d, name, 0) < 0 && errno != ENOENT)
		return st_error(err, errno, "debootstrap result: remove `%s/%s`", dir, name);
	_cleanup_close_ int fd = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t len = strlen(data);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		return st_error(err, errno ? errno : EIO, "debootstrap result: write `%s/%s`", dir, name);
	return 0;
}

#define TYPE(t) (1u << (t))

/* Remove the entries of directory `dir` whose type is one of `types`
 * (TYPE(DT_REG) ...) and whose names end in `suffix` ("" every one). */
static void remove_entries(int root, const char *dir, unsigned types, const char *suffix)
{
	_cleanup_close_ int d = open_in(root, dir);
	DIR *ds = d >= 0 ? fs_opendir_fd(d) : NULL;
	if (!ds)
		return;
	struct dirent *e;
	size_t sl = strlen(suffix);
	while ((e = readdir(ds))) {
		size_t n = strlen(e->d_name);
		if ((types & TYPE(e->d_type)) && n >= sl && strcmp(e->d_name + n - sl, suffix) == 0)
			unlinkat(d, e->d_name, 0);
	}
	closedir(ds);
}

/* Take the mirror and the host out of the tree (debootstrap.h). */
static int scrub(const char *target, const struct img_debootstrap *o, st_error_t *err)
{
	_cleanup_close_ int root = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		return st_error(err, errno, "open `%s`", target);
	_cleanup_free_ char *list = xasprintf("deb " PUBLIC_MIRROR " %s main\n", o->suite);
	if (put_file(root, "etc/apt", "sources.list", list, err) < 0 || put_file(root, "etc", "resolv.conf", "", err) < 0 ||
	    put_file(root, "etc", "hostname", "", err) < 0)
		return -1;
	remove_entries(root, "var/lib/apt/lists", TYPE(DT_REG), "");
	remove_entries(root, "var/lib/apt/lists/partial", TYPE(DT_REG), "");
	remove_entries(root, "var/cache/apt/archives", TYPE(DT_REG), ".deb");
	remove_entries(root, "var/cache/apt", TYPE(DT_REG), ".bin");
	/* The device nodes debootstrap made (/dev/null ...). */
	remove_entries(root, "dev", TYPE(DT_CHR) | TYPE(DT_BLK), "");
	return 0;
}

int img_debootstrap_import(const struct img_store *s, const struct img_debootstrap *o, const char *name,
			   struct img_image *out, st_error_t *err)
{
	/* "import-": the prefix the store's sweep takes when we die. */
	_cleanup_free_ char *work = xasprintf("%s/tmp/import-debootstrap-XXXXXX", s->root);
	_cleanup_free_ char *mirror = NULL, *target = NULL;
	_cleanup_close_ int lock_fd = -1;
	char *layer = NULL;
	bool made = false;
	int r = -1;
	memset(out, 0, sizeof(*out));
	if (check_params(o, err) < 0)
		goto out;
	mirror = o->mirror ? xstrdup(o->mirror) : img_apt_debian_mirror(o->apt_dir, o->suite, err);
	if (!mirror)
		goto out;
	if (img_import_tmpdir(s, work, &lock_fd, err) < 0)
		goto out;
	made = true;
	target = xasprintf("%s/rootfs", work);
	if (o->progress) {
		fprintf(o->progress, "debootstrap %s: %s%s from %s (takes minutes; cached afterwards)\n", o->suite,
			o->variant ? "variant " : "", o->variant ? o->variant : "", mirror);
		fflush(o->progress);
	}
	if (run_debootstrap(o, mirror, target, err) < 0 || scrub(target, o, err) < 0)
		goto out;
	if (img_import_rootfs(s, target, &layer, err) < 0)
		goto out;
	out->name = xstrdup(name);
	out->source = xasprintf("debootstrap %s%s%s", o->suite, o->variant ? " --variant=" : "",
				o->variant ? o->variant : "");
	strv_push_take(&out->layers, layer);
	strv_push(&out->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	strv_push(&out->cmd, "bash");
	if (img_image_write(s, out, NULL, err) < 0)
		goto out;
	r = 0;
out:
	/* Removed while still locked: a sweep cannot take it meanwhile. */
	if (made)
		fs_remove_tree(work, NULL);
	if (r < 0) {
		img_image_free(out);
		st_error_prefix(err, "debootstrap base `%s`", name);
	}
	return r;
}
