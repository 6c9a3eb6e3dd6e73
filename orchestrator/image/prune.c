/* `stack image prune`: remove what no ref reaches.
 *
 * Mark and sweep under both locks: locks/gc exclusive, so no other stack
 * process has the store open (a build between a layer's commit and its
 * ref, a run whose containers mount layers: img_store_pin), and
 * locks/refs, so no ref changes while we mark.  locks/gc is tried, not
 * waited for: a prune that blocks until a long `stack run` ends would be
 * worse than one that says why it cannot run now. */
#include "image/store_int.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static __thread uint64_t walk_bytes;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	walk_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

uint64_t img_path_size(const char *path)
{
	walk_bytes = 0;
	nftw(path, add_size, 16, FTW_PHYS | FTW_MOUNT);
	return walk_bytes;
}

/* Whether an imported base's ref is stale: its source is gone or
 * changed, so no run will ask for this key again. */
static bool base_ref_stale(const struct img_ref *r)
{
	const char *at = strchr(r->name, '@');
	if (!at || !r->source)
		return false;
	_cleanup_free_ char *kind = xstrndup(r->name, (size_t)(at - r->name));
	if (strcmp(kind, "rootfs") != 0 && strcmp(kind, "oci") != 0)
		return false;
	st_error_t e = NULL;
	_cleanup_free_ char *key = img_source_key(kind, r->source, &e);
	st_error_free(&e);
	return !key || strcmp(key, r->name) != 0;
}

/* Remove the entries of `dir` (layers/ or blobs/sha256/) whose
 * "sha256:NAME" is not in `keep`. */
static int sweep(const char *dir, const struct strv *keep, size_t *count, uint64_t *bytes, st_error_t *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return st_error(err, errno, "open `%s`", dir);
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *digest = xasprintf("sha256:%s", e->d_name);
		if (strv_contains(keep, digest))
			continue;
		if (!img_digest_valid(digest))
			continue; /* not ours (a temp name of fs_write_file_atomic is swept at open) */
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, e->d_name);
		uint64_t size = img_path_size(path);
		if (fs_remove_tree(path, err) < 0) {
			r = -1;
			break;
		}
		(*count)++;
		*bytes += size;
	}
	closedir(d);
	return r;
}

int img_store_prune(const struct img_store *s, bool all, struct img_prune_report *rep, st_error_t *err)
{
	memset(rep, 0, sizeof(*rep));
	_cleanup_free_ char *gc = xasprintf("%s/locks/gc", s->root);
	if (flock(s->gc_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		flock(s->gc_fd, LOCK_SH);
		if (e == EWOULDBLOCK)
			return st_error(err, 0, "the image store `%s` is in use by another stack process (a build, or a "
					"run whose containers use its layers): prune when they are done", s->root);
		return st_error(err, e, "lock `%s`", gc);
	}
	_cleanup_close_ int lock = img_store_lock(s, err);
	if (lock < 0) {
		flock(s->gc_fd, LOCK_SH);
		return -1;
	}
	struct img_store locked = *s;
	locked.locked = true;
	struct img_ref *refs = NULL;
	size_t n = 0;
	struct strv keep_layers = {0}, keep_blobs = {0};
	_cleanup_free_ char *layers = xasprintf("%s/layers", s->root);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", s->root);
	int r = img_ref_list(s, &refs, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool base = strchr(refs[i].name, '@') != NULL;
		if ((all && base) || base_ref_stale(&refs[i])) {
			r = img_ref_remove(&locked, refs[i].name, err) < 0 ? -1 : 0;
			rep->refs++;
			continue;
		}
		struct img_image img;
		int found = img_image_load(s, refs[i].id, &img, err);
		if (found <= 0) {
			/* A ref we cannot follow may name layers we cannot see: keep everything. */
			if (found == 0)
				st_error(err, 0, "ref `%s` names %s, which is not in the store", refs[i].name, refs[i].id);
			r = st_error_prefix(err, "prune: `stack image rm %s` first", refs[i].name);
			break;
		}
		strv_push(&keep_blobs, refs[i].id);
		for (size_t j = 0; j < img.layers.n; j++)
			strv_push(&keep_layers, img.layers.v[j]);
		img_image_free(&img);
	}
	if (r == 0)
		r = sweep(layers, &keep_layers, &rep->layers, &rep->bytes, err);
	if (r == 0)
		r = sweep(blobs, &keep_blobs, &rep->blobs, &rep->bytes, err);
	img_ref_list_free(refs, n);
	strv_free(&keep_layers);
	strv_free(&keep_blobs);
	flock(s->gc_fd, LOCK_SH);
	return r;
}
