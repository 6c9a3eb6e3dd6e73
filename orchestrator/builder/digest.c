#include "builder/digest.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

struct build_digests {
	pthread_mutex_t lock;
	char *path;
	json_t *files; /* rel -> [dev, ino, size, mtime_ns, ctime_ns, hex] */
	bool dirty;
};

static char *cache_path(const char *root, const char *context)
{
	st_error_t err = NULL;
	char hex[ST_SHA256_HEX_LEN + 1];
	if (st_sha256_hex(context, strlen(context), hex, &err) < 0) {
		st_error_free(&err);
		return NULL;
	}
	return xasprintf("%s/cache/context/%s.json", root, hex);
}

struct build_digests *build_digests_open(const char *store_root, const char *context)
{
	struct build_digests *d = xzalloc(sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->path = cache_path(store_root, context);
	char *text = NULL;
	size_t len = 0;
	st_error_t err = NULL;
	/* One read, then a parse from memory: json_load_file reads by getc,
	 * which was most of a no-op build of a large context. */
	if (d->path && fs_read_file(d->path, 0, &text, &len, &err) == 0) {
		json_t *j = json_loadb(text, len, 0, NULL);
		free(text);
		if (json_is_object(j))
			d->files = j;
		else
			json_decref(j); /* damaged: start afresh */
	}
	st_error_free(&err); /* absent or unreadable: start afresh */
	if (!d->files)
		d->files = json_object();
	return d;
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static json_t *stamp(const struct stat *st)
{
	return json_pack("[IIIII]", (json_int_t)st->st_dev, (json_int_t)st->st_ino, (json_int_t)st->st_size,
			 (json_int_t)ns(&st->st_mtim), (json_int_t)ns(&st->st_ctim));
}

static int hash_fd(int fd, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	struct st_sha256 h;
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	char buf[65536];
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st_sha256_abort(&h);
			return st_error(err, errno, "read");
		}
		if (n == 0)
			break;
		st_sha256_update(&h, buf, (size_t)n);
		off += n;
	}
	st_sha256_end_hex(&h, hex);
	return 0;
}

bool build_digests_get(struct build_digests *d, const char *rel, const struct stat *st, char hex[ST_SHA256_HEX_LEN + 1])
{
	const json_int_t want[5] = {(json_int_t)st->st_dev, (json_int_t)st->st_ino, (json_int_t)st->st_size,
				    (json_int_t)ns(&st->st_mtim), (json_int_t)ns(&st->st_ctim)};
	pthread_mutex_lock(&d->lock);
	json_t *have = json_object_get(d->files, rel);
	bool hit = json_is_array(have) && json_array_size(have) == 6;
	for (size_t i = 0; i < 5 && hit; i++) {
		json_t *v = json_array_get(have, i);
		hit = json_is_integer(v) && json_integer_value(v) == want[i];
	}
	const char *h = hit ? json_string_value(json_array_get(have, 5)) : NULL;
	hit = h && strlen(h) == ST_SHA256_HEX_LEN;
	if (hit)
		memcpy(hex, h, ST_SHA256_HEX_LEN + 1);
	pthread_mutex_unlock(&d->lock);
	return hit;
}

int build_digests_hash(struct build_digests *d, int fd, const char *rel, const struct stat *st,
		       char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	if (hash_fd(fd, hex, err) < 0)
		return st_error_prefix(err, "hash `%s`", rel);
	/* The stamp taken before the read: a write during it changes the
	 * ctime, so the next build reads the file again. */
	json_t *want = stamp(st);
	json_array_append_new(want, json_string(hex));
	pthread_mutex_lock(&d->lock);
	json_object_set_new(d->files, rel, want);
	d->dirty = true;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void build_digests_save(struct build_digests *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->dirty && d->path) {
		char *text = json_dumps(d->files, JSON_COMPACT);
		_cleanup_free_ char *dir = fs_dirname(d->path);
		st_error_t err = NULL;
		if (text && fs_mkdir_p(dir, 0700, &err) == 0 &&
		    fs_write_file_atomic(d->path, text, strlen(text), 0600, &err) == 0)
			d->dirty = false;
		st_error_free(&err);
		free(text);
	}
	pthread_mutex_unlock(&d->lock);
}

void build_digests_free(struct build_digests *d)
{
	if (!d)
		return;
	json_decref(d->files);
	free(d->path);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
