/* Seccomp programs: compile once in the parent (or take the BPF from the
 * cache), load in the child with the bare seccomp(2) syscall. */
#include "runtime/seccomp_internal.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <ctype.h>
#include <zlib.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Bump when the compiler's output for the same inputs changes. */
#define SC_CACHE_FORMAT "stack-seccomp-bpf-1"

struct rt_seccomp_prog {
	struct sock_filter *insns;
	size_t n;
	bool from_cache;
	char *cache_path;
};

void rt_seccomp_prog_free(struct rt_seccomp_prog *prog)
{
	if (!prog)
		return;
	free(prog->insns);
	free(prog->cache_path);
	free(prog);
}

bool rt_seccomp_prog_from_cache(const struct rt_seccomp_prog *prog)
{
	return prog && prog->from_cache;
}

const char *rt_seccomp_prog_cache_path(const struct rt_seccomp_prog *prog)
{
	return prog ? prog->cache_path : NULL;
}

size_t rt_seccomp_prog_size(const struct rt_seccomp_prog *prog)
{
	return prog ? prog->n * sizeof(struct sock_filter) : 0;
}

int rt_security_set_no_new_privs(st_error_t *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int e = errno;
		if (err)
			st_error(err, e, "prctl PR_SET_NO_NEW_PRIVS");
		return -e;
	}
	return 0;
}

int rt_seccomp_load(const struct rt_seccomp_prog *prog, st_error_t *err)
{
	if (!prog)
		return 0;
	struct sock_fprog fprog = {.len = (unsigned short)prog->n, .filter = prog->insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) {
		int e = errno;
		if (err)
			st_error(err, e, "seccomp SECCOMP_SET_MODE_FILTER (%zu instructions)", prog->n);
		return -e;
	}
	return 0;
}

/* The cache file's name holds everything the BPF depends on: the profile
 * (the built-in one by the digest of its source, taken at build time, so
 * a warm start hashes nothing and never loads libcrypto; a file profile by
 * the sha256 of its text), the caps (conditional rules), the native arch,
 * the kernel release (minKernel includes), libseccomp's version and our
 * format. */
static char *cache_file_name(const char *dir, const char *profile_digest, uint64_t caps)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	for (char *c = u.release; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			*c = '_';
	return xasprintf("%s/%s-%.32s-%016llx-%08x-%s-%u.%u.%u.bpf", dir, SC_CACHE_FORMAT, profile_digest,
			 (unsigned long long)caps, seccomp_arch_native(), u.release, v ? v->major : 0,
			 v ? v->minor : 0, v ? v->micro : 0);
}

static int text_digest(const char *text, size_t len, char hex[ST_SHA256_HEX_LEN + 1], st_error_t *err)
{
	struct st_sha256 h;
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	st_sha256_update(&h, text, len);
	st_sha256_end_hex(&h, hex);
	return 0;
}

/* A cache entry is the BPF followed by one trailer "instruction": a magic
 * and the CRC-32 of the program, so a damaged file (disk error, someone's
 * editor) is recompiled instead of loaded.  Writes are atomic, so a torn
 * entry cannot happen.  Only a file we own and nobody else can write is
 * trusted: a planted filter would run in every container. */
#define SC_TRAILER_MAGIC 0x53544b42u /* "STKB" */

static uint32_t prog_crc(const void *insns, size_t len)
{
	return (uint32_t)crc32(0, insns, (uInt)len);
}

/* A program file (the cache's format) on an open fd: NULL unless it is a
 * regular file we own that nobody else can write, with a good trailer. */
static struct rt_seccomp_prog *read_prog_fd(int fd, const char *path)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return NULL;
	char *data = NULL;
	size_t len = 0;
	const size_t insn = sizeof(struct sock_filter);
	if (fs_read_fd(fd, path, (BPF_MAXINSNS + 1) * insn, &data, &len, NULL) < 0)
		return NULL;
	uint32_t trailer[2] = {0, 0};
	if (len > insn && len % insn == 0)
		memcpy(trailer, data + len - insn, insn);
	if (trailer[0] != SC_TRAILER_MAGIC || trailer[1] != prog_crc(data, len - insn)) {
		free(data);
		return NULL;
	}
	struct rt_seccomp_prog *p = xzalloc(sizeof(*p));
	p->insns = (struct sock_filter *)(void *)data;
	p->n = (len - insn) / insn;
	return p;
}

static struct rt_seccomp_prog *cache_read(const char *path)
{
	/* The checks on the open file, not the path: what we check is what
	 * we read (and one stat instead of two on every start). */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct rt_seccomp_prog *p = read_prog_fd(fd, path);
	if (p) {
		p->from_cache = true;
		p->cache_path = xstrdup(path);
	}
	return p;
}

