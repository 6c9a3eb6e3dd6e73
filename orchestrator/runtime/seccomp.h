/* Seccomp with libseccomp: Docker's default profile built in, Docker-format
 * JSON profiles, "unconfined".
 *
 * Compiling a profile costs milliseconds, so the parent compiles once
 * (before clone), exports the BPF with seccomp_export_bpf() and caches it in
 * CACHE_DIR/<sha256>.bpf, the key covering the profile bytes, the caps, the
 * native arch and the libseccomp version.  The child then only calls
 * rt_seccomp_load(), which does no allocation.
 *
 * Order in the child: prctl(PR_SET_NO_NEW_PRIVS) (rt_security_set_no_new_privs)
 * then rt_seccomp_load() as late as possible, after the caps and uid switch,
 * right before execve (the default profile allows execve, capset, setuid...). */
#ifndef STACK_RUNTIME_SECCOMP_H
#define STACK_RUNTIME_SECCOMP_H

#include "runtime/caps.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>

enum rt_seccomp_mode {
	RT_SECCOMP_DEFAULT,    /* built-in equivalent of Docker's default.json */
	RT_SECCOMP_UNCONFINED, /* no filter */
	RT_SECCOMP_PROFILE,    /* Docker-format JSON file at profile_path */
};

struct rt_seccomp_prog;

/* Compile (or fetch from cache_dir) the filter for `mode` and the
 * container's caps (conditional rules: clone/unshare/mount with SYS_ADMIN,
 * ptrace with SYS_PTRACE, ...).  caps may be NULL (= Docker's defaults).
 * cache_dir may be NULL (no cache); it is created if missing.  For
 * RT_SECCOMP_UNCONFINED *out is set to NULL.  Profile errors name the file
 * and the JSON path: "`p.json`: syscalls[3].action: unknown action `X`". */
int rt_seccomp_prepare(enum rt_seccomp_mode mode, const char *profile_path, const struct rt_caps *caps,
		       const char *cache_dir, struct rt_seccomp_prog **out, st_error_t *err);

/* Child: install the filter with seccomp(SECCOMP_SET_MODE_FILTER).  Needs
 * no_new_privs or CAP_SYS_ADMIN.  No allocation: err may be NULL, the
 * return value is 0 or -errno.  prog NULL = unconfined = no-op. */
int rt_seccomp_load(const struct rt_seccomp_prog *prog, st_error_t *err);

void rt_seccomp_prog_free(struct rt_seccomp_prog *prog);

/* The program in a file of the cache's format (BPF, then a magic and a
 * CRC-32), written atomically with mode 0600 but not synced (it lives as
 * long as the container): a container's state keeps
 * it for processes exec'd into the container by another process.  The
 * load opens `name` in dirfd without following a symlink and takes only
 * a regular file we own that nobody else can write, intact. */
int rt_seccomp_prog_save(const struct rt_seccomp_prog *prog, const char *path, st_error_t *err);
int rt_seccomp_prog_load_at(int dirfd, const char *name, struct rt_seccomp_prog **out, st_error_t *err);

/* Introspection, for tests and `stack ps`. */
bool rt_seccomp_prog_from_cache(const struct rt_seccomp_prog *prog);
const char *rt_seccomp_prog_cache_path(const struct rt_seccomp_prog *prog); /* NULL: not cached */
size_t rt_seccomp_prog_size(const struct rt_seccomp_prog *prog);            /* BPF bytes */

/* prctl(PR_SET_NO_NEW_PRIVS, 1): no setuid/file-caps gains across execve.
 * Async-signal-safe; err may be NULL. */
int rt_security_set_no_new_privs(st_error_t *err);

#endif
