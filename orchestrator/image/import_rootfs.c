/* Import a root filesystem, directory or tarball, as one content-addressed
 * layer; commit an overlay upper dir as one.
 *
 * libarchive's disk writer extracts the source into a temp dir under tmp/,
 * each entry first brought to what a layer keeps (numeric owners, the one
 * kept xattr, OCI whiteouts turned into overlay ones).  The layer's id is
 * then the digest of its canonical tar (layer_export.c), made by a second
 * pass over the extracted tree: the source's own bytes cannot be the id,
 * since the same content comes in many orders, owner names and PAX records,
 * and an id that is the digest of what an export writes can be matched
 * after an export.  The temp dir is renamed to layers/<hex> at the end, so
 * a layer either exists whole or not at all.
 *
 * A commit is the same import with the upper dir's canonical tar, written
 * by a second helper into a pipe, as its source: the layer then holds
 * exactly what its id says, whatever else the upper dir had (other
 * xattrs, sockets).
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
#include "image/child_read.h"
#include "image/import_int.h"
#include "image/layer_tar.h"
#include "image/store_int.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strv.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

struct import {
	struct archive *src, *disk;
	const char *src_path;	/* a rootfs, or the upper dir of a commit */
	int src_fd;		/* a commit: the pipe its canonical tar comes from */
	const char *store_root; /* STACK_ROOT, named when it fills up */
	size_t src_prefix; /* disk reader: strlen of the dir path, stripped from names */
	bool from_dir;
	bool strict; /* an image's layer (img_import_layer): names and types checked, see import_int.h */
	struct strv dirs;   /* directories the source lists */
	struct strv parents; /* every entry's parent directories */
	char *last_dir;	     /* the parent of the entry before */
	struct strv opaque; /* directories to mark opaque */
};

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
	if (im->src_fd >= 0) {
		im->src = la.archive_read_new();
		la.archive_read_support_format_tar(im->src);
		if (la.archive_read_open_fd(im->src, im->src_fd, 1 << 16) != ARCHIVE_OK)
			return archive_fail(err, im->src, "read the export of", im->src_path);
		return 0;
	}
	struct stat st;
	if (stat(im->src_path, &st) < 0)
		return st_error(err, errno, "rootfs `%s`", im->src_path);
	im->from_dir = S_ISDIR(st.st_mode);
	if (im->from_dir) {
		im->src = la.archive_read_disk_new();
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
	/* No user/group lookup: an owner is the uid/gid the image says, never
	 * what this host's /etc/passwd calls its uname.  The SECURE flags
	 * refuse "..", absolute names and writes through symlinks: a hostile
	 * tarball cannot escape the layer directory.  No ACLs or file flags (an
	 * immutable file would make the layer unremovable): a layer keeps what
	 * its export says. */
	la.archive_write_disk_set_options(im->disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
							 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
							 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
							 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	return 0;
}

/* `name` without empty and "." components or a trailing '/': the key by
 * which directories are told apart ("" is the root). */
static char *clean_name(const char *name)
{
	char *out = xmalloc(strlen(name) + 1), *o = out;
	for (const char *p = name; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p = *end ? end + 1 : end;
	}
	*o = '\0';
	return out;
}

static void note_parents(struct import *im, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : 0;
	/* Entries come grouped by directory: a run of the same one is noted
	 * once (finish_layer drops the other repeats). */
	if (!slash || (im->last_dir && strlen(im->last_dir) == len && memcmp(im->last_dir, name, len) == 0))
		return;
	free(im->last_dir);
	im->last_dir = xstrndup(name, len);
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/'))
		strv_push_take(&im->parents, xstrndup(name, (size_t)(p - name)));
}

/* Keep only the kept xattr, and take trusted.overlay.opaque=y (a directory
 * source that is an upper dir, or an archive that says so) as the opaque
 * marker it is. */
static void filter_xattrs(struct import *im, struct archive_entry *e, const char *name)
{
	char cap[256];
	size_t cap_len = 0;
	const char *xname;
	const void *value;
	size_t size;
	la.archive_entry_xattr_reset(e);
	while (la.archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
		if (strcmp(xname, IMG_KEPT_XATTR) == 0 && size <= sizeof(cap)) {
			memcpy(cap, value, size);
			cap_len = size;
		} else if (strcmp(xname, IMG_OPAQUE_XATTR) == 0 && size == 1 && *(const char *)value == 'y' &&
			   la.archive_entry_filetype(e) == AE_IFDIR) {
			strv_push(&im->opaque, name);
		}
	}
	la.archive_entry_xattr_clear(e);
	if (cap_len)
		la.archive_entry_xattr_add_entry(e, IMG_KEPT_XATTR, cap, cap_len);
}

/* Bring an entry to what a layer keeps.  1: skip it, 0: write it as it
 * now is (its name may have changed), -1: refuse the source. */
static int shape_entry(struct import *im, struct archive_entry *e, char **name, st_error_t *err)
{
	char *slash = strrchr(*name, '/');
	const char *base = slash ? slash + 1 : *name;
	_cleanup_free_ char *dir = slash ? xstrndup(*name, (size_t)(slash - *name)) : xstrdup("");
	la.archive_entry_set_uname(e, NULL);
	la.archive_entry_set_gname(e, NULL);
	unsigned type = la.archive_entry_filetype(e);
	if (im->strict && (type == AE_IFBLK || (type == AE_IFCHR && la.archive_entry_rdev(e) != 0)))
		return st_error(err, 0, "`%s` is a device node: an image layer may hold none (a container gets its "
				"devices from the runtime); only whiteouts, as `.wh.` files, are allowed", *name);
	if (type == AE_IFSOCK)
		return 1; /* nothing at rest (a directory source's): the export leaves them out too */
	if (strcmp(base, IMG_WH_OPAQUE) == 0) {
		strv_push(&im->opaque, dir);
		return 1;
	}
	if (strncmp(base, IMG_WH_META_PREFIX, strlen(IMG_WH_META_PREFIX)) == 0)
		return 1; /* aufs' own metadata (.wh..wh.plnk ...), as Docker skips it */
	if (strncmp(base, IMG_WH_PREFIX, strlen(IMG_WH_PREFIX)) == 0) {
		const char *hidden = base + strlen(IMG_WH_PREFIX);
		if (!*hidden || !strcmp(hidden, ".") || !strcmp(hidden, ".."))
			return st_error(err, 0, "`%s`: a whiteout must name what it hides (`.wh.NAME`)", *name);
		/* The overlay form: a 0:0 character device of the hidden name. */
		char *hname = *dir ? xasprintf("%s/%s", dir, hidden) : xstrdup(hidden);
		free(*name);
		*name = hname;
		la.archive_entry_set_pathname(e, hname);
		la.archive_entry_set_hardlink(e, NULL);
		la.archive_entry_set_symlink(e, NULL);
		la.archive_entry_set_filetype(e, AE_IFCHR);
		la.archive_entry_set_rdev(e, 0);
		la.archive_entry_set_size(e, 0);
		la.archive_entry_xattr_clear(e);
	} else {
		filter_xattrs(im, e, *name);
	}
	if (la.archive_entry_filetype(e) == AE_IFDIR)
		strv_push(&im->dirs, *name);
	note_parents(im, *name);
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
	}
}

