/* Content digests of a build context's files, kept between builds by
 * their metadata, as BuildKit's content-hash cache does: a file whose
 * device, inode, size, mtime and ctime are unchanged is not read again.
 * ctime moves on every write, chmod, chown or rename, so a file changed
 * behind an mtime set back (touch -d, tar -x) is still read.  One cache a
 * context, under STACK_ROOT/cache/context/, replaced atomically; images of
 * one build that share a context share it (thread-safe). */
#ifndef STACK_BUILDER_DIGEST_H
#define STACK_BUILDER_DIGEST_H

#include "util/error.h"
#include "util/sha256.h"

#include <stdbool.h>
#include <sys/stat.h>

struct build_digests;

struct build_digests *build_digests_open(const char *store_root, const char *context);
/* The sha256 of the file at `rel` in the context (lstat'ed as *st) when
 * the cache has it for that metadata: then the file is not even opened. */
bool build_digests_get(struct build_digests *d, const char *rel, const struct stat *st,
		       char hex[ST_SHA256_HEX_LEN + 1]);
/* Read the file open as `fd` and remember its sha256 with *st. */
int build_digests_hash(struct build_digests *d, int fd, const char *rel, const struct stat *st,
		       char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err);
/* Write the cache if it changed (a failure only costs a re-hash later). */
void build_digests_save(struct build_digests *d);
void build_digests_free(struct build_digests *d);

#endif
