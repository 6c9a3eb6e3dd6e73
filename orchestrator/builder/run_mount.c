#include "builder/run_mount.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct opts {
	char *type, *target, *source, *id, *sharing, *from, *size;
	long uid, gid, mode;
	bool ro, rw, required;
};

static void opts_free(struct opts *o)
{
	free(o->type);
	free(o->target);
	free(o->source);
	free(o->id);
	free(o->sharing);
	free(o->from);
	free(o->size);
}

static int parse_num(const char *v, int base, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, base);
	if (!*v || *end || errno || n < 0 || n > max)
		return -1;
	*out = n;
	return 0;
}

static bool truthy(const char *v)
{
	return !v || !strcasecmp(v, "true") || !strcmp(v, "1");
}

static int parse(const char *spec, struct opts *o, st_error_t *err)
{
	memset(o, 0, sizeof(*o));
	o->uid = o->gid = o->mode = -1;
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq)
			*eq++ = '\0';
		char **str = NULL;
		if (!strcmp(f, "type"))
			str = &o->type;
		else if (!strcmp(f, "target") || !strcmp(f, "dst") || !strcmp(f, "destination"))
			str = &o->target;
		else if (!strcmp(f, "source") || !strcmp(f, "src"))
			str = &o->source;
		else if (!strcmp(f, "id"))
			str = &o->id;
		else if (!strcmp(f, "sharing"))
			str = &o->sharing;
		else if (!strcmp(f, "from"))
			str = &o->from;
		else if (!strcmp(f, "size"))
			str = &o->size;
		if (str) {
			if (!eq || !*eq)
				return st_error(err, 0, "--mount: `%s` needs a value", f);
			free(*str);
			*str = xstrdup(eq);
		} else if (!strcmp(f, "ro") || !strcmp(f, "readonly")) {
			o->ro = truthy(eq);
		} else if (!strcmp(f, "rw") || !strcmp(f, "readwrite")) {
			o->rw = truthy(eq);
		} else if (!strcmp(f, "required")) {
			o->required = truthy(eq);
		} else if (!strcmp(f, "uid") || !strcmp(f, "gid") || !strcmp(f, "mode")) {
			long *n = !strcmp(f, "uid") ? &o->uid : !strcmp(f, "gid") ? &o->gid : &o->mode;
			if (!eq || parse_num(eq, !strcmp(f, "mode") ? 8 : 10, !strcmp(f, "mode") ? 07777 : 0x7fffffff, n) < 0)
				return st_error(err, 0, "--mount: `%s=%s` is not a %s", f, eq ? eq : "",
						!strcmp(f, "mode") ? "mode in octal" : "number");
		} else {
			return st_error(err, 0, "--mount: the option `%s` is not supported by stack's builder", f);
		}
	}
	if (!o->type)
		o->type = xstrdup("bind"); /* BuildKit's default */
	return 0;
}

static char *abs_target(const char *target, const char *workdir)
{
	return fs_path_join_clean(workdir ? workdir : "/", target);
}

static struct rt_mount *add(struct build_mounts *m)
{
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	memset(&m->v[m->n], 0, sizeof(*m->v));
	return &m->v[m->n++];
}

static const char *keep(struct build_mounts *m, char *s)
{
	strv_push_take(&m->strings, s);
	return s;
}

/* The cache dir of `id`: made once with its owner and mode; locked for
 * the step unless shared. */
