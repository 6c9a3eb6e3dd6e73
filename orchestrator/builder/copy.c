/* COPY/ADD of local files (see copy.h).  The rules are Docker's: a
 * directory source copies its content, not itself; a file source lands at
 * the destination, or in it when the destination ends with `/` or is a
 * directory of the image; several sources need a directory destination;
 * a source named through a symlink is the symlink's target (resolved in
 * the source view), symlinks inside a copied directory are copied as
 * symlinks; files keep their mode and mtime and become root's unless
 * --chown says otherwise. */
#include "builder/copy.h"
#include "util/interrupt.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static char *join(const char *dir, const char *name)
{
	if (!*dir)
		return xstrdup(name);
	if (!*name)
		return xstrdup(dir);
	return xasprintf("%s/%s", dir, name);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* One selected source: where it is, and the name a user gave it. */
struct match {
	char *canon, *shown;
	struct btree_ent ent;
};

struct matches {
	struct match *v;
	size_t n, cap;
};

static void matches_free(struct matches *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].canon);
		free(m->v[i].shown);
		btree_ent_free(&m->v[i].ent);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* .dockerignore matches the path in the context; --exclude the path
 * below the source it was found in (BuildKit's exclude patterns). */
static bool excluded(const struct build_copy_src *src, const char *shown, const char *rel)
{
	return (src->ignore && build_ignore_excluded(src->ignore, shown)) ||
	       (src->exclude && rel && build_ignore_excluded(src->exclude, rel));
}

static bool has_exceptions(const struct build_copy_src *src)
{
	return (src->ignore && src->ignore->has_exceptions) || (src->exclude && src->exclude->has_exceptions);
}

static void add_match(struct matches *m, char *canon, char *shown, struct btree_ent *ent)
{
	m->v = xgrow(m->v, &m->cap, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = (struct match){.canon = canon, .shown = shown, .ent = *ent};
}

/* Components parts[i..] of a pattern below `shown` (what the user wrote so
 * far, cleaned): every path that matches, resolved. */
static int glob_walk(const struct build_copy_src *src, char **parts, size_t n, size_t i, const char *shown,
		     struct matches *out, st_error_t *err)
{
	_cleanup_free_ char *canon = NULL;
	struct btree_ent dir;
	int r = btree_resolve(src->tree, shown, true, &canon, &dir, err);
	if (r <= 0)
		return r;
	if (i == n) {
		/* A file named by the source: --exclude sees its name. */
		const char *slash = strrchr(shown, '/');
		if (excluded(src, shown, S_ISDIR(dir.st.st_mode) ? NULL : slash ? slash + 1 : shown)) {
			btree_ent_free(&dir);
			return 0;
		}
		add_match(out, steal_pointer(&canon), xstrdup(shown), &dir);
		return 0;
	}
	if (!S_ISDIR(dir.st.st_mode)) {
		btree_ent_free(&dir);
		return 0;
	}
	if (!has_glob(parts[i])) {
		btree_ent_free(&dir);
		_cleanup_free_ char *next = join(shown, parts[i]);
		return glob_walk(src, parts, n, i + 1, next, out, err);
	}
	struct strv names = {0};
	r = btree_list(src->tree, &dir, canon, &names, err);
	for (size_t k = 0; r == 0 && k < names.n; k++) {
		if (fnmatch(parts[i], names.v[k], 0) != 0)
			continue;
		struct btree_ent child;
		int c = btree_child(src->tree, &dir, canon, names.v[k], &child, err);
		if (c < 0)
			r = -1;
		if (c <= 0)
			continue;
		btree_ent_free(&child);
		_cleanup_free_ char *next = join(shown, names.v[k]);
		r = glob_walk(src, parts, n, i + 1, next, out, err);
	}
	strv_free(&names);
	btree_ent_free(&dir);
	return r;
}

static struct build_copy_item *add_item(struct build_copy_plan *p)
{
	p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
	struct build_copy_item *it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

static int fill_item(const struct build_copy_src *src, struct build_copy_item *it, const struct btree_ent *e,
		     st_error_t *err)
{
	it->st = e->st;
	it->layer = e->layer;
	if (S_ISLNK(e->st.st_mode)) {
		it->link = btree_readlink(src->tree, e, it->src, err);
		return it->link ? 0 : -1;
	}
	if (S_ISDIR(e->st.st_mode))
		return 0;
	if (!S_ISREG(e->st.st_mode))
		return st_error(err, EINVAL, "`%s` is not a regular file, directory or symlink (a socket, FIFO or device): "
					     "it cannot be copied; exclude it in .dockerignore", it->shown);
	if (src->digests) {
		if (build_digests_get(src->digests, it->src, &e->st, it->hex))
			return 0;
		int fd = btree_open_file(src->tree, e, it->src, err);
		if (fd < 0)
			return -1;
		int r = build_digests_hash(src->digests, fd, it->src, &e->st, it->hex, err);
		close(fd);
		return r;
	}
	/* A stage's or image's layers never change under their ids. */
	struct st_sha256 h;
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	st_sha256_update(&h, src->identity, strlen(src->identity) + 1);
	st_sha256_update(&h, it->src, strlen(it->src));
	st_sha256_end_hex(&h, it->hex);
	return 0;
}

/* Everything below directory `e` (at canon, known as shown) into dst. */
static int walk_dir(const struct build_copy_src *src, const struct btree_ent *e, const char *canon, const char *shown,
		    const char *rel, const char *dst, struct build_copy_plan *p, st_error_t *err)
{
	struct strv names = {0};
	int r = btree_list(src->tree, e, canon, &names, err);
	for (size_t k = 0; r == 0 && k < names.n; k++) {
		if (st_interrupted()) {
			r = st_error(err, EINTR, "stopped");
			break;
		}
		struct btree_ent child;
		int c = btree_child(src->tree, e, canon, names.v[k], &child, err);
		if (c < 0)
			r = -1;
		if (c <= 0)
			continue;
		_cleanup_free_ char *cs = join(shown, names.v[k]);
		_cleanup_free_ char *cc = join(canon, names.v[k]);
		_cleanup_free_ char *cd = join(dst, names.v[k]);
		_cleanup_free_ char *cr = join(rel, names.v[k]);
		bool is_dir = S_ISDIR(child.st.st_mode);
		if (excluded(src, cs, cr)) {
			/* An exception may bring back something below. */
			if (is_dir && has_exceptions(src))
				r = walk_dir(src, &child, cc, cs, cr, cd, p, err);
			btree_ent_free(&child);
			continue;
		}
		struct build_copy_item *it = add_item(p);
		it->src = xstrdup(cc);
		it->dst = xstrdup(cd);
		it->shown = xstrdup(cs);
		r = fill_item(src, it, &child, err);
		if (r == 0 && is_dir)
			r = walk_dir(src, &child, cc, cs, cr, cd, p, err);
		btree_ent_free(&child);
	}
	strv_free(&names);
	return r;
}

int build_copy_select(const struct build_copy_src *src, const struct btree *image, const struct build_copy_req *req,
		      struct build_copy_plan *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	out->uid = req->chown ? req->uid : 0;
	out->gid = req->chown ? req->gid : 0;
	out->chmod = req->chmod;
	out->mode = req->mode;
	size_t dl = strlen(req->dest);
	bool trailing = dl && (req->dest[dl - 1] == '/' || (dl >= 2 && !strcmp(req->dest + dl - 2, "/.")) ||
			       !strcmp(req->dest, "."));
	_cleanup_free_ char *dest = req->dest[0] == '/' ? xstrdup(req->dest)
							: xasprintf("%s/%s", req->workdir ? req->workdir : "/", req->dest);
	_cleanup_free_ char *dcanon = NULL;
	struct btree_ent dent;
	int found = btree_resolve(image, dest, true, &dcanon, &dent, err);
	if (found < 0)
		return st_error_prefix(err, "destination `%s`", req->dest);
	bool dest_dir = trailing || (found == 1 && S_ISDIR(dent.st.st_mode));
	out->dest = xstrdup(dcanon);
	if (found == 1)
		btree_ent_free(&dent);

	struct matches m = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && i < req->srcs->n; i++) {
		const char *s = req->srcs->v[i];
		struct strv parts = {0};
		fs_path_split_clean(s, &parts);
		size_t before = m.n;
		r = glob_walk(src, parts.v, parts.n, 0, "", &m, err);
		strv_free(&parts);
		if (r < 0)
			break;
		if (m.n == before) {
			if (has_glob(s))
				r = st_error(err, ENOENT, "%s %s: no source files were specified (nothing matches `%s`)",
					     req->cmd, s, s);
			else
				r = st_error(err, ENOENT, "%s %s: `%s` is not in the %s%s", req->cmd, s, s,
					     src->digests ? "build context" : "source image",
					     src->ignore && src->ignore->n ? " (or .dockerignore excludes it)" : "");
		}
	}
	if (r == 0 && m.n > 1 && !dest_dir)
		r = st_error(err, EINVAL, "%s with more than one source file: the destination `%s` must be a directory "
					  "and end with a /", req->cmd, req->dest);
	for (size_t i = 0; r == 0 && i < m.n; i++) {
		struct match *mt = &m.v[i];
		if (S_ISDIR(mt->ent.st.st_mode)) {
			if (!out->dest_dir)
				out->dest_dir = xstrdup(dcanon);
			r = walk_dir(src, &mt->ent, mt->canon, mt->shown, "", dcanon, out, err);
			continue;
		}
		struct build_copy_item *it = add_item(out);
		it->named = true;
		it->src = xstrdup(mt->canon);
		it->shown = xstrdup(*mt->shown ? mt->shown : ".");
		it->dst = dest_dir ? join(dcanon, base_name(*mt->shown ? mt->shown : mt->canon)) : xstrdup(dcanon);
		if (!*it->dst)
			r = st_error(err, EINVAL, "%s %s: the destination is the root directory, not a file", req->cmd,
				     it->shown);
		else
			r = fill_item(src, it, &mt->ent, err);
	}
	matches_free(&m);
	if (r < 0)
		build_copy_plan_free(out);
	return r;
}

static void hash_str(struct st_sha256 *h, const char *s)
{
	st_sha256_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static mode_t item_mode(const struct build_copy_plan *p, const struct build_copy_item *it)
{
	if (S_ISLNK(it->st.st_mode))
		return 0777;
	return p->chmod ? p->mode : (it->st.st_mode & 07777);
}

void build_copy_hash(const struct build_copy_plan *p, struct st_sha256 *h)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "owner %u:%u dest %s", (unsigned)p->uid, (unsigned)p->gid,
		 p->dest_dir ? "dir" : "-");
	hash_str(h, buf);
	hash_str(h, p->dest_dir);
	for (size_t i = 0; i < p->n; i++) {
		const struct build_copy_item *it = &p->v[i];
		snprintf(buf, sizeof(buf), "%o %o", (unsigned)(it->st.st_mode & S_IFMT), (unsigned)item_mode(p, it));
		hash_str(h, it->dst);
		hash_str(h, buf);
		hash_str(h, S_ISREG(it->st.st_mode) ? it->hex : it->link);
		hash_str(h, it->extract ? "extract" : "copy");
	}
}

void build_copy_plan_free(struct build_copy_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].src);
		free(p->v[i].dst);
		free(p->v[i].shown);
		free(p->v[i].link);
	}
	free(p->v);
	free(p->dest_dir);
	free(p->dest);
	memset(p, 0, sizeof(*p));
}

