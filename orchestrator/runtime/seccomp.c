/* Seccomp programs: compile once in the parent (or take the BPF from the
 * cache), load in the child with the bare seccomp(2) syscall. */
#include "runtime/seccomp_internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <openssl/evp.h>
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

/* sha256 over everything the BPF depends on: the profile text, the caps
 * (conditional rules), the native arch, the kernel release (minKernel
 * includes), libseccomp's version and our format. */
static int cache_key(const char *profile, size_t len, uint64_t caps, char hex[65], st_error_t *err)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	char meta[512];
	int m = snprintf(meta, sizeof(meta), "%s\n%016llx\n%08x\n%s\n%u.%u.%u\n", SC_CACHE_FORMAT,
			 (unsigned long long)caps, seccomp_arch_native(), u.release, v ? v->major : 0,
			 v ? v->minor : 0, v ? v->micro : 0);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
	if (!md_ctx || EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md_ctx, meta, (size_t)m) != 1 || EVP_DigestUpdate(md_ctx, profile, len) != 1 ||
	    EVP_DigestFinal_ex(md_ctx, md, &mdlen) != 1) {
		EVP_MD_CTX_free(md_ctx);
		return st_error(err, 0, "sha256 of the seccomp profile failed");
	}
	EVP_MD_CTX_free(md_ctx);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int sha256(const void *data, size_t len, unsigned char md[32])
{
	unsigned mdlen = 0;
	return EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32 ? 0 : -1;
}

/* A cache entry is the BPF followed by its own sha256, so a damaged file
 * (disk error, someone's editor) is recompiled instead of loaded.  Only a
 * file we own and nobody else can write is trusted: a planted filter
 * would run in every container. */
static struct rt_seccomp_prog *cache_read(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return NULL;
	char *data = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (fs_read_file(path, BPF_MAXINSNS * sizeof(struct sock_filter) + 32, &data, &len, &e) < 0) {
		st_error_free(&e);
		return NULL;
	}
	unsigned char md[32];
	if (len <= 32 || (len - 32) % sizeof(struct sock_filter) != 0 || sha256(data, len - 32, md) < 0 ||
	    memcmp(md, data + len - 32, 32) != 0) {
		free(data);
		return NULL;
	}
	struct rt_seccomp_prog *p = xzalloc(sizeof(*p));
	p->insns = (struct sock_filter *)(void *)data;
	p->n = (len - 32) / sizeof(struct sock_filter);
	p->from_cache = true;
	p->cache_path = xstrdup(path);
	return p;
}

static int cache_write(const char *dir, const char *path, const struct rt_seccomp_prog *p, st_error_t *err)
{
	size_t n = p->n * sizeof(struct sock_filter);
	_cleanup_free_ unsigned char *buf = xmalloc(n + 32);
	memcpy(buf, p->insns, n);
	if (sha256(buf, n, buf + n) < 0)
		return st_error(err, 0, "sha256 of the seccomp program failed");
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	return fs_write_file_atomic(path, buf, n + 32, 0600, err);
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
	_cleanup_free_ char *file_text = NULL;
	const char *text;
	size_t len;
	const char *label;
	if (mode == RT_SECCOMP_DEFAULT) {
		text = sc_default_profile_json(&len);
		label = "(built-in default)";
	} else if (mode == RT_SECCOMP_PROFILE) {
		if (!profile_path)
			return st_error(err, EINVAL, "seccomp: a profile mode needs a file");
		if (fs_read_file(profile_path, 16u << 20, &file_text, &len, err) < 0)
			return st_error_prefix(err, "seccomp profile");
		text = file_text;
		label = profile_path;
	} else {
		return st_error(err, EINVAL, "seccomp: unknown mode %d", (int)mode);
	}
	_cleanup_free_ char *cache_path = NULL;
	if (cache_dir) {
		char hex[65];
		if (cache_key(text, len, capmask, hex, err) < 0)
			return -1;
		cache_path = xasprintf("%s/%s.bpf", cache_dir, hex);
		struct rt_seccomp_prog *p = cache_read(cache_path);
		if (p) {
			*out = p;
			return 0;
		}
	}
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
