/* The merged view of layers (see tree.h), by overlayfs's rules: the
 * topmost entry of a path wins; a directory shows the union of the
 * directories below it down to the first layer where that path is not a
 * directory, is whited out, or is opaque; a whiteout (a 0:0 character
 * device) hides the path in every lower layer. */
#include "builder/tree.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define MAX_LINKS 40

int btree_open(struct btree *t, const char *const *layers, size_t n, bool overlay, st_error_t *err)
{
	memset(t, 0, sizeof(*t));
	t->overlay = overlay;
	t->fds = xcalloc(n ? n : 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		t->fds[i] = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->fds[i] < 0) {
			int e = errno;
			t->n = i;
			btree_close(t);
			return st_error(err, e, "open `%s`", layers[i]);
		}
	}
	t->n = n;
	return 0;
}

void btree_close(struct btree *t)
{
	for (size_t i = 0; i < t->n; i++)
		close(t->fds[i]);
	free(t->fds);
	memset(t, 0, sizeof(*t));
}

void btree_ent_free(struct btree_ent *e)
{
	free(e->lay);
	memset(e, 0, sizeof(*e));
}

void btree_root(const struct btree *t, struct btree_ent *out)
{
	memset(out, 0, sizeof(*out));
	out->lay = xcalloc(t->n ? t->n : 1, sizeof(size_t));
	for (size_t i = 0; i < t->n; i++)
		out->lay[out->n_lay++] = i;
	out->st.st_mode = S_IFDIR | 0755;
	if (t->n)
		fstat(t->fds[0], &out->st);
}

