/* COPY and ADD: the sources (the context, or --from a stage, an image or
 * a base) selected and hashed by copy.c, looked up in the cache, else
 * written into a new layer; --chown names from the image, the secret
 * guard, ADD's archives unpacked. */
#include "builder/cache.h"
#include "builder/copy.h"
#include "builder/exec_int.h"
#include "builder/tree.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- COPY / ADD ---- */

/* --chown=USER[:GROUP], names looked up in the image's /etc/passwd and
 * /etc/group; a user without group gives the same number as the gid. */
static int lookup_id(const struct btree *image, const char *file, const char *name, unsigned long *id)
{
	char *end = NULL;
	*id = strtoul(name, &end, 10);
	if (*name && !*end)
		return 0;
	size_t len = 0;
	_cleanup_free_ char *text = btree_read_small(image, file, 4 << 20, &len);
	if (!text)
		return -1;
	size_t nl = strlen(name);
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, name, nl) && line[nl] == ':') {
			char *f = strchr(line + nl + 1, ':'); /* past the password */
			if (f && isdigit((unsigned char)f[1])) {
				*id = strtoul(f + 1, NULL, 10);
				return 0;
			}
		}
		line = next;
	}
	return -1;
}

static int parse_chown(const struct btree *image, const char *spec, uid_t *uid, gid_t *gid, st_error_t *err)
{
	_cleanup_free_ char *u = xstrdup(spec);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	unsigned long uv, gv;
	if (!*u || lookup_id(image, "/etc/passwd", u, &uv) < 0)
		return bx_user_error(err, "--chown=%s: no user `%s` in the image's /etc/passwd", spec, u);
	if (g && (!*g || lookup_id(image, "/etc/group", g, &gv) < 0))
		return bx_user_error(err, "--chown=%s: no group `%s` in the image's /etc/group", spec, g);
	*uid = (uid_t)uv;
	*gid = (gid_t)(g ? gv : uv);
	return 0;
}

/* The content hash of a secret's file, as copy.c hashes a context file;
 * false if it cannot be read (nothing to compare). */
static bool secret_hex(const char *path, char hex[ST_SHA256_HEX_LEN + 1])
{
	char *text = NULL;
	size_t len = 0;
	st_error_t err = NULL;
	bool ok = fs_read_file(path, 0, &text, &len, &err) == 0 && st_sha256_hex(text, len, hex, &err) == 0;
	st_error_free(&err);
	free(text);
	return ok;
}

/* A file the stack declares as a secret must not end up in a layer: not
 * the file itself (any name or link to it), nor a copy of its bytes
 * under another name (`cp .env env.bak`). */
static int secret_guard(const struct exec *x, const struct build_copy_plan *p, st_error_t *err)
{
	const struct spec_stack *st = x->cx->stack;
	for (size_t k = 0; k < st->n_secrets; k++) {
		const struct spec_secret *sec = &st->secrets[k];
		struct stat ss;
		if (!sec->file || stat(sec->file, &ss) < 0 || !S_ISREG(ss.st_mode))
			continue;
		char hex[ST_SHA256_HEX_LEN + 1] = "";
		for (size_t i = 0; i < p->n; i++) {
			const struct stat *fs = &p->v[i].st;
			if (!S_ISREG(fs->st_mode))
				continue;
			bool same = fs->st_dev == ss.st_dev && fs->st_ino == ss.st_ino;
			/* An empty secret has nothing to leak. */
			if (!same && ss.st_size > 0 && fs->st_size == ss.st_size &&
			    (*hex || secret_hex(sec->file, hex)))
				same = !strcmp(hex, p->v[i].hex);
			if (!same)
				continue;
			bool itself = fs->st_ino == ss.st_ino && fs->st_dev == ss.st_dev;
			return bx_user_error(err, "this would copy `%s`, %s of secret `%s`, into a layer; "
					       "secrets never enter a layer: add `%s` to %s/.dockerignore "
					       "(the service gets it at run time through `secrets:`)%s%s%s",
					  p->v[i].shown, itself ? "the file" : "a copy of the file", sec->name,
					  p->v[i].shown, x->image->context,
					  /* `cp .env.example .env` makes the template look like a copy */
					  itself ? "" : ", or, if `", itself ? "" : sec->file,
					  itself ? "" : "` still holds a template's values, give it values of its own");
		}
	}
	return 0;
}

/* What ADD unpacked from `archive` into `dir` holds no copy of a
 * secret's file (an archive made with .env in it). */
