/* libarchive, loaded on first use.
 *
 * libarchive pulls in libxml2, ICU and libstdc++: linking it would add
 * ~1.3 ms of dynamic loading to every `stack` invocation, including the
 * container start path that never touches an archive.  As systemd does for
 * its optional heavy libraries, we dlopen it when an import needs it and
 * call it through this table: `la.archive_read_new()`. */
#ifndef STACK_IMAGE_ARCHIVE_DL_H
#define STACK_IMAGE_ARCHIVE_DL_H

#include "util/error.h"

#include <archive.h>
#include <archive_entry.h>

#define IMG_ARCHIVE_SYMBOLS(X)                                                               \
	X(archive_errno)                                                                     \
	X(archive_error_string)                                                              \
	X(archive_entry_clear)                                                               \
	X(archive_entry_filetype)                                                            \
	X(archive_entry_free)                                                                \
	X(archive_entry_hardlink)                                                            \
	X(archive_entry_new)                                                                 \
	X(archive_entry_pathname)                                                            \
	X(archive_entry_rdev)                                                                \
	X(archive_entry_set_filetype)                                                        \
	X(archive_entry_set_gid)                                                             \
	X(archive_entry_set_gname)                                                           \
	X(archive_entry_set_hardlink)                                                        \
	X(archive_entry_set_mtime)                                                           \
	X(archive_entry_set_pathname)                                                        \
	X(archive_entry_set_perm)                                                            \
	X(archive_entry_set_rdev)                                                            \
	X(archive_entry_set_size)                                                            \
	X(archive_entry_set_symlink)                                                         \
	X(archive_entry_set_uid)                                                             \
	X(archive_entry_set_uname)                                                           \
	X(archive_entry_size)                                                                \
	X(archive_entry_symlink)                                                             \
	X(archive_entry_xattr_add_entry)                                                     \
	X(archive_entry_xattr_clear)                                                         \
	X(archive_entry_xattr_next)                                                          \
	X(archive_entry_xattr_reset)                                                         \
	X(archive_read_data)                                                                 \
	X(archive_read_disk_descend)                                                         \
	X(archive_read_disk_new)                                                             \
	X(archive_read_disk_open)                                                            \
	X(archive_read_disk_set_behavior)                                                    \
	X(archive_read_disk_set_symlink_physical)                                            \
	X(archive_read_free)                                                                 \
	X(archive_read_new)                                                                  \
	X(archive_read_next_header2)                                                         \
	X(archive_read_open)                                                                 \
	X(archive_read_open_fd)                                                              \
	X(archive_read_open_filename)                                                        \
	X(archive_read_support_filter_all)                                                   \
	X(archive_read_support_format_gnutar)                                                \
	X(archive_read_support_format_raw)                                                   \
	X(archive_read_support_format_tar)                                                   \
	X(archive_write_close)                                                               \
	X(archive_write_data)                                                                \
	X(archive_write_disk_new)                                                            \
	X(archive_write_disk_set_options)                                                    \
	X(archive_write_finish_entry)                                                        \
	X(archive_write_free)                                                                \
	X(archive_write_header)                                                              \
	X(archive_write_new)                                                                 \
	X(archive_write_open2)                                                               \
	X(archive_write_set_bytes_in_last_block)                                             \
	X(archive_write_set_format_pax_restricted)                                           \
	X(archive_write_set_options)

struct img_archive_api {
#define IMG_ARCHIVE_FIELD(sym) __typeof__(sym) *sym;
	IMG_ARCHIVE_SYMBOLS(IMG_ARCHIVE_FIELD)
#undef IMG_ARCHIVE_FIELD
};

extern struct img_archive_api la;

/* Load libarchive and resolve every symbol above; idempotent and thread-safe. */
int img_archive_load(st_error_t *err);

#endif
