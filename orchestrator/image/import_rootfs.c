/* Import a root filesystem, directory or tarball, as one content-addressed layer.
 *
 * One pass over the source feeds two libarchive writers: the disk writer
 * extracts into a temp dir under tmp/, and a tar writer whose bytes only go
 * through SHA-256 yields the layer's diff id.  The temp dir is renamed to
 * layers/<hex> at the end, so a layer either exists whole or not at all.
 *
 * The extraction runs in a forked helper.  libarchive's disk writer only
 * works relative to the working directory (and its disk reader chdir()s
 * back and forth), and the working directory belongs to the whole process:
 * a chdir() here would move every other thread's relative paths with it.
 * The helper keeps libarchive's own protections for hostile archives
 * (ARCHIVE_EXTRACT_SECURE_*: no "..", no absolute names, no writes through
 * symlinks), which a hand-written dirfd-relative writer would have to redo.
 * It dies with us (PR_SET_PDEATHSIG), and we stop it at a stop signal.
 *
 * Each temp dir is flock()ed by its importer for as long as it works on
 * it; tmp/ itself is flock()ed while the sweep runs and a new temp dir is
 * made and locked, so the sweep never sees one before its lock is held.
 * An unlocked temp dir is what a killed import left (a pid in the name
 * would prove nothing: pids are reused). */
#include "image/archive_dl.h"
#include "image/store.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct import {
	struct archive *src, *disk, *hash_tar;
	struct st_sha256 md;
	const char *src_path;
	const char *store_root; /* STACK_ROOT, named when it fills up */
	size_t src_prefix; /* disk reader: strlen of the dir path, stripped from names */
	bool from_dir;
};

static la_ssize_t hash_write(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	st_sha256_update(&((struct import *)data)->md, buf, len);
	return (la_ssize_t)len;
}

static int archive_fail(st_error_t *err, struct archive *a, const char *what, const char *path)
{
	int e = la.archive_errno(a);
	return st_error(err, e > 0 ? e : 0, "%s `%s`: %s", what, path,
			la.archive_error_string(a) ? la.archive_error_string(a) : "libarchive error");
}