static int secret_scan(const struct exec *x, const char *dir, const char *archive, st_error_t *err)
{
	const struct spec_stack *st = x->cx->stack;
	for (size_t k = 0; k < st->n_secrets; k++) {
		const struct spec_secret *sec = &st->secrets[k];
		struct stat ss;
		char hex[ST_SHA256_HEX_LEN + 1];
		if (!sec->file || stat(sec->file, &ss) < 0 || !S_ISREG(ss.st_mode) || ss.st_size == 0 ||
		    !secret_hex(sec->file, hex))
			continue;
		char *const roots[] = {(char *)dir, NULL};
		FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
		if (!fts)
			return st_error(err, errno, "walk `%s`", dir);
		FTSENT *e;
		int r = 0;
		while (r == 0 && (e = fts_read(fts))) {
			if (e->fts_info != FTS_F || e->fts_statp->st_size != ss.st_size)
				continue;
			char fhex[ST_SHA256_HEX_LEN + 1];
			if (secret_hex(e->fts_path, fhex) && !strcmp(fhex, hex))
				r = bx_user_error(err, "%s holds `%s`, a copy of the file of secret `%s`; secrets never "
						       "enter a layer: make the archive without it (the service gets "
						       "it at run time through `secrets:`)",
						  archive, e->fts_path + strlen(dir), sec->name);
		}
		fts_close(fts);
		if (r < 0)
			return r;
	}
	return 0;
}

static int open_tree_of(const struct exec *x, const struct strv *layers, struct btree *t, st_error_t *err)
{
	struct strv paths = {0};
	for (size_t i = layers->n; i-- > 0;)
		strv_push_take(&paths, img_layer_path(x->cx->store, layers->v[i]));
	int r = btree_open(t, (const char *const *)strv_argv(&paths), paths.n, true, err);
	strv_free(&paths);
	return r;
}

static bool looks_like_archive(const struct btree *t, const struct build_copy_item *it)
{
	if (!S_ISREG(it->st.st_mode))
		return false;
	struct btree_ent e = {.st = it->st, .layer = it->layer};
	st_error_t err = NULL;
	int fd = btree_open_file(t, &e, it->src, &err);
	st_error_free(&err);
	if (fd < 0)
		return false;
	unsigned char b[512] = {0};
	ssize_t n = pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n < 6)
		return false;
	return (b[0] == 0x1f && b[1] == 0x8b) || !memcmp(b, "BZh", 3) || !memcmp(b, "\xfd" "7zXZ", 5) ||
	       !memcmp(b, "\x28\xb5\x2f\xfd", 4) || (n >= 262 && !memcmp(b + 257, "ustar", 5));
}