/* ---- writing ---- */

/* A directory of the new layer, reached without following any symlink
 * (one the same COPY wrote must not lead a later file out of the layer). */
static int open_dir_beneath(int root, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof(how));
}

struct writer {
	int root;
	const struct btree *image;
	const struct build_copy_plan *p;
	struct strv dirs;              /* directories whose times are set last */
	struct timespec (*times)[2];   /* per dirs entry */
	size_t cap_times;
};

static void note_times(struct writer *w, const char *path, const struct stat *st)
{
	w->times = xgrow(w->times, &w->cap_times, w->dirs.n + 1, sizeof(*w->times));
	w->times[w->dirs.n][0] = st->st_atim;
	w->times[w->dirs.n][1] = st->st_mtim;
	strv_push(&w->dirs, path);
}

static int ensure_dir(struct writer *w, const char *path, const struct stat *own, st_error_t *err);

/* The directory `path` goes in, made (mkdir -p) and opened beneath the
 * layer's root: an fd, or -1 (said why). */
static int open_parent(struct writer *w, const char *path, st_error_t *err)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *parent = xstrndup(path, slash ? (size_t)(slash - path) : 0);
	if (ensure_dir(w, parent, NULL, err) < 0)
		return -1;
	int pfd = open_dir_beneath(w->root, parent);
	if (pfd < 0)
		return st_error(err, errno,
				"open `/%s` in the new layer (a symlink this instruction copied is in the way?)", parent);
	return pfd;
}