/* An image layer's names are what they say: relative, never `..`
 * (a rootfs tarball's leading `/` is stripped, as tar does; a layer
 * with one was made to escape). */
static int strict_name(const char *name, const char *what, st_error_t *err)
{
	if (name[0] == '/')
		return st_error(err, 0, "%s`%s` is an absolute name: a layer's names are relative to its root", what,
				name);
	for (const char *p = name; *p;) {
		const char *end = strchrnul(p, '/');
		if (end - p == 2 && p[0] == '.' && p[1] == '.')
			return st_error(err, 0, "%s`%s` has a `..` component: a layer may not name what is outside it",
					what, name);
		p = *end ? end + 1 : end;
	}
	return 0;
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
		if (im->strict && strict_name(la.archive_entry_pathname(e), "", err) < 0) {
			r = st_error_prefix(err, "`%s`", im->src_path);
			break;
		}
		if (im->strict && la.archive_entry_hardlink(e) &&
		    strict_name(la.archive_entry_hardlink(e), "a hard link to ", err) < 0) {
			r = st_error_prefix(err, "`%s`: `%s`", im->src_path, la.archive_entry_pathname(e));
			break;
		}
		_cleanup_free_ char *name = clean_name(relative_name(im, la.archive_entry_pathname(e)));
		if (!*name)
			continue; /* the root itself: its mode is set on the layer dir */
		la.archive_entry_set_pathname(e, name);
		const char *link = la.archive_entry_hardlink(e);
		if (link) {
			_cleanup_free_ char *rel = xstrdup(relative_name(im, link));
			la.archive_entry_set_hardlink(e, rel);
		}
		int shaped = shape_entry(im, e, &name, err);
		if (shaped < 0) {
			r = st_error_prefix(err, "`%s`", im->src_path);
			break;
		}
		if (shaped > 0)
			continue;
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

/* The directory `path` ("" the root) of the layer, reached without
 * following a symlink or leaving the layer. */
static int open_layer_dir(const char *path)
{
	int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next = strcmp(c, "..") == 0 ? (errno = EPERM, -1)
						: openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		errno = e;
		fd = next;
	}
	return fd;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* After the disk writer has set the times of the directories: mark the
 * opaque ones, and give the directories it made for entries whose parent
 * the source did not list one fixed state (else their mtime, the time of
 * the import, would make every import of the same archive a new id). */
static int finish_layer(struct import *im, st_error_t *err)
{
	for (size_t i = 0; i < im->opaque.n; i++) {
		const char *d = im->opaque.v[i];
		_cleanup_close_ int fd = open_layer_dir(d);
		if (fd < 0)
			return st_error(err, errno, "`%s`: `%s/" IMG_WH_OPAQUE "` is not in a directory of the layer",
					im->src_path, *d ? d : ".");
		if (fsetxattr(fd, IMG_OPAQUE_XATTR, "y", 1, 0) < 0)
			return st_error(err, errno, "mark `%s` opaque (setxattr " IMG_OPAQUE_XATTR ") in `%s`",
					*d ? d : ".", im->store_root);
	}
	if (im->dirs.n)
		qsort(im->dirs.v, im->dirs.n, sizeof(char *), cmp_str);
	if (im->parents.n)
		qsort(im->parents.v, im->parents.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < im->parents.n; i++) {
		const char *d = im->parents.v[i];
		if (i > 0 && strcmp(d, im->parents.v[i - 1]) == 0)
			continue;
		if (im->dirs.n && bsearch(&d, im->dirs.v, im->dirs.n, sizeof(char *), cmp_str))
			continue;
		_cleanup_close_ int fd = open_layer_dir(d);
		if (fd < 0)
			continue; /* not a directory of ours: the write under it failed already */
		const struct timespec epoch[2] = {{0, 0}, {0, 0}};
		if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0755) < 0 || futimens(fd, epoch) < 0)
			return st_error(err, errno, "set up `%s` in the new layer in `%s`", d, im->store_root);
	}
	return 0;
}