static int cache_mount(struct build_mounts *m, const struct opts *o, const char *root, const char *target,
		       st_error_t *err)
{
	const char *id = o->id ? o->id : target;
	char hex[ST_SHA256_HEX_LEN + 1];
	if (st_sha256_hex(id, strlen(id), hex, err) < 0)
		return -1;
	_cleanup_free_ char *parent = xasprintf("%s/cache/mounts", root);
	char *dir = xasprintf("%s/%s", parent, hex);
	keep(m, dir);
	if (fs_mkdir_p(parent, 0700, err) < 0)
		return -1;
	if (mkdir(dir, 0700) == 0) {
		/* BuildKit's defaults: root's, 0755. */
		if (chown(dir, o->uid >= 0 ? (uid_t)o->uid : 0, o->gid >= 0 ? (gid_t)o->gid : 0) < 0 ||
		    chmod(dir, o->mode >= 0 ? (mode_t)o->mode : 0755) < 0)
			return st_error(err, errno, "set up the cache mount `%s`", dir);
	} else if (errno != EEXIST) {
		return st_error(err, errno, "mkdir `%s`", dir);
	}
	const char *sharing = o->sharing ? o->sharing : "shared";
	if (strcmp(sharing, "shared") && strcmp(sharing, "locked") && strcmp(sharing, "private"))
		return st_error(err, 0, "--mount: sharing=%s: give shared, locked or private", sharing);
	if (strcmp(sharing, "shared") != 0) {
		/* private gets its own copy in BuildKit; here it waits its turn,
		 * which gives the step the same exclusive use. */
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return st_error(err, errno, "open `%s`", dir);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR || st_interrupted()) {
				int e = errno;
				close(fd);
				return st_error(err, e, "lock the cache mount `%s`", dir);
			}
		}
		m->locks = xrealloc(m->locks, (m->n_locks + 1) * sizeof(int));
		m->locks[m->n_locks++] = fd;
	}
	struct rt_mount *mt = add(m);
	mt->type = RT_MOUNT_BIND;
	mt->source = dir;
	mt->target = target;
	mt->read_only = o->ro;
	return 0;
}

/* The empty read-only file that covers a secret's file in a bind (made
 * once in the store). */
static const char *empty_file(struct build_mounts *m, const char *root, st_error_t *err)
{
	_cleanup_free_ char *parent = xasprintf("%s/cache", root);
	if (fs_mkdir_p(parent, 0700, err) < 0)
		return NULL;
	char *path = xasprintf("%s/empty", parent);
	keep(m, path);
	int fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0) {
		st_error(err, errno, "create `%s`", path);
		return NULL;
	}
	close(fd);
	return path;
}

/* A bind of the context must not show a RUN the file of a stack secret
 * (COPY refuses it; BuildKit's context leaves a .dockerignore'd .env
 * out): each one below the bind's source is covered by an empty file.  A
 * bind of the secret file itself, or of a directory on its file system
 * while the secret has another hard link (which could be anywhere in it),
 * is refused. */