/* mkdir -p of `path` in the layer: parents the image has keep its mode,
 * owner and times (a directory of the new layer replaces the image's in
 * the merged view), new ones are 0755 and the copy's owner's. */
static int ensure_dir(struct writer *w, const char *path, const struct stat *own, st_error_t *err)
{
	if (!*path)
		return 0;
	struct stat st;
	if (fstatat(w->root, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return st_error(err, ENOTDIR, "`/%s` is not a directory in what this instruction copies", path);
	}
	_cleanup_close_ int pfd = open_parent(w, path, err);
	if (pfd < 0)
		return -1;
	const char *name = base_name(path);
	struct stat meta;
	_cleanup_free_ char *canon = NULL;
	struct btree_ent e;
	st_error_t lerr = NULL;
	int found = own ? 0 : btree_resolve(w->image, path, false, &canon, &e, &lerr);
	st_error_free(&lerr);
	if (found == 1 && S_ISDIR(e.st.st_mode)) {
		meta = e.st;
	} else {
		memset(&meta, 0, sizeof(meta));
		meta.st_mode = S_IFDIR | 0755;
		meta.st_uid = w->p->uid;
		meta.st_gid = w->p->gid;
		clock_gettime(CLOCK_REALTIME, &meta.st_mtim);
		meta.st_atim = meta.st_mtim;
		if (own) {
			meta.st_mode = S_IFDIR | item_mode(w->p, &(struct build_copy_item){.st = *own});
			meta.st_mtim = own->st_mtim;
			meta.st_atim = own->st_atim;
		}
	}
	if (found == 1)
		btree_ent_free(&e);
	if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
		return st_error(err, errno, "mkdir `/%s`", path);
	if (fchownat(pfd, name, meta.st_uid, meta.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(pfd, name, meta.st_mode & 07777, 0) < 0)
		return st_error(err, errno, "set the owner and mode of `/%s`", path);
	note_times(w, path, &meta);
	return 0;
}

static int copy_bytes(int in, int out, const char *what, st_error_t *err)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR && !st_interrupted())
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return st_error(err, errno, "copy `%s`", what);
		break;
	}
	/* Where the kernel cannot copy between these two files. */
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR && !st_interrupted())
			continue;
		if (n < 0)
			return st_error(err, errno, "read `%s`", what);
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t wr = write(out, buf + off, (size_t)(n - off));
			if (wr < 0 && errno == EINTR && !st_interrupted())
				continue;
			if (wr < 0)
				return st_error(err, errno, "write `%s`", what);
			off += wr;
		}
	}
}