static void import_close(struct import *im)
{
	if (im->src)
		la.archive_read_free(im->src);
	if (im->disk)
		la.archive_write_free(im->disk);
	im->src = im->disk = NULL;
	strv_free(&im->dirs);
	strv_free(&im->parents);
	strv_free(&im->opaque);
	free(im->last_dir);
	im->last_dir = NULL;
}

/* The disk writer's last work (directory times) is done at close. */
static int close_disk(struct import *im, st_error_t *err)
{
	int r = la.archive_write_close(im->disk);
	if (r != ARCHIVE_OK)
		return disk_fail(err, im, ".");
	return 0;
}

static int layer_digest(const char *dir, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	_cleanup_close_ int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", dir);
	return img_layer_tar(fd, dir, -1, hex, err);
}

static void report(int out, const char *msg)
{
	size_t len = strlen(msg);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(out, msg + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

/* How a commit's export helper ended: EXPORT_REPORTED, it said why on the
 * report pipe (the first helper then says nothing); EXPORT_READER_GONE,
 * the first helper stopped reading, and says why itself. */
enum { EXPORT_REPORTED = 1, EXPORT_READER_GONE = 2 };

/* A commit's second helper: the canonical tar of `upper` into `fd`. */
__attribute__((noreturn)) static void export_child(const char *upper, int fd, int out)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	st_error_t err = NULL;
	char hex[ST_SHA256_HEX_LEN + 1];
	_cleanup_close_ int dfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = dfd < 0 ? st_error(&err, errno, "open `%s`", upper) : img_layer_tar(dfd, upper, fd, hex, &err);
	if (r < 0 && err->status == EPIPE)
		_exit(EXPORT_READER_GONE);
	if (r < 0) {
		char *msg = xasprintf("error %d %s", err->status, err->msg);
		report(out, msg);
		free(msg);
		_exit(EXPORT_REPORTED);
	}
	_exit(0);
}

/* Start the export of `upper` into a pipe: *pid and the read end. */
static int start_export(const char *upper, int out, pid_t *pid, st_error_t *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return st_error(err, errno, "pipe");
	*pid = fork();
	if (*pid == 0) {
		close(p[0]);
		export_child(upper, p[1], out);
	}
	int e = errno;
	close(p[1]);
	if (*pid < 0) {
		close(p[0]);
		return st_error(err, e, "fork the export helper");
	}
	return p[0];
}

/* The helper: extract into `dir` from inside it, write "ok HEX" or
 * "error ERRNO MESSAGE" to `out`, exit. */
__attribute__((noreturn)) static void extract_child(const struct img_store *s, const char *src, bool commit,
						    bool strict, const char *dir, pid_t parent, int out)
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
	struct import im = {.src_path = src, .src_fd = -1, .store_root = s->root, .strict = strict};
	st_error_t err = NULL;
	char hex[ST_SHA256_HEX_LEN + 1];
	pid_t exporter = -1;
	int r = chdir(dir) < 0 ? st_error(&err, errno, "chdir `%s`", dir) : 0;
	if (r == 0 && commit && (im.src_fd = start_export(src, out, &exporter, &err)) < 0)
		r = -1;
	if (r == 0)
		r = open_source(&im, &err) < 0 || open_writers(&im, &err) < 0 ? -1 : copy_entries(&im, &err);
	if (r == 0)
		r = close_disk(&im, &err);
	if (exporter > 0) {
		close(im.src_fd);
		int status = 0;
		while (waitpid(exporter, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXPORT_REPORTED)
			_exit(1); /* it has said why (and our read failed for it) */
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && r == 0)
			r = st_error(&err, 0, "the export helper of `%s` was killed (wait status %#x)", src,
				     (unsigned)status);
	}
	if (r == 0)
		r = finish_layer(&im, &err);
	if (r == 0)
		r = layer_digest(dir, hex, &err);
	import_close(&im);
	char *msg = r == 0 ? xasprintf("ok %s", hex)
			   : xasprintf("error %d %s", err ? err->status : 0, err ? err->msg : "?");
	report(out, msg);
	free(msg);
	st_error_free(&err);
	_exit(r == 0 ? 0 : 1);
}