/* Entry names relative to the layer root, "" for the root itself. */
static const char *relative_name(const struct import *im, const char *name)
{
	if (im->from_dir)
		name += strlen(name) >= im->src_prefix ? im->src_prefix : strlen(name);
	while (*name == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	if (strcmp(name, ".") == 0)
		return "";
	return name;
}

/* A write into the layer failed.  When the store filled up, the source is
 * not the problem: say which store and which entry, and what to do. */
static int disk_fail(st_error_t *err, const struct import *im, const char *entry)
{
	int e = la.archive_errno(im->disk);
	if (e == ENOSPC || e == EDQUOT)
		return st_error(err, e, "the image store `%s` (STACK_ROOT) is full: writing `%s` of the new layer failed; "
				"free space on its filesystem or point STACK_ROOT at a bigger one",
				im->store_root, entry);
	return archive_fail(err, im->disk, "extract", entry);
}

static int open_source(struct import *im, st_error_t *err)
{
	struct stat st;
	if (stat(im->src_path, &st) < 0)
		return st_error(err, errno, "rootfs `%s`", im->src_path);
	im->from_dir = S_ISDIR(st.st_mode);
	if (im->from_dir) {
		im->src = la.archive_read_disk_new();
		la.archive_read_disk_set_standard_lookup(im->src);
		/* Physical walk: a symlink in the rootfs is stored as a symlink. */
		la.archive_read_disk_set_symlink_physical(im->src);
		la.archive_read_disk_set_behavior(im->src, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
		if (la.archive_read_disk_open(im->src, im->src_path) != ARCHIVE_OK)
			return archive_fail(err, im->src, "open rootfs directory", im->src_path);
		im->src_prefix = strlen(im->src_path);
		return 0;
	}
	im->src = la.archive_read_new();
	la.archive_read_support_filter_all(im->src);
	la.archive_read_support_format_tar(im->src);
	la.archive_read_support_format_gnutar(im->src);
	if (la.archive_read_open_filename(im->src, im->src_path, 1 << 16) != ARCHIVE_OK)
		return archive_fail(err, im->src, "open rootfs archive", im->src_path);
	return 0;
}

static int open_writers(struct import *im, st_error_t *err)
{
	im->disk = la.archive_write_disk_new();
	la.archive_write_disk_set_standard_lookup(im->disk);
	/* The SECURE flags refuse "..", absolute names and writes through
	 * symlinks: a hostile tarball cannot escape the layer directory. */
	la.archive_write_disk_set_options(im->disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
							 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
							 ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
							 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
							 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (st_sha256_begin(&im->md, err) < 0)
		return -1;
	im->hash_tar = la.archive_write_new();
	la.archive_write_set_format_pax_restricted(im->hash_tar);
	la.archive_write_set_bytes_in_last_block(im->hash_tar, 1);
	if (la.archive_write_open2(im->hash_tar, im, NULL, hash_write, NULL, NULL) != ARCHIVE_OK)
		return archive_fail(err, im->hash_tar, "hash", im->src_path);
	return 0;
}

static int copy_data(struct import *im, const char *name, st_error_t *err)
{
	char buf[1 << 16];
	for (;;) {
		la_ssize_t n = la.archive_read_data(im->src, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return archive_fail(err, im->src, "read", im->src_path);
		if (la.archive_write_data(im->disk, buf, (size_t)n) < 0)
			return disk_fail(err, im, name);
		if (la.archive_write_data(im->hash_tar, buf, (size_t)n) < 0)
			return archive_fail(err, im->hash_tar, "hash", im->src_path);
	}
}

static int copy_entries(struct import *im, st_error_t *err)
{
	struct archive_entry *e = la.archive_entry_new();
	int r = 0;
	for (;;) {
		int h = la.archive_read_next_header2(im->src, e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			r = archive_fail(err, im->src, "read", im->src_path);
			break;
		}
		if (im->from_dir)
			la.archive_read_disk_descend(im->src);
		_cleanup_free_ char *name = xstrdup(relative_name(im, la.archive_entry_pathname(e)));
		if (!*name)
			continue; /* the root itself: its mode is set on the layer dir */
		la.archive_entry_set_pathname(e, name);
		const char *link = la.archive_entry_hardlink(e);
		if (link) {
			_cleanup_free_ char *rel = xstrdup(relative_name(im, link));
			la.archive_entry_set_hardlink(e, rel);
		}
		if (la.archive_write_header(im->hash_tar, e) < ARCHIVE_WARN) {
			r = archive_fail(err, im->hash_tar, "hash", name);
			break;
		}
		if (la.archive_write_header(im->disk, e) < ARCHIVE_WARN) {
			r = disk_fail(err, im, name);
			break;
		}
		if (la.archive_entry_size(e) > 0 && copy_data(im, name, err) < 0) {
			r = -1;
			break;
		}
		if (la.archive_write_finish_entry(im->disk) < ARCHIVE_WARN) {
			r = disk_fail(err, im, name);
			break;
		}
	}
	la.archive_entry_free(e);
	return r;
}

static void finish_digest(struct import *im, char hex[ST_SHA256_HEX_LEN + 1])
{
	la.archive_write_close(im->hash_tar);
	st_sha256_end_hex(&im->md, hex);
}

static void import_close(struct import *im)
{
	if (im->src)
		la.archive_read_free(im->src);
	if (im->disk)
		la.archive_write_free(im->disk);
	if (im->hash_tar)
		la.archive_write_free(im->hash_tar);
	st_sha256_abort(&im->md);
}

/* The helper: extract into `dir` from inside it, write "ok HEX" or
 * "error ERRNO MESSAGE" to `out`, exit. */
__attribute__((noreturn)) static void extract_child(const struct img_store *s, const char *src, const char *dir,
						    pid_t parent, int out)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Nothing of the caller's (a supervisor's pipes and locks) is held
	 * by the helper: only the report pipe and stdio stay. */
	if (out > 3)
		close_range(3, (unsigned)out - 1, 0);
	close_range((unsigned)out + 1, ~0U, 0);
	/* Our handlers only set a flag nobody here reads: the parent decides. */
	sigset_t stop;
	st_interrupt_sigset(&stop);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&stop, sig))
			signal(sig, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &stop, NULL);
	struct import im = {.src_path = src, .store_root = s->root};
	st_error_t err = NULL;
	char hex[ST_SHA256_HEX_LEN + 1];
	int r = chdir(dir) < 0 ? st_error(&err, errno, "chdir `%s`", dir) : 0;
	if (r == 0)
		r = open_source(&im, &err) < 0 || open_writers(&im, &err) < 0 ? -1 : copy_entries(&im, &err);
	if (r == 0)
		finish_digest(&im, hex);
	import_close(&im);
	char *msg = r == 0 ? xasprintf("ok %s", hex)
			   : xasprintf("error %d %s", err ? err->status : 0, err ? err->msg : "?");
	size_t len = strlen(msg);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(out, msg + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(msg);
	st_error_free(&err);
	_exit(r == 0 ? 0 : 1);
}

/* Read the helper's report until EOF; a stop signal (SIGINT, SIGTERM ...)
 * kills it.  The signals are unblocked only inside ppoll, so one that
 * came before is seen, not slept through. */
static int read_report(int fd, pid_t pid, char **out, st_error_t *err)
{
	sigset_t stop, old;
	st_interrupt_sigset(&stop);
	sigprocmask(SIG_BLOCK, &stop, &old);
	size_t cap = 256, n = 0;
	char *buf = xmalloc(cap);
	int r = 0;
	for (;;) {
		if (st_interrupted()) {
			kill(pid, SIGKILL);
			r = st_error(err, EINTR, "stopped by SIG%s", sigabbrev_np(st_interrupted()));
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (ppoll(&p, 1, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			r = st_error(err, errno, "poll the import helper");
			break;
		}
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = st_error(err, errno, "read from the import helper");
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf[n] = '\0';
	*out = buf;
	return r;
}

static int extract(const struct img_store *s, const char *src, const char *dir, char hex[ST_SHA256_HEX_LEN + 1],
		   st_error_t *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return st_error(err, errno, "pipe");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		extract_child(s, src, dir, parent, p[1]);
	}
	int e = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return st_error(err, e, "fork the import helper");
	}
	_cleanup_free_ char *report = NULL;
	int r = read_report(p[0], pid, &report, err);
	close(p[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	/* The report, written last, is the verdict (the exit status is not:
	 * under valgrind it says what valgrind thinks of the helper). */
	int code = 0, off = 0;
	if (sscanf(report, "error %d %n", &code, &off) == 1 && off > 0)
		return st_error(err, code, "%s", report + off);
	if (strncmp(report, "ok ", 3) != 0)
		return st_error(err, 0, "the import helper died (wait status %#x)", (unsigned)status);
	off = 3;
	if (strlen(report + off) != ST_SHA256_HEX_LEN)
		return st_error(err, 0, "the import helper sent no digest");
	memcpy(hex, report + off, ST_SHA256_HEX_LEN + 1);
	return 0;
}

/* Under tmp/'s lock: remove every temp dir nobody holds a lock on. */
static void sweep_dead_imports(int tmp_fd, const char *tmpdir)
{
	int dup_fd = dup(tmp_fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "import-", 7) != 0)
			continue;
		_cleanup_close_ int fd = openat(tmp_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* an import at work */
		_cleanup_free_ char *path = xasprintf("%s/%s", tmpdir, e->d_name);
		fs_remove_tree(path, NULL);
	}
	closedir(d);
}

/* Sweep, then make tmp/import-XXXXXX and lock it: *lock_fd holds it. */
static int make_import_dir(const struct img_store *s, char *tmp, int *lock_fd, st_error_t *err)
{
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->root);
	_cleanup_close_ int tfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return st_error(err, errno, "open `%s`", tmpdir);
	while (flock(tfd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return st_error(err, errno, "lock `%s`", tmpdir);
		if (st_interrupted())
			return st_error(err, EINTR, "stopped by SIG%s", sigabbrev_np(st_interrupted()));
	}
	sweep_dead_imports(tfd, tmpdir);
	if (!mkdtemp(tmp))
		return st_error(err, errno, "mkdtemp `%s`", tmp);
	*lock_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		rmdir(tmp);
		return st_error(err, e, "lock `%s`", tmp);
	}
	return 0; /* tmp/'s lock goes with tfd */
}

int img_import_rootfs(const struct img_store *s, const char *path, char **digest, st_error_t *err)
{
	_cleanup_free_ char *src = realpath(path, NULL);
	_cleanup_free_ char *tmp = xasprintf("%s/tmp/import-XXXXXX", s->root);
	_cleanup_free_ char *dst = NULL;
	_cleanup_close_ int lock_fd = -1;
	char hex[ST_SHA256_HEX_LEN + 1];
	bool made_tmp = false;
	int r = -1;

	if (!src) {
		st_error(err, errno, "rootfs `%s`", path);
		goto out;
	}
	if (img_archive_load(err) < 0)
		goto out;
	if (make_import_dir(s, tmp, &lock_fd, err) < 0)
		goto out;
	made_tmp = true;
	/* A layer root must be traversable by every user of the container. */
	if (chmod(tmp, 0755) < 0) {
		st_error(err, errno, "chmod `%s`", tmp);
		goto out;
	}
	if (extract(s, src, tmp, hex, err) < 0)
		goto out;
	dst = img_layer_path(s, hex);
	if (rename(tmp, dst) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			st_error(err, errno, "rename `%s` to `%s`", tmp, dst);
			goto out;
		}
		/* Same content imported before (or concurrently): keep that one. */
	} else {
		made_tmp = false;
	}
	*digest = xasprintf("sha256:%s", hex);
	r = 0;
out:
	/* Removed while still locked: a sweep cannot take it meanwhile. */
	if (made_tmp)
		fs_remove_tree(tmp, NULL);
	if (r < 0)
		st_error_prefix(err, "import rootfs `%s`", path);
	return r;
}