int bx_copy(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err)
{
	bool add = in->cmd == DF_ADD;
	const char *cmd = add ? "ADD" : "COPY";
	static const char *const unsupported[] = {"parents", "checksum", "keep-git-dir", NULL};
	if (bx_refuse_flags(in, unsupported, err) < 0)
		return -1;
	if (in->n_heredocs)
		return bx_user_error(err, "%s with a heredoc is not supported by stack's builder yet", cmd);
	struct strv words = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && i < in->args.n; i++) {
		char *w = NULL;
		r = bx_expand(x, s, in->args.v[i], &w, err);
		if (r == 0)
			strv_push_take(&words, w);
	}
	if (r < 0 || words.n < 2) {
		strv_free(&words);
		return r < 0 ? -1 : bx_user_error(err, "%s needs a source and a destination", cmd);
	}
	struct strv srcs = {0};
	for (size_t i = 0; i + 1 < words.n; i++) {
		const char *w = words.v[i];
		if (add && (strstr(w, "://") || !strncmp(w, "git@", 4))) {
			bx_user_error(err, "ADD %s: remote sources are not supported by stack's builder; download "
					"in a RUN step, or put the file in the context", w);
			strv_free(&words);
			strv_free(&srcs);
			return -1;
		}
		strv_push(&srcs, w);
	}
	struct btree image = {0}, from = {0};
	struct build_copy_plan plan = {0};
	_cleanup_free_ char *identity = NULL;
	struct build_ignore ignore = {0}, exclude = {0};
	struct build_copy_src src = {0};
	struct bcfg from_cfg;
	bcfg_init(&from_cfg);
	char *layer = NULL;
	struct st_sha256 h = {0};
	char key[ST_SHA256_HEX_LEN + 1];

	if ((r = open_tree_of(x, &s->cfg.img.layers, &image, err)) < 0)
		goto out;
	struct build_copy_req req = {.cmd = cmd, .srcs = &srcs, .dest = words.v[words.n - 1],
				     .workdir = s->cfg.img.working_dir};
	const char *chown = bx_flag_value(in, "chown"), *chmod = bx_flag_value(in, "chmod");
	if (chown) {
		_cleanup_free_ char *c = NULL;
		if ((r = bx_expand(x, s, chown, &c, err)) < 0 || (r = parse_chown(&image, c, &req.uid, &req.gid, err)) < 0)
			goto out;
		req.chown = true;
	}
	if (chmod) {
		char *end = NULL;
		unsigned long m = strtoul(chmod, &end, 8);
		if (!*chmod || *end || m > 07777) {
			r = bx_user_error(err, "--chmod=%s: give the mode in octal, e.g. --chmod=0755", chmod);
			goto out;
		}
		req.chmod = true;
		req.mode = (mode_t)m;
	}
	const char *from_name = bx_flag_value(in, "from");
	if (from_name) {
		const struct build_from *f = bx_from_at(x, in->line, true);
		if (!f) {
			r = bx_user_error(err, "--from=%s: the build plan has no resolution for this line", from_name);
			goto out;
		}
		const struct bcfg *fc = NULL;
		if (f->kind == BUILD_FROM_STAGE) {
			if (!x->stages[f->index].built) {
				r = bx_user_error(err, "--from=%s: that stage was not built", from_name);
				goto out;
			}
			fc = &x->stages[f->index].cfg;
		} else if (f->kind == BUILD_FROM_SCRATCH) {
			fc = &from_cfg;
		} else {
			bool work = false;
			if ((r = bx_load_image(x, f, &from_cfg, &work, err)) < 0)
				goto out;
			fc = &from_cfg;
		}
		identity = bcfg_identity(fc);
		if ((r = open_tree_of(x, &fc->img.layers, &from, err)) < 0)
			goto out;
		src.tree = &from;
		src.identity = identity;
	} else {
		const char *ctxdir = x->image->context;
		if ((r = btree_open(&from, &ctxdir, 1, false, err)) < 0)
			goto out;
		_cleanup_free_ char *ig = xasprintf("%s/.dockerignore", ctxdir);
		char *text = NULL;
		size_t len = 0;
		st_error_t ierr = NULL;
		if (fs_read_file(ig, 0, &text, &len, &ierr) == 0) {
			build_ignore_parse(text, &ignore);
			free(text);
		} else if (ierr && ierr->status != ENOENT) {
			r = st_error_prefix(&ierr, "read the context's .dockerignore");
			*err = ierr;
			goto out;
		}
		st_error_free(&ierr);
		src.tree = &from;
		src.ignore = &ignore;
		src.digests = x->cx->digests;
	}
	/* --exclude=PATTERN (repeatable): .dockerignore's patterns, for this
	 * instruction's sources only. */
	struct strbuf ex = {0};
	for (size_t i = 0; r == 0 && i < in->flags.n; i++) {
		if (strncmp(in->flags.v[i], "--exclude=", 10))
			continue;
		_cleanup_free_ char *p = NULL;
		if ((r = bx_expand(x, s, in->flags.v[i] + 10, &p, err)) == 0) {
			strbuf_adds(&ex, p);
			strbuf_addc(&ex, '\n');
		}
	}
	if (ex.n) {
		build_ignore_parse(ex.s, &exclude);
		src.exclude = &exclude;
	}
	free(ex.s);
	if (r < 0 || (r = build_copy_select(&src, &image, &req, &plan, err)) < 0)
		goto out;
	if (!from_name && (r = secret_guard(x, &plan, err)) < 0)
		goto out;
	/* ADD unpacks a local archive named as a source (not one found in a
	 * directory it copies), as Docker does. */
	if (add)
		for (size_t i = 0; i < plan.n; i++)
			plan.v[i].extract = plan.v[i].named && looks_like_archive(&from, &plan.v[i]);
	if ((r = bx_key_begin(s, in, &h, err)) < 0)
		goto out;
	build_copy_hash(&plan, &h);
	st_sha256_end_hex(&h, key);
	if (!x->cx->no_cache && build_cache_get(x->cx->store, key, &layer) == 1) {
		*cached = true;
	} else {
		*cached = false;
		_cleanup_free_ char *work = NULL, *dir = NULL;
		_cleanup_close_ int lock = -1;
		if ((r = img_tmp_make(x->cx->store, "build", &work, &lock, err)) < 0)
			goto out;
		dir = xasprintf("%s/layer", work);
		if (mkdir(dir, 0755) < 0)
			r = st_error(err, errno, "mkdir `%s`", dir);
		if (r == 0)
			r = build_copy_write(&src, &image, &plan, dir, err);
		for (size_t i = 0; r == 0 && i < plan.n; i++) {
			if (!plan.v[i].extract)
				continue;
			_cleanup_free_ char *archive = xasprintf("%s/%s", x->image->context, plan.v[i].src);
			_cleanup_free_ char *into = xasprintf("%s/%s", dir, plan.dest);
			r = img_extract_archive(x->cx->store, archive, into, err);
			if (r == 0)
				r = secret_scan(x, dir, plan.v[i].shown, err);
		}
		if (r == 0)
			r = img_layer_commit_dir(x->cx->store, dir, &layer, err);
		fs_remove_tree(work, NULL);
		if (r == 0)
			r = build_cache_put(x->cx->store, key, layer, err);
	}
	if (r == 0) {
		bx_add_layer(s, layer);
		memcpy(s->chain, key, sizeof(key));
	}
out:
	free(layer);
	build_copy_plan_free(&plan);
	build_ignore_free(&ignore);
	build_ignore_free(&exclude);
	btree_close(&image);
	btree_close(&from);
	bcfg_free(&from_cfg);
	strv_free(&words);
	strv_free(&srcs);
	return r;
}