static int cover_secrets(struct build_mounts *m, const struct spec_stack *stack, const char *root, const char *source,
			 const char *target, st_error_t *err)
{
	_cleanup_free_ char *src = realpath(source, NULL);
	struct stat sst;
	if (!src || stat(src, &sst) < 0)
		return st_error(err, errno, "resolve `%s`", source);
	size_t n = strcmp(src, "/") ? strlen(src) : 0;
	for (size_t k = 0; k < stack->n_secrets; k++) {
		const struct spec_secret *sec = &stack->secrets[k];
		_cleanup_free_ char *real = sec->file ? realpath(sec->file, NULL) : NULL;
		struct stat st;
		if (!real || stat(real, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_dev == sst.st_dev && st.st_ino == sst.st_ino)
			return st_error(err, 0, "--mount=type=bind: `%s` is the file of secret `%s`; mount it with "
						"--mount=type=secret,id=%s", source, sec->name, sec->name);
		bool below = !strncmp(real, src, n) && real[n] == '/';
		if (S_ISDIR(sst.st_mode) && st.st_dev == sst.st_dev && st.st_nlink > 1)
			return st_error(err, 0, "--mount=type=bind: secret `%s`'s file `%s` has another hard link, which "
						"this bind could show the step; remove the extra link or bind a directory "
						"that does not hold it", sec->name, real);
		if (!below || !S_ISDIR(sst.st_mode))
			continue;
		const char *empty = empty_file(m, root, err);
		if (!empty)
			return -1;
		struct rt_mount *mt = add(m);
		mt->type = RT_MOUNT_BIND;
		mt->source = empty;
		mt->target = keep(m, fs_path_join_clean(target, real + n + 1));
		mt->read_only = true;
	}
	return 0;
}

/* A file or directory of the context, resolved in it (no way out). */
static int bind_mount(struct build_mounts *m, const struct opts *o, const struct spec_stack *stack, const char *root,
		      const struct spec_image *image, const char *target, st_error_t *err)
{
	if (o->from)
		return st_error(err, 0, "--mount=type=bind,from=%s is not supported by stack's builder yet; COPY --from "
					"the files into the image instead", o->from);
	if (o->rw)
		return st_error(err, 0, "--mount=type=bind,rw is not supported by stack's builder (BuildKit discards "
					"the writes; here they would reach the build context)");
	struct btree t;
	const char *ctx = image->context;
	if (btree_open(&t, &ctx, 1, false, err) < 0)
		return -1;
	_cleanup_free_ char *canon = NULL;
	struct btree_ent e;
	int found = btree_resolve(&t, o->source ? o->source : ".", true, &canon, &e, err);
	btree_close(&t);
	if (found < 0)
		return -1;
	if (found == 0)
		return st_error(err, ENOENT, "--mount=type=bind: `%s` is not in the build context", o->source);
	btree_ent_free(&e);
	struct rt_mount *mt = add(m);
	mt->type = RT_MOUNT_BIND;
	mt->source = keep(m, *canon ? xasprintf("%s/%s", ctx, canon) : xstrdup(ctx));
	mt->target = target;
	mt->read_only = true;
	return cover_secrets(m, stack, root, mt->source, target, err);
}

static int secret_mount(struct build_mounts *m, const struct opts *o, const struct spec_stack *stack,
			const char *workdir, st_error_t *err)
{
	const char *id = o->id ? o->id : NULL;
	if (!id && o->target) {
		const char *slash = strrchr(o->target, '/');
		id = slash ? slash + 1 : o->target;
	}
	if (!id)
		return st_error(err, 0, "--mount=type=secret needs id=NAME (a secret of the stack)");
	const struct spec_secret *sec = spec_find_secret(stack, id);
	if (!sec) {
		if (o->required)
			return st_error(err, 0, "--mount=type=secret,id=%s,required: the stack has no secret `%s`; "
						"declare it under `secrets:`", id, id);
		return 0; /* BuildKit: an optional secret that is not there is not mounted */
	}
	if (!sec->file)
		return st_error(err, 0, "--mount=type=secret,id=%s: secret `%s` comes from the environment; a build "
					"mounts secrets with `file:` only", id, id);
	const char *target = keep(m, o->target ? abs_target(o->target, workdir) : xasprintf("/run/secrets/%s", id));
	struct rt_mount *mt = add(m);
	mt->type = RT_MOUNT_BIND;
	mt->source = sec->file;
	mt->target = target;
	mt->read_only = true;
	strv_push(&m->secret_targets, target);
	return 0;
}

int build_mounts_make(const struct strv *specs, const char *store_root, const struct spec_stack *stack,
		      const struct spec_image *image, const char *workdir, struct build_mounts *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	int r = 0;
	for (size_t i = 0; r == 0 && i < specs->n; i++) {
		struct opts o;
		if ((r = parse(specs->v[i], &o, err)) < 0) {
			opts_free(&o);
			break;
		}
		const char *target = o.target ? keep(out, abs_target(o.target, workdir)) : NULL;
		bool known = !strcmp(o.type, "secret") || !strcmp(o.type, "cache") || !strcmp(o.type, "tmpfs") ||
			     !strcmp(o.type, "bind");
		if (!known) {
			r = st_error(err, 0, "--mount=type=%s is not supported by stack's builder (cache, tmpfs, bind, "
					     "secret are)", o.type);
		} else if (!strcmp(o.type, "secret")) {
			r = secret_mount(out, &o, stack, workdir, err);
		} else if (!target) {
			r = st_error(err, 0, "--mount=type=%s needs target=PATH", o.type);
		} else if (!strcmp(o.type, "cache")) {
			r = cache_mount(out, &o, store_root, target, err);
		} else if (!strcmp(o.type, "tmpfs")) {
			struct rt_mount *mt = add(out);
			mt->type = RT_MOUNT_TMPFS;
			mt->target = target;
			long size = 0;
			if (o.size && parse_num(o.size, 10, 0x7fffffffL, &size) < 0)
				r = st_error(err, 0, "--mount=type=tmpfs,size=%s: give the size in bytes", o.size);
			mt->tmpfs_size = (uint64_t)size;
		} else {
			r = bind_mount(out, &o, stack, store_root, image, target, err);
		}
		opts_free(&o);
	}
	if (r < 0)
		build_mounts_free(out);
	return r;
}

void build_mounts_free(struct build_mounts *m)
{
	for (size_t i = 0; i < m->n_locks; i++)
		close(m->locks[i]);
	free(m->locks);
	free(m->v);
	strv_free(&m->strings);
	strv_free(&m->secret_targets);
	memset(m, 0, sizeof(*m));
}
