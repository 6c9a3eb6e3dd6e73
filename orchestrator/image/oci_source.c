/* The files of an `oci:` base (see oci_source.h). */
#include "image/archive_dl.h"
#include "image/import_int.h"
#include "image/oci_source.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t img_unpack_limit(uint64_t packed)
{
	uint64_t lim = packed > IMG_UNPACK_MAX / IMG_UNPACK_RATIO ? IMG_UNPACK_MAX : packed * IMG_UNPACK_RATIO;
	return lim < IMG_UNPACK_FREE ? IMG_UNPACK_FREE : lim;
}

/* `path` lexically cleaned ("./a//b" -> "a/b"), or NULL when it has a
 * `..`; with `resolve_up`, a `..` is resolved instead, and NULL only when
 * it leaves the top. */
static char *clean_path(const char *path, bool resolve_up)
{
	struct strv parts = {0};
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (!resolve_up || parts.n == 0) {
				strv_free(&parts);
				return NULL;
			}
			free(parts.v[--parts.n]);
			parts.v[parts.n] = NULL;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			strv_push_take(&parts, xstrndup(p, n));
		}
		p = *end ? end + 1 : end;
	}
	size_t len = 1;
	for (size_t i = 0; i < parts.n; i++)
		len += strlen(parts.v[i]) + 1;
	char *out = xzalloc(len);
	for (size_t i = 0; i < parts.n; i++) {
		if (i)
			strcat(out, "/");
		strcat(out, parts.v[i]);
	}
	strv_free(&parts);
	return out;
}

/* `name` cleaned, or NULL when it is absolute or has a `..`: nothing of
 * an image layout is named so. */
static char *clean_member(const char *name)
{
	return name[0] == '/' ? NULL : clean_path(name, false);
}

