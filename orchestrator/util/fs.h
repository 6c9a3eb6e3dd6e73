/* File helpers: whole-file reads, atomic writes, recursive mkdir/remove. */
#ifndef STACK_UTIL_FS_H
#define STACK_UTIL_FS_H

#include "util/error.h"
#include "util/strv.h"

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (NUL-terminated; *len excludes the NUL).  max_size 0 = 64 MiB. */
int fs_read_file(const char *path, size_t max_size, char **out, size_t *len, st_error_t *err);
/* The same from an open fd, read to its end (a pipe, standard input); errors
 * name it as `what`, e.g. "standard input" or "`PATH`". */
int fs_read_fd(int fd, const char *what, size_t max_size, char **out, size_t *len, st_error_t *err);
/* Write an unnamed file (O_TMPFILE) in the same directory, fsync, link it
 * to `path` when that is new, else to PATH.tmp.RANDOM renamed over it:
 * readers see the old or the new content, never half of it.  A temp name
 * only exists while its writer holds an flock on it, so what a crash
 * leaves is found by fs_sweep_tmp() (see util/fs_atomic.c). */
int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, st_error_t *err);
/* The same without the fsync, for state that does not outlive a reboot
 * (STACK_RUN: a container's state file): readers still see all or none,
 * but the start path does not wait for the disk. */
int fs_write_file_atomic_volatile(const char *path, const void *data, size_t len, mode_t mode, st_error_t *err);
/* Remove the PATH.tmp.HEX files in `dir` that no live writer holds. */
void fs_sweep_tmp(const char *dir);
int fs_mkdir_p(const char *path, mode_t mode, st_error_t *err);
/* open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode)
 * of a regular file only (util/fs_open.c): a symlink, FIFO, device,
 * socket or directory there is refused with an error naming what it is,
 * at once (a FIFO does not block).  The fd is blocking again; -1 on error. */
int fs_open_regular(const char *path, int flags, mode_t mode, st_error_t *err);
/* "regular file", "directory", "symbolic link", "FIFO", ... of st_mode. */
const char *fs_kind_name(mode_t mode);
/* A DIR stream over a close-on-exec copy of the directory fd `dfd`, from
 * its first entry; `dfd` stays the caller's.  NULL with errno on failure. */
DIR *fs_opendir_fd(int dfd);
/* rm -rf (util/fs_remove.c): fd-relative, so of any depth; never follows a
 * symlink nor enters another mount (that is an error naming the path, as
 * is anything left); a missing path is not an error. */
int fs_remove_tree(const char *path, st_error_t *err);
/* The same for the entry `name` of the directory `dfd` (`shown` names it
 * in errors), which is refused as well when it is itself a mount point
 * (its device is not its parent's, or it is a mount's root): the files of
 * a filesystem mounted there are never removed. */
int fs_remove_tree_at(int dfd, const char *name, const char *shown, st_error_t *err);
/* Absolute, lexically cleaned path of `path` relative to `base` (no symlink resolution). */
char *fs_path_join_clean(const char *base, const char *path);
/* The components of `path` pushed onto *parts, lexically cleaned as a path
 * relative to a root: empty and "." dropped, ".." taking the one before
 * (never above the root). */
void fs_path_split_clean(const char *path, struct strv *parts);
char *fs_dirname(const char *path);

#endif