static int write_item(struct writer *w, const struct build_copy_src *src, const struct build_copy_item *it,
		      st_error_t *err)
{
	if (it->extract)
		return ensure_dir(w, w->p->dest, NULL, err);
	if (S_ISDIR(it->st.st_mode)) {
		struct stat st;
		if (fstatat(w->root, it->dst, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			/* Made earlier as a parent: it takes the source's metadata. */
			_cleanup_close_ int fd = open_dir_beneath(w->root, it->dst);
			if (fd < 0 || fchown(fd, w->p->uid, w->p->gid) < 0 || fchmod(fd, item_mode(w->p, it)) < 0)
				return st_error(err, errno, "set the owner and mode of `/%s`", it->dst);
			note_times(w, it->dst, &it->st);
			return 0;
		}
		return ensure_dir(w, it->dst, &it->st, err);
	}
	_cleanup_close_ int pfd = open_parent(w, it->dst, err);
	if (pfd < 0)
		return -1;
	const char *name = base_name(it->dst);
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
		return st_error(err, errno, "replace `/%s`", it->dst);
	struct timespec times[2] = {it->st.st_atim, it->st.st_mtim};
	if (S_ISLNK(it->st.st_mode)) {
		if (symlinkat(it->link, pfd, name) < 0 ||
		    fchownat(pfd, name, w->p->uid, w->p->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(pfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return st_error(err, errno, "symlink `/%s`", it->dst);
		return 0;
	}
	struct btree_ent e = {.st = it->st, .layer = it->layer};
	_cleanup_close_ int in = btree_open_file(src->tree, &e, it->src, err);
	if (in < 0)
		return -1;
	_cleanup_close_ int out = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return st_error(err, errno, "create `/%s`", it->dst);
	if (copy_bytes(in, out, it->shown, err) < 0)
		return -1;
	/* The cache key holds the content hashed when the plan was made; a
	 * file written or replaced since would put other bytes under that key
	 * (and a later build with the old content would get these). */
	struct stat now;
	if (fstat(in, &now) < 0)
		return st_error(err, errno, "stat `%s`", it->shown);
	if (now.st_dev != it->st.st_dev || now.st_ino != it->st.st_ino || now.st_size != it->st.st_size ||
	    now.st_mtim.tv_sec != it->st.st_mtim.tv_sec || now.st_mtim.tv_nsec != it->st.st_mtim.tv_nsec ||
	    now.st_ctim.tv_sec != it->st.st_ctim.tv_sec || now.st_ctim.tv_nsec != it->st.st_ctim.tv_nsec)
		return st_error(err, 0, "`%s` changed while it was being copied; run the build again once nothing "
					"writes to it", it->shown);
	/* chmod after chown: chown clears set-user-ID bits. */
	if (fchown(out, w->p->uid, w->p->gid) < 0 || fchmod(out, item_mode(w->p, it)) < 0 || futimens(out, times) < 0)
		return st_error(err, errno, "set the owner, mode and times of `/%s`", it->dst);
	return 0;
}

int build_copy_write(const struct build_copy_src *src, const struct btree *image, const struct build_copy_plan *p,
		     const char *layer_dir, st_error_t *err)
{
	struct writer w = {.image = image, .p = p};
	w.root = open(layer_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.root < 0)
		return st_error(err, errno, "open `%s`", layer_dir);
	int r = 0;
	if (p->dest_dir && *p->dest_dir) {
		/* The destination of a directory copy: made as new ones are. */
		struct stat own = {.st_mode = S_IFDIR | 0755};
		clock_gettime(CLOCK_REALTIME, &own.st_mtim);
		own.st_atim = own.st_mtim;
		_cleanup_free_ char *canon = NULL;
		struct btree_ent e;
		st_error_t lerr = NULL;
		int found = btree_resolve(image, p->dest_dir, false, &canon, &e, &lerr);
		st_error_free(&lerr);
		if (found == 1) {
			btree_ent_free(&e);
			r = ensure_dir(&w, p->dest_dir, NULL, err);
		} else {
			struct build_copy_plan keep = *p;
			keep.chmod = false;
			w.p = &keep;
			r = ensure_dir(&w, p->dest_dir, &own, err);
			w.p = p;
		}
	}
	for (size_t i = 0; r == 0 && i < p->n; i++) {
		if (st_interrupted())
			r = st_error(err, EINTR, "stopped");
		else
			r = write_item(&w, src, &p->v[i], err);
	}
	/* Deepest first: setting a directory's times after its content. */
	for (size_t i = w.dirs.n; r == 0 && i-- > 0;)
		if (utimensat(w.root, w.dirs.v[i], w.times[i], AT_SYMLINK_NOFOLLOW) < 0)
			r = st_error(err, errno, "set the times of `/%s`", w.dirs.v[i]);
	strv_free(&w.dirs);
	free(w.times);
	close(w.root);
	return r;
}