static bool is_whiteout(const struct btree *t, const struct stat *st)
{
	return t->overlay && S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(const struct btree *t, int dfd, const char *path)
{
	if (!t->overlay)
		return false;
	char v[2] = {0};
	int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = fgetxattr(fd, OPAQUE_XATTR, v, 1);
	close(fd);
	return n == 1 && v[0] == 'y';
}

static char *join(const char *dir, const char *name)
{
	return *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

int btree_child(const struct btree *t, const struct btree_ent *dir, const char *dir_path, const char *name,
		struct btree_ent *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *path = join(dir_path, name);
	bool found = false;
	for (size_t k = 0; k < dir->n_lay; k++) {
		size_t l = dir->lay[k];
		struct stat st;
		if (fstatat(t->fds[l], path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			btree_ent_free(out);
			return st_error(err, errno, "stat `%s`", path);
		}
		if (!found) {
			if (is_whiteout(t, &st))
				return 0;
			found = true;
			out->st = st;
			out->layer = l;
			if (!S_ISDIR(st.st_mode))
				return 1;
			out->lay = xcalloc(dir->n_lay - k, sizeof(size_t));
		} else if (!S_ISDIR(st.st_mode)) {
			break; /* a whiteout or a file ends the merge */
		}
		out->lay[out->n_lay++] = l;
		if (is_opaque(t, t->fds[l], path))
			break;
	}
	return found ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int btree_list(const struct btree *t, const struct btree_ent *dir, const char *dir_path, struct strv *names,
	       st_error_t *err)
{
	struct strv all = {0};
	for (size_t k = 0; k < dir->n_lay; k++) {
		int fd = *dir_path ? openat(t->fds[dir->lay[k]], dir_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				   : dup(t->fds[dir->lay[k]]);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		if (!d) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			strv_free(&all);
			return st_error(err, e, "open directory `%s`", *dir_path ? dir_path : "/");
		}
		rewinddir(d);
		struct dirent *de;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				strv_push(&all, de->d_name);
		closedir(d);
	}
	if (all.n)
		qsort(all.v, all.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < all.n; i++)
		if (i == 0 || strcmp(all.v[i], all.v[i - 1]))
			strv_push(names, all.v[i]);
	strv_free(&all);
	return 0;
}

/* The components of `p`, in order, pushed in front of the queue q[*qn..]
 * (q holds the rest reversed, so the next one is last). */
static void queue_front(struct strv *q, const char *p)
{
	_cleanup_free_ char *copy = xstrdup(p);
	struct strv parts = {0};
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
		strv_push(&parts, c);
	for (size_t i = parts.n; i-- > 0;)
		strv_push(q, parts.v[i]);
	strv_free(&parts);
}

static char *queue_pop(struct strv *q)
{
	char *c = q->v[--q->n];
	q->v[q->n] = NULL;
	return c;
}

int btree_resolve(const struct btree *t, const char *path, bool follow_last, char **canon, struct btree_ent *out,
		  st_error_t *err)
{
	struct strv q = {0};     /* components still to walk, reversed */
	struct strv names = {0}; /* the canonical path so far */
	struct btree_ent *ents = xcalloc(1, sizeof(*ents)); /* ents[i]: the dir after names[0..i) */
	size_t n_ents = 1;
	int links = 0, r = 1;
	btree_root(t, &ents[0]);
	queue_front(&q, path);
	while (q.n) {
		_cleanup_free_ char *c = queue_pop(&q);
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (names.n) {
				free(names.v[--names.n]);
				names.v[names.n] = NULL;
				btree_ent_free(&ents[--n_ents]);
			}
			continue;
		}
		struct btree_ent *cur = &ents[n_ents - 1];
		_cleanup_free_ char *cur_path = NULL;
		{
			struct strv tmp = names;
			cur_path = xstrdup("");
			for (size_t i = 0; i < tmp.n; i++) {
				char *j = join(cur_path, tmp.v[i]);
				free(cur_path);
				cur_path = j;
			}
		}
		struct btree_ent child;
		int found = S_ISDIR(cur->st.st_mode) ? btree_child(t, cur, cur_path, c, &child, err) : 0;
		if (found < 0) {
			r = -1;
			goto out;
		}
		if (found == 0) {
			/* Missing: the rest is named lexically (COPY creates it). */
			strv_push(&names, c);
			while (q.n) {
				char *rest = queue_pop(&q);
				if (!strcmp(rest, "..")) {
					if (names.n) {
						free(names.v[--names.n]);
						names.v[names.n] = NULL;
					}
					free(rest);
				} else if (!strcmp(rest, ".")) {
					free(rest);
				} else {
					strv_push_take(&names, rest);
				}
			}
			r = 0;
			break;
		}
		if (S_ISLNK(child.st.st_mode) && (q.n || follow_last)) {
			_cleanup_free_ char *cp = join(cur_path, c);
			char *target = btree_readlink(t, &child, cp, err);
			btree_ent_free(&child);
			if (!target) {
				r = -1;
				goto out;
			}
			if (++links > MAX_LINKS) {
				free(target);
				r = st_error(err, ELOOP, "resolve `%s`: too many levels of symbolic links", path);
				goto out;
			}
			if (target[0] == '/') {
				while (n_ents > 1)
					btree_ent_free(&ents[--n_ents]);
				strv_free(&names);
			}
			queue_front(&q, target);
			free(target);
			continue;
		}
		strv_push(&names, c);
		ents = xrealloc(ents, (n_ents + 1) * sizeof(*ents));
		ents[n_ents++] = child;
	}
	if (r == 1) {
		*out = ents[n_ents - 1];
		memset(&ents[n_ents - 1], 0, sizeof(*ents));
	}
	*canon = xstrdup("");
	for (size_t i = 0; i < names.n; i++) {
		char *j = join(*canon, names.v[i]);
		free(*canon);
		*canon = j;
	}
out:
	for (size_t i = 0; i < n_ents; i++)
		btree_ent_free(&ents[i]);
	free(ents);
	strv_free(&q);
	strv_free(&names);
	return r;
}

/* path, where every component is a real directory of layer e->layer. */
static int open_beneath(const struct btree *t, const struct btree_ent *e, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, t->fds[e->layer], *path ? path : ".", &how, sizeof(how));
}

int btree_open_file(const struct btree *t, const struct btree_ent *e, const char *path, st_error_t *err)
{
	/* O_NONBLOCK: a FIFO put in the file's place since it was looked up
	 * must not block the open (reads of a regular file ignore it). */
	int fd = open_beneath(t, e, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return st_error(err, EINVAL, "`%s` is not a regular file", path);
	}
	return fd;
}

char *btree_readlink(const struct btree *t, const struct btree_ent *e, const char *path, st_error_t *err)
{
	size_t cap = (size_t)e->st.st_size + 2 > 256 ? (size_t)e->st.st_size + 2 : 256;
	char *buf = xmalloc(cap);
	ssize_t n = readlinkat(t->fds[e->layer], path, buf, cap - 1);
	if (n < 0) {
		st_error(err, errno, "readlink `%s`", path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

char *btree_read_small(const struct btree *t, const char *path, size_t max, size_t *len)
{
	_cleanup_free_ char *canon = NULL;
	struct btree_ent e;
	st_error_t err = NULL;
	int found = btree_resolve(t, path, true, &canon, &e, &err);
	st_error_free(&err);
	if (found != 1)
		return NULL;
	if (!S_ISREG(e.st.st_mode)) {
		btree_ent_free(&e);
		return NULL;
	}
	int fd = btree_open_file(t, &e, canon, &err);
	btree_ent_free(&e);
	if (fd < 0) {
		st_error_free(&err);
		return NULL;
	}
	char *buf = xmalloc(max + 1);
	size_t n = 0;
	ssize_t got;
	while (n < max && (got = read(fd, buf + n, max - n)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}
