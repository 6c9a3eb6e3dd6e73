/* Blobs: downloaded with their digest computed on the way, kept only when
 * they have the digest and size their descriptor says. */
#include "image/layer_unpack.h"
#include "image/registry_int.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int check(const struct reg_client *c, const struct reg_desc *d, const struct reg_sink *sink,
		 const char *hex, st_error_t *err)
{
	if (sink->got != d->size)
		return st_error(err, 0, "registry `%s`: blob %s is %lld bytes, its manifest says %lld: refused",
				c->ref.host, d->digest, (long long)sink->got, (long long)d->size);
	if (strcmp(hex, d->digest + 7) != 0)
		return st_error(err, 0, "registry `%s`: blob %s has the digest sha256:%s: refused (tampered with or "
				"corrupted on the way)",
				c->ref.host, d->digest, hex);
	return 0;
}

static long get_blob(struct reg_client *c, const struct reg_desc *d, struct reg_sink *sink, st_error_t *err)
{
	_cleanup_free_ char *what = xasprintf("blobs/%s", d->digest);
	long status = reg_get(c, what, NULL, sink, err);
	if (status == 200)
		return 0;
	if (status > 0)
		st_error_prefix(err, "registry `%s`: blob %s of %s", c->ref.host, d->digest, c->ref.repo);
	return -1;
}

/* Fetch blob `d` into `sink`, hashed into sink->md on the way, and check it. */
static int fetch_checked(struct reg_client *c, const struct reg_desc *d, struct reg_sink *sink, st_error_t *err)
{
	char hex[ST_SHA256_HEX_LEN + 1];
	if (st_sha256_begin(sink->md, err) < 0 || get_blob(c, d, sink, err) < 0)
		return -1;
	st_sha256_end_hex(sink->md, hex);
	return check(c, d, sink, hex, err);
}

int reg_blob_fetch(struct reg_client *c, const struct reg_desc *d, const char *dir, struct reg_progress *p,
		   char **path, st_error_t *err)
{
	char *file = xasprintf("%s/blob-%.12s", dir, d->digest + 7);
	struct st_sha256 md = {0};
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		st_error(err, errno, "create `%s`", file);
		free(file);
		return -1;
	}
	struct reg_sink sink = {.fd = fd, .md = &md, .limit = d->size, .progress = reg_progress_bytes,
				.progress_ctx = p};
	int r = -1;
	if (fetch_checked(c, d, &sink, err) < 0)
		goto out;
	if (fsync(fd) < 0) {
		st_error(err, errno, "fsync `%s`", file);
		goto out;
	}
	r = 0;
out:
	st_sha256_abort(&md);
	close(fd);
	if (r < 0) {
		unlink(file);
		free(file);
	} else {
		*path = file;
	}
	return r;
}

int reg_blob_fetch_json(struct reg_client *c, const struct reg_desc *d, char **body, size_t *len,
			st_error_t *err)
{
	struct strbuf buf = {0};
	struct st_sha256 md = {0};
	struct reg_sink sink = {.mem = &buf, .fd = -1, .md = &md, .limit = d->size};
	int r = -1;
	if (fetch_checked(c, d, &sink, err) < 0)
		goto out;
	*len = buf.n;
	*body = strbuf_take(&buf);
	r = 0;
out:
	st_sha256_abort(&md);
	free(buf.s);
	return r;
}

int reg_layer_check(const char *path, const struct reg_desc *d, const char *diff_id, st_error_t *err)
{
	_cleanup_free_ char *what = xasprintf("layer %s", d->digest);
	struct img_layer_in in = {.what = what, .size = d->size, .path = path};
	char hex[ST_SHA256_HEX_LEN + 1];
	if (img_layer_unpacked_hex(&in, hex, err) < 0)
		return -1;
	if (!img_digest_valid(diff_id) || strcmp(hex, diff_id + 7) != 0)
		return st_error(err, 0, "layer %s uncompressed has the digest sha256:%s, its config says %.80s: the "
				"image is damaged or was tampered with", d->digest, hex, diff_id);
	return 0;
}