/* The flat file name of an archive member: `/` and `%` escaped. */
static char *flat_name(const char *name)
{
	char *out = xmalloc(strlen(name) * 3 + 2), *o = out;
	*o++ = 'm'; /* never "." or ".." */
	for (const char *p = name; *p; p++) {
		if (*p == '/' || *p == '%')
			o += sprintf(o, "%%%02X", (unsigned char)*p);
		else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void set_link(struct oci_source *src, const char *from, const char *to)
{
	for (size_t i = 0; i < src->link_from.n; i++)
		if (strcmp(src->link_from.v[i], from) == 0) {
			free(src->link_to.v[i]);
			src->link_to.v[i] = xstrdup(to ? to : "");
			return;
		}
	strv_push(&src->link_from, from);
	strv_push(&src->link_to, to ? to : ""); /* "": points outside, opens as ENOENT */
}

/* A symlink `name` -> `target`, as a member name ("" when it leaves the archive). */
static char *resolve_symlink(const char *name, const char *target)
{
	if (target[0] == '/')
		return NULL;
	const char *slash = strrchr(name, '/');
	_cleanup_free_ char *joined = slash ? xasprintf("%.*s/%s", (int)(slash - name), name, target) : xstrdup(target);
	/* Lexically: a `..` that stays inside is resolved, one that leaves is refused. */
	return clean_path(joined, true);
}

static int archive_fail(st_error_t *err, struct archive *a, const char *path)
{
	int e = la.archive_errno(a);
	return st_error(err, e > 0 ? e : 0, "read `%s`: %s", path,
			la.archive_error_string(a) ? la.archive_error_string(a) : "libarchive error");
}

static int write_member(struct oci_source *src, struct archive *a, const char *name, uint64_t *total,
			uint64_t limit, st_error_t *err)
{
	_cleanup_free_ char *flat = flat_name(name);
	if (strlen(flat) > 255)
		return 0; /* no file of a layout is named so long: skipped, as unknown files are */
	unlinkat(src->dir_fd, flat, 0); /* a later entry of a tar replaces an earlier one */
	_cleanup_close_ int fd = openat(src->dir_fd, flat, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return st_error(err, errno, "unpack `%s` of `%s` into `%s`", name, src->path, src->tmp);
	char buf[1 << 16];
	for (;;) {
		if (st_interrupted())
			return st_error(err, EINTR, "unpack `%s`: stopped by a signal", src->path);
		la_ssize_t n = la.archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return archive_fail(err, a, src->path);
		*total += (uint64_t)n;
		if (*total > limit)
			return st_error(err, EFBIG, "`%s` unpacks to more than %llu bytes (at most %d times its size, or "
					"1 GiB): refused as a decompression bomb", src->path, (unsigned long long)limit,
					IMG_UNPACK_RATIO);
		for (la_ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return st_error(err, errno, "write `%s/%s`", src->tmp, flat);
			off += w;
		}
	}
}

static int make_tmp(const struct img_store *s, struct oci_source *src, st_error_t *err)
{
	src->tmp = xasprintf("%s/tmp/import-oci-XXXXXX", s->root);
	if (img_import_tmpdir(s, src->tmp, &src->lock_fd, err) < 0) {
		free(src->tmp);
		src->tmp = NULL;
		return -1;
	}
	return 0;
}

static int unpack(const struct img_store *s, struct oci_source *src, uint64_t size, st_error_t *err)
{
	if (make_tmp(s, src, err) < 0)
		return -1;
	src->unpacked = true;
	src->dir_fd = open(src->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src->dir_fd < 0)
		return st_error(err, errno, "open `%s`", src->tmp);
	struct archive *a = la.archive_read_new();
	la.archive_read_support_filter_all(a);
	la.archive_read_support_format_tar(a);
	la.archive_read_support_format_gnutar(a);
	struct archive_entry *e = la.archive_entry_new();
	uint64_t total = 0, limit = img_unpack_limit(size);
	int r = 0;
	if (la.archive_read_open_filename(a, src->path, 1 << 16) != ARCHIVE_OK)
		r = archive_fail(err, a, src->path);
	while (r == 0) {
		int h = la.archive_read_next_header2(a, e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			r = archive_fail(err, a, src->path);
			break;
		}
		const char *raw = la.archive_entry_pathname(e);
		_cleanup_free_ char *name = clean_member(raw ? raw : "");
		if (!name) {
			r = st_error(err, 0, "`%s` names `%s`: an image archive's names are relative and never `..`",
				     src->path, raw ? raw : "");
			break;
		}
		unsigned type = la.archive_entry_filetype(e);
		const char *hard = la.archive_entry_hardlink(e);
		if (hard) {
			_cleanup_free_ char *to = clean_member(hard);
			if (!to) {
				r = st_error(err, 0, "`%s`: `%s` is a hard link to `%s`, outside the archive",
					     src->path, name, hard);
				break;
			}
			set_link(src, name, to);
		} else if (type == AE_IFLNK) {
			_cleanup_free_ char *to = resolve_symlink(name, la.archive_entry_symlink(e));
			set_link(src, name, to);
		} else if (type == AE_IFREG) {
			/* a file replacing a link: the name is the file's now */
			for (size_t i = 0; i < src->link_from.n; i++)
				if (strcmp(src->link_from.v[i], name) == 0) {
					free(src->link_to.v[i]);
					src->link_to.v[i] = xstrdup(name);
				}
			r = write_member(src, a, name, &total, limit, err);
		} else if (type != AE_IFDIR) {
			r = st_error(err, 0, "`%s`: `%s` is a device, FIFO or socket; an image archive holds only files, "
				     "directories and links", src->path, name);
		}
	}
	la.archive_entry_free(e);
	la.archive_read_free(a);
	return r;
}

int oci_source_open(const struct img_store *s, const char *path, struct oci_source *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	out->path = path;
	out->dir_fd = out->lock_fd = -1;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return st_error(err, e, "oci base `%s`", path);
	}
	if (S_ISDIR(st.st_mode)) {
		out->dir_fd = fd;
		if (make_tmp(s, out, err) < 0) {
			oci_source_close(out);
			return st_error_prefix(err, "oci base `%s`", path);
		}
		return 0;
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return st_error(err, EINVAL, "oci base `%s`: neither a directory (an OCI image layout) nor an archive "
				"file", path);
	if (img_archive_load(err) < 0 || unpack(s, out, (uint64_t)st.st_size, err) < 0) {
		oci_source_close(out);
		return st_error_prefix(err, "oci base `%s`", path);
	}
	return 0;
}

void oci_source_close(struct oci_source *src)
{
	if (src->dir_fd >= 0)
		close(src->dir_fd);
	if (src->tmp)
		fs_remove_tree(src->tmp, NULL); /* still locked: no sweep takes it meanwhile */
	if (src->lock_fd >= 0)
		close(src->lock_fd);
	free(src->tmp);
	strv_free(&src->link_from);
	strv_free(&src->link_to);
	memset(src, 0, sizeof(*src));
	src->dir_fd = src->lock_fd = -1;
}

/* The member an archive name ends at, after its links. */
static char *follow(const struct oci_source *src, const char *name)
{
	char *cur = xstrdup(name);
	for (int hop = 0; hop < 16; hop++) {
		const char *next = NULL;
		for (size_t i = 0; i < src->link_from.n && !next; i++)
			if (strcmp(src->link_from.v[i], cur) == 0)
				next = src->link_to.v[i];
		if (!next || strcmp(next, cur) == 0)
			return cur;
		free(cur);
		if (!*next)
			return NULL;
		cur = xstrdup(next);
	}
	free(cur);
	return NULL;
}

int oci_source_openat(const struct oci_source *src, const char *name, st_error_t *err)
{
	_cleanup_free_ char *clean = clean_member(name);
	if (!clean || !*clean)
		return st_error(err, EINVAL, "`%s`: `%s` is not a name inside the image", src->path, name);
	int fd;
	if (src->unpacked) {
		_cleanup_free_ char *target = follow(src, clean);
		_cleanup_free_ char *flat = target ? flat_name(target) : NULL;
		errno = ENOENT;
		fd = flat ? openat(src->dir_fd, flat, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	} else {
		struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
		fd = (int)syscall(SYS_openat2, src->dir_fd, clean, &how, sizeof(how));
	}
	if (fd < 0)
		return st_error(err, errno, "`%s`: open `%s`", src->path, clean);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return st_error(err, EINVAL, "`%s`: `%s` is not a regular file", src->path, clean);
	}
	if (!src->unpacked)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

bool oci_source_has(const struct oci_source *src, const char *name)
{
	st_error_t e = NULL;
	int fd = oci_source_openat(src, name, &e);
	st_error_free(&e);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int oci_source_read(const struct oci_source *src, const char *name, size_t max, char **data, size_t *len,
		    st_error_t *err)
{
	_cleanup_close_ int fd = oci_source_openat(src, name, err);
	if (fd < 0)
		return -1;
	_cleanup_free_ char *what = xasprintf("`%s` of `%s`", name, src->path);
	return fs_read_fd(fd, what, max, data, len, err);
}

char *oci_source_private_path(const struct oci_source *src, const char *name)
{
	if (!src->unpacked)
		return NULL;
	_cleanup_free_ char *clean = clean_member(name);
	_cleanup_free_ char *target = clean ? follow(src, clean) : NULL;
	_cleanup_free_ char *flat = target ? flat_name(target) : NULL;
	return flat ? xasprintf("%s/%s", src->tmp, flat) : NULL;
}
