/* The digest of a layer's uncompressed bytes, within the bomb limit
 * (layer_unpack.h). */
#include "image/layer_unpack.h"
#include "image/oci_source.h"

#include <errno.h>

int img_layer_unpacked_hex(const struct img_layer_in *in, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	if (img_archive_load(err) < 0)
		return -1;
	struct st_sha256 md = {0};
	struct archive *a = la.archive_read_new();
	struct archive_entry *e = la.archive_entry_new();
	uint64_t unpacked = 0, limit = img_unpack_limit((uint64_t)in->size);
	int r = -1;
	la.archive_read_support_filter_all(a);
	la.archive_read_support_format_raw(a);
	if (st_sha256_begin(&md, err) < 0)
		goto out;
	int opened = in->path ? la.archive_read_open_filename(a, in->path, 1 << 16)
			      : la.archive_read_open(a, in->ctx, NULL, in->read, NULL);
	if (opened != ARCHIVE_OK || la.archive_read_next_header2(a, e) != ARCHIVE_OK) {
		int en = in->read_errno ? *in->read_errno : 0;
		st_error(err, en, "%s: %s", in->what, la.archive_error_string(a) ? la.archive_error_string(a) : "not a layer");
		goto out;
	}
	for (;;) {
		char buf[1 << 16];
		la_ssize_t n = la.archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			int en = in->read_errno ? *in->read_errno : 0;
			st_error(err, en, "%s: %s", in->what, en == EINTR ? "stopped by a signal"
							       : la.archive_error_string(a) ? la.archive_error_string(a)
							       : "read error");
			goto out;
		}
		unpacked += (uint64_t)n;
		if (unpacked > limit) {
			st_error(err, EFBIG, "%s (%lld bytes) unpacks to more than %llu bytes (at most %d times its size, "
				 "or 1 GiB): refused as a decompression bomb",
				 in->what, (long long)in->size, (unsigned long long)limit, IMG_UNPACK_RATIO);
			goto out;
		}
		st_sha256_update(&md, buf, (size_t)n);
	}
	st_sha256_end_hex(&md, hex);
	r = 0;
out:
	st_sha256_abort(&md);
	la.archive_entry_free(e);
	la.archive_read_free(a);
	return r;
}