static void eat_report(void *ctx, const char *buf, size_t n)
{
	strbuf_add(ctx, buf, n);
}

/* Read the helper's report until EOF; a stop signal (SIGINT, SIGTERM ...)
 * kills it. */
static int read_report(int fd, pid_t pid, char **out, st_error_t *err)
{
	struct strbuf buf = {0};
	int r = img_child_read(fd, pid, "the import helper", eat_report, &buf, err);
	*out = strbuf_take(&buf);
	return r;
}

static int extract(const struct img_store *s, const char *src, bool commit, bool strict, const char *dir,
		   char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return st_error(err, errno, "pipe");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		extract_child(s, src, commit, strict, dir, parent, p[1]);
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
	DIR *d = fs_opendir_fd(tmp_fd);
	if (!d)
		return;
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

int img_import_tmpdir(const struct img_store *s, char *tmp, int *lock_fd, st_error_t *err)
{
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->root);
	_cleanup_close_ int tfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return st_error(err, errno, "open `%s`", tmpdir);
	if (img_flock(tfd, LOCK_EX, tmpdir, err) < 0)
		return -1;
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

int img_extract_archive(const struct img_store *s, const char *archive, const char *dir, st_error_t *err)
{
	char hex[ST_SHA256_HEX_LEN + 1];
	if (img_archive_load(err) < 0)
		return -1;
	if (extract(s, archive, false, true, dir, hex, err) < 0)
		return st_error_prefix(err, "extract `%s`", archive);
	return 0;
}

int img_tmp_make(const struct img_store *s, const char *prefix, char **path, int *lock_fd, st_error_t *err)
{
	/* "import-" so that the sweep of dead imports takes it too. */
	char *tmp = xasprintf("%s/tmp/import-%s-XXXXXX", s->root, prefix);
	*path = NULL;
	*lock_fd = -1;
	if (img_import_tmpdir(s, tmp, lock_fd, err) < 0) {
		free(tmp);
		return -1;
	}
	*path = tmp;
	return 0;
}

static int import_into_store(const struct img_store *s, const char *path, bool commit, bool strict, char **digest,
			     st_error_t *err)
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
	if (img_import_tmpdir(s, tmp, &lock_fd, err) < 0)
		goto out;
	made_tmp = true;
	/* A layer root must be traversable by every user of the container. */
	if (chmod(tmp, 0755) < 0) {
		st_error(err, errno, "chmod `%s`", tmp);
		goto out;
	}
	if (extract(s, src, commit, strict, tmp, hex, err) < 0)
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
		st_error_prefix(err, commit ? "commit `%s` as a layer" : strict ? "import layer `%s`" : "import rootfs `%s`",
				path);
	return r;
}

int img_import_rootfs(const struct img_store *s, const char *path, char **digest, st_error_t *err)
{
	return import_into_store(s, path, false, false, digest, err);
}

int img_import_layer(const struct img_store *s, const char *path, char **digest, st_error_t *err)
{
	return import_into_store(s, path, false, true, digest, err);
}

int img_layer_commit_dir(const struct img_store *s, const char *upper_dir, char **layer_id, st_error_t *err)
{
	struct stat st;
	if (stat(upper_dir, &st) < 0)
		return st_error(err, errno, "commit `%s` as a layer", upper_dir);
	if (!S_ISDIR(st.st_mode))
		return st_error(err, ENOTDIR, "commit `%s` as a layer: not a directory", upper_dir);
	return import_into_store(s, upper_dir, true, false, layer_id, err);
}
