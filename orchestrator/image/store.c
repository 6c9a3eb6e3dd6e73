#include "image/store.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int img_store_open(const char *root, struct img_store *out, st_error_t *err)
{
	static const char *const dirs[] = {"layers", "images", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", root, dirs[i]);
		if (fs_mkdir_p(d, 0700, err) < 0)
			return st_error_prefix(err, "image store");
	}
	/* An image record's writer killed between link and rename. */
	_cleanup_free_ char *images = xasprintf("%s/images", root);
	fs_sweep_tmp(images);
	out->root = xstrdup(root);
	return 0;
}

void img_store_close(struct img_store *s)
{
	free(s->root);
	s->root = NULL;
}

char *img_layer_path(const struct img_store *s, const char *digest)
{
	const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
	return xasprintf("%s/layers/%s", s->root, hex);
}

/* Image names contain '/' and ':'; keep them readable but one path component. */
static char *image_file(const struct img_store *s, const char *name)
{
	size_t n = strlen(name);
	char *esc = xmalloc(n * 3 + 1), *o = esc;
	for (const char *p = name; *p; p++) {
		if (*p == '/' || *p == '%') {
			o += sprintf(o, "%%%02X", (unsigned char)*p);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	char *path = xasprintf("%s/images/%s.json", s->root, esc);
	free(esc);
	return path;
}

/* FNV-1a: a change detector for stamps, not an identity (the key's DEV and
 * INODE are that), so a fast non-cryptographic hash is enough and keeps
 * libcrypto off the start path. */
static void fnv_mix(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ULL;
	}
}

static void stamp_stat(uint64_t *h, const struct stat *st)
{
	int64_t v[] = {(int64_t)st->st_ino,	    (int64_t)st->st_size,	  (int64_t)st->st_mode,
		       (int64_t)st->st_mtim.tv_sec, (int64_t)st->st_mtim.tv_nsec, (int64_t)st->st_ctim.tv_sec,
		       (int64_t)st->st_ctim.tv_nsec};
	fnv_mix(h, v, sizeof(v));
}

/* The stamps of a directory's entries (names and lstat), in readdir order:
 * a reorder without a change is taken as a change (a harmless re-import). */
static int stamp_entries(uint64_t *h, int dfd, int depth)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile: the parent's stamp changed too */
		fnv_mix(h, e->d_name, strlen(e->d_name) + 1);
		stamp_stat(h, &st);
		if (depth > 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				stamp_entries(h, sub, depth - 1);
				close(sub);
			}
		}
	}
	closedir(d);
	return 0;
}

char *img_rootfs_key(const char *path, st_error_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		st_error(err, errno, "rootfs `%s`", path);
		return NULL;
	}
	uint64_t h = 0xcbf29ce484222325ULL;
	stamp_stat(&h, &st);
	/* Depth 0: the top's entries only, about twenty lstat() calls for a
	 * distribution's rootfs; a full walk would cost milliseconds a start. */
	if (S_ISDIR(st.st_mode) && stamp_entries(&h, fd, 0) < 0) {
		st_error(err, errno, "rootfs `%s`", path);
		return NULL;
	}
	return xasprintf("rootfs@%" PRIx64 "-%" PRIx64 "-%016" PRIx64, (uint64_t)st.st_dev, (uint64_t)st.st_ino, h);
}

static void json_to_strv(json_t *arr, struct strv *out)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (json_is_string(v))
			strv_push(out, json_string_value(v));
}

static json_t *strv_to_json(const struct strv *sv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(arr, json_string(sv->v[i]));
	return arr;
}

static char *json_dup_string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) && *json_string_value(v) ? xstrdup(json_string_value(v)) : NULL;
}

int img_image_read(const struct img_store *s, const char *name, struct img_image *out, st_error_t *err)
{
	_cleanup_free_ char *path = image_file(s, name);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return 0;
		return st_error(err, 0, "image `%s`: %s:%d: %s (remove the file to re-import)", name, path,
				jerr.line, jerr.text);
	}
	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	out->source = json_dup_string(root, "source");
	json_to_strv(json_object_get(root, "layers"), &out->layers);
	json_t *cfg = json_object_get(root, "config");
	json_to_strv(json_object_get(cfg, "Env"), &out->env);
	json_to_strv(json_object_get(cfg, "Entrypoint"), &out->entrypoint);
	json_to_strv(json_object_get(cfg, "Cmd"), &out->cmd);
	out->working_dir = json_dup_string(cfg, "WorkingDir");
	out->user = json_dup_string(cfg, "User");
	json_decref(root);
	if (out->layers.n == 0) {
		img_image_free(out);
		return st_error(err, 0, "image `%s`: %s lists no layers (remove it to re-import)", name, path);
	}
	return 1;
}

int img_image_write(const struct img_store *s, const struct img_image *img, st_error_t *err)
{
	/* The config keys follow the OCI image config, so an export later is a copy. */
	json_t *cfg = json_pack("{s:o, s:o, s:o, s:s, s:s}", "Env", strv_to_json(&img->env), "Entrypoint",
				strv_to_json(&img->entrypoint), "Cmd", strv_to_json(&img->cmd), "WorkingDir",
				img->working_dir ? img->working_dir : "", "User", img->user ? img->user : "");
	json_t *root = json_pack("{s:s, s:o, s:o}", "name", img->name, "layers", strv_to_json(&img->layers),
				 "config", cfg);
	if (img->source)
		json_object_set_new(root, "source", json_string(img->source));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	_cleanup_free_ char *path = image_file(s, img->name);
	int r = fs_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

void img_image_free(struct img_image *img)
{
	free(img->name);
	free(img->source);
	strv_free(&img->layers);
	strv_free(&img->env);
	strv_free(&img->entrypoint);
	strv_free(&img->cmd);
	free(img->working_dir);
	free(img->user);
	memset(img, 0, sizeof(*img));
}