static int write_prog(const char *path, const struct rt_seccomp_prog *p, bool sync, st_error_t *err)
{
	size_t n = p->n * sizeof(struct sock_filter);
	_cleanup_free_ unsigned char *buf = xmalloc(n + sizeof(struct sock_filter));
	memcpy(buf, p->insns, n);
	uint32_t trailer[2] = {SC_TRAILER_MAGIC, prog_crc(p->insns, n)};
	memcpy(buf + n, trailer, sizeof(trailer));
	return sync ? fs_write_file_atomic(path, buf, n + sizeof(trailer), 0600, err)
		    : fs_write_file_atomic_volatile(path, buf, n + sizeof(trailer), 0600, err);
}

static int cache_write(const char *dir, const char *path, const struct rt_seccomp_prog *p, st_error_t *err)
{
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	fs_sweep_tmp(dir); /* what a writer killed mid-way left */
	return write_prog(path, p, true, err);
}

int rt_seccomp_prog_save(const struct rt_seccomp_prog *prog, const char *path, st_error_t *err)
{
	return write_prog(path, prog, false, err);
}

int rt_seccomp_prog_load_at(int dirfd, const char *name, struct rt_seccomp_prog **out, st_error_t *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	*out = read_prog_fd(fd, name);
	if (!*out)
		return st_error(err, fd < 0 ? errno : EINVAL,
				"seccomp program `%s`: missing, damaged, or not a file only we can write", name);
	return 0;
}

/* seccomp_export_bpf writes to an fd; a memfd keeps it off the disk. */
static int export_bpf(scmp_filter_ctx f, struct rt_seccomp_prog **out, st_error_t *err)
{
	_cleanup_close_ int fd = memfd_create("stack-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "memfd_create");
	int r = seccomp_export_bpf(f, fd);
	if (r < 0)
		return st_error(err, -r, "seccomp_export_bpf");
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter) != 0 ||
	    len > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter)))
		return st_error(err, EINVAL, "seccomp_export_bpf: unexpected program size %lld", (long long)len);
	_cleanup_free_ char *buf = xmalloc((size_t)len);
	if (pread(fd, buf, (size_t)len, 0) != len)
		return st_error(err, errno ? errno : EIO, "read exported seccomp program");
	struct rt_seccomp_prog *p = xzalloc(sizeof(*p));
	p->insns = (struct sock_filter *)(void *)steal_pointer(&buf);
	p->n = (size_t)len / sizeof(struct sock_filter);
	*out = p;
	return 0;
}

static int compile_text(const char *text, size_t len, uint64_t caps, const char *label,
			struct rt_seccomp_prog **out, st_error_t *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root)
		return st_error(err, EINVAL, "%s:%d:%d: invalid JSON in seccomp profile: %s", label, jerr.line,
				jerr.column, jerr.text);
	scmp_filter_ctx f = NULL;
	int r = sc_compile_profile(root, caps, label, &f, err);
	json_decref(root);
	if (r < 0)
		return -1;
	r = export_bpf(f, out, err);
	seccomp_release(f);
	return r;
}

int rt_seccomp_prepare(enum rt_seccomp_mode mode, const char *profile_path, const struct rt_caps *caps,
		       const char *cache_dir, struct rt_seccomp_prog **out, st_error_t *err)
{
	*out = NULL;
	if (mode == RT_SECCOMP_UNCONFINED)
		return 0;
	uint64_t capmask = caps ? caps->set : rt_caps_default_mask();
	_cleanup_free_ char *file_text = NULL, *cache_path = NULL;
	const char *text = NULL;
	size_t len = 0;
	const char *label;
	char digest[ST_SHA256_HEX_LEN + 1] = RT_SECCOMP_DEFAULT_DIGEST;
	if (mode == RT_SECCOMP_DEFAULT) {
		label = "(built-in default)";
	} else if (mode == RT_SECCOMP_PROFILE) {
		if (!profile_path)
			return st_error(err, EINVAL, "seccomp: a profile mode needs a file");
		if (fs_read_file(profile_path, 16u << 20, &file_text, &len, err) < 0)
			return st_error_prefix(err, "seccomp profile");
		text = file_text;
		label = profile_path;
		if (cache_dir && text_digest(text, len, digest, err) < 0)
			return st_error_prefix(err, "seccomp profile `%s`", profile_path);
	} else {
		return st_error(err, EINVAL, "seccomp: unknown mode %d", (int)mode);
	}
	if (cache_dir) {
		cache_path = cache_file_name(cache_dir, digest, capmask);
		struct rt_seccomp_prog *p = cache_read(cache_path);
		if (p) {
			*out = p;
			return 0;
		}
	}
	if (!text)
		text = sc_default_profile_json(&len);
	struct rt_seccomp_prog *p = NULL;
	if (compile_text(text, len, capmask, label, &p, err) < 0)
		return -1;
	if (cache_path) {
		/* The cache only saves time: failing to fill it is not fatal,
		 * the next start compiles again. */
		st_error_t e = NULL;
		if (cache_write(cache_dir, cache_path, p, &e) == 0)
			p->cache_path = steal_pointer(&cache_path);
		st_error_free(&e);
	}
	*out = p;
	return 0;
}
