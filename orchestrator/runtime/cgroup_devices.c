/* The device allow-list of a container's cgroup: which device nodes its
 * processes may open (read, write) and make (mknod).
 *
 * Root in a container holds CAP_MKNOD (Docker's default set), so without
 * an allow-list it can make a node for any host device (a disk, a loop
 * device, /dev/kvm) and open it, and a node shipped in an image opens for
 * anyone its mode allows.  The kernel checks every open and mknod of a
 * device node against the cgroup of the caller: on cgroup v1 the devices
 * controller's exception list (default deny, then the allowed rules, as
 * written to devices.deny and devices.allow), on cgroup v2 the
 * BPF_PROG_TYPE_CGROUP_DEVICE programs attached to the cgroup and its
 * ancestors (each must allow).  Both run on a hybrid host; we use v1
 * where its controller is mounted (a plain file write, no verifier) and
 * BPF otherwise.
 *
 * The BPF program is generated from the rules and loaded with the raw
 * bpf(2) syscall: a dozen instructions per rule do not need libbpf. */
#include "runtime/cgroup_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Docker's default allow-list: what runc (libcontainer/specconv's
 * AllowedDevices, as of runc 1.2.4 and later, Docker 27/28) gives an
 * unprivileged container.
 *
 * mknod of any node is allowed (`c *:* m`, `b *:* m`), as Docker does:
 * package scripts and archive extraction (a builder's RUN step) make
 * nodes, and a node that cannot be opened is harmless.  Opening is what
 * the list restricts: null, zero, full, random, urandom, tty, console,
 * ptmx and the pts ptys, plus the tun/tap clone device.  runc 1.2.0
 * dropped tun/tap and 1.2.4 put it back (users relied on it); we follow
 * the current list.  Opening /dev/net/tun does nothing without
 * CAP_NET_ADMIN, which Docker's default set (and ours) leaves out. */
const struct rt_device_rule rt_device_rules_default[] = {
	{'c', -1, -1, RT_DEV_MKNOD},
	{'b', -1, -1, RT_DEV_MKNOD},
	{'c', 1, 3, RT_DEV_RWM},   /* /dev/null */
	{'c', 1, 5, RT_DEV_RWM},   /* /dev/zero */
	{'c', 1, 7, RT_DEV_RWM},   /* /dev/full */
	{'c', 1, 8, RT_DEV_RWM},   /* /dev/random */
	{'c', 1, 9, RT_DEV_RWM},   /* /dev/urandom */
	{'c', 5, 0, RT_DEV_RWM},   /* /dev/tty */
	{'c', 5, 1, RT_DEV_RWM},   /* /dev/console */
	{'c', 5, 2, RT_DEV_RWM},   /* /dev/ptmx */
	{'c', 136, -1, RT_DEV_RWM}, /* /dev/pts/N */
	{'c', 10, 200, RT_DEV_RWM}, /* /dev/net/tun */
};
const size_t rt_n_device_rules_default = ARRAY_SIZE(rt_device_rules_default);

/* ---- cgroup v1: devices.deny and devices.allow ---- */

static void rule_text(const struct rt_device_rule *r, char *buf, size_t size)
{
	char maj[24], min[24], acc[4];
	size_t n = 0;
	if (r->access & RT_DEV_READ)
		acc[n++] = 'r';
	if (r->access & RT_DEV_WRITE)
		acc[n++] = 'w';
	if (r->access & RT_DEV_MKNOD)
		acc[n++] = 'm';
	acc[n] = '\0';
	snprintf(maj, sizeof(maj), r->major < 0 ? "*" : "%lld", (long long)r->major);
	snprintf(min, sizeof(min), r->minor < 0 ? "*" : "%lld", (long long)r->minor);
	snprintf(buf, size, "%c %s:%s %s", r->type, maj, min, acc);
}

static int apply_v1(const char *dir, const struct rt_device_rule *rules, size_t n, st_error_t *err)
{
	/* "a" denies everything and empties the exception list the new
	 * cgroup inherited from its parent; each allow then adds one
	 * exception.  The kernel parses one rule per write(), so one open
	 * of devices.allow takes them all. */
	if (cg_write(dir, "devices.deny", "a", err) < 0)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/devices.allow", dir);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `%s`", path);
	for (size_t i = 0; i < n; i++) {
		if (!rules[i].access)
			continue;
		char text[64];
		rule_text(&rules[i], text, sizeof(text));
		ssize_t w;
		do
			w = write(fd, text, strlen(text));
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)strlen(text))
			return st_error(err, w < 0 ? errno : EIO, "write `%s` to `%s`", text, path);
	}
	return 0;
}

/* ---- cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program ---- */

#define PROG_MAX_INSNS 4096

struct prog {
	struct bpf_insn *insn;
	size_t n, cap;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	p->insn = xgrow(p->insn, &p->cap, p->n + 1, sizeof(*p->insn));
	p->insn[p->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* Registers once the context is read (r1 holds it on entry). */
enum { R0 = 0, R1 = 1, R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5 };

/* The program: load the request (device type, access wanted, major,
 * minor), then one block per rule that jumps to the next block on any
 * mismatch and returns 1 (allow) when everything matched; falling off
 * the last block returns 0 (deny).  An access matches when every bit the
 * request wants is in the rule's. */
static void build_prog(const struct rt_device_rule *rules, size_t n, struct prog *p)
{
	emit(p, BPF_LDX | BPF_MEM | BPF_W, R_TYPE, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R_ACCESS, R_TYPE, 0, 0);
	emit(p, BPF_ALU64 | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
	emit(p, BPF_ALU64 | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, R1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, R_MINOR, R1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	for (size_t i = 0; i < n; i++) {
		const struct rt_device_rule *r = &rules[i];
		unsigned acc = r->access & RT_DEV_RWM;
		if (!acc)
			continue;
		/* The jumps' offsets count the instructions left in the block
		 * after each jump, up to and including its `exit`. */
		int len = 2 + (r->type != 'a') + (acc != RT_DEV_RWM ? 3 : 0) + (r->major >= 0) + (r->minor >= 0);
		int left = len;
		if (r->type != 'a') {
			int t = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R_TYPE, 0, (int16_t)--left, t);
		}
		if (acc != RT_DEV_RWM) {
			emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R1, R_ACCESS, 0, 0);
			emit(p, BPF_ALU64 | BPF_AND | BPF_K, R1, 0, 0, (int32_t)(~acc & RT_DEV_RWM));
			left -= 2;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R1, 0, (int16_t)--left, 0);
		}
		if (r->major >= 0)
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R_MAJOR, 0, (int16_t)--left, (int32_t)r->major);
		if (r->minor >= 0)
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R_MINOR, 0, (int16_t)--left, (int32_t)r->minor);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
		emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_prog(const struct prog *p, const char *cgdir, st_error_t *err)
{
	static const char license[] = "GPL";
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t)license;
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	int e = errno;
	if (e != EINVAL && e != EACCES)
		return st_error(err, e, "cgroup `%s`: load the BPF device program (bpf BPF_PROG_LOAD; needs "
				"CAP_BPF or CAP_SYS_ADMIN)", cgdir);
	/* Refused by the verifier: load again with its log, for the
	 * message (a bug of ours, so worth the detail). */
	_cleanup_free_ char *log = xzalloc(16384);
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = 16384;
	attr.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	size_t len = strlen(log);
	while (len > 0 && log[len - 1] == '\n')
		log[--len] = '\0';
	const char *last = strrchr(log, '\n');
	return st_error(err, e, "cgroup `%s`: the kernel refused the BPF device program (%zu instructions): %s",
			cgdir, p->n, last ? last + 1 : log[0] ? log : "no verifier log");
}

/* A cgroup reused after a crash still has the programs of its previous
 * container attached; with BPF_F_ALLOW_MULTI every one of them would
 * have to allow a device too, so an old list could deny what the new one
 * allows.  Detach them (there are none on a new directory). */
static int detach_old(int cgfd, const char *cgdir, st_error_t *err)
{
	uint32_t ids[64];
	union bpf_attr q;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)cgfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = ARRAY_SIZE(ids);
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0)
		return st_error(err, errno, "cgroup `%s`: query its BPF device programs", cgdir);
	for (uint32_t i = 0; i < q.query.prog_cnt && i < ARRAY_SIZE(ids); i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[i];
		_cleanup_close_ int pfd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (pfd < 0 && errno == ENOENT)
			continue; /* detached meanwhile */
		if (pfd < 0)
			return st_error(err, errno, "cgroup `%s`: open its BPF device program %u", cgdir, ids[i]);
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)pfd;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
			return st_error(err, errno, "cgroup `%s`: detach its old BPF device program %u", cgdir, ids[i]);
	}
	return 0;
}

static int attach_prog(int cgfd, const char *cgdir, const struct prog *p, st_error_t *err)
{
	if (detach_old(cgfd, cgdir, err) < 0)
		return -1;
	_cleanup_close_ int pfd = load_prog(p, cgdir, err);
	if (pfd < 0)
		return -1;
	/* ALLOW_MULTI: an ancestor's programs (systemd's, say) keep running
	 * too, and a container's own nested cgroups could add theirs. */
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)pfd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return st_error(err, errno, "cgroup `%s`: attach the BPF device program (bpf BPF_PROG_ATTACH)", cgdir);
	/* The attachment holds the program: closing our fd does not detach
	 * it, removing the directory does. */
	return 0;
}

static int apply_v2(int cgfd, const char *cgdir, const struct rt_device_rule *rules, size_t n, st_error_t *err)
{
	struct prog p = {0};
	build_prog(rules, n, &p);
	int r;
	if (p.n > PROG_MAX_INSNS)
		r = st_error(err, E2BIG, "cgroup `%s`: %zu device rules make a BPF program of %zu instructions (at most %d)",
			     cgdir, n, p.n, PROG_MAX_INSNS);
	else
		r = attach_prog(cgfd, cgdir, &p, err);
	free(p.insn);
	return r;
}

int cg_apply_devices(struct rt_cgroup *cg, const struct rt_device_rule *rules, size_t n, st_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct rt_device_rule *r = &rules[i];
		if ((r->type != 'a' && r->type != 'b' && r->type != 'c') || (r->access & ~RT_DEV_RWM) ||
		    r->major < -1 || r->major > INT32_MAX || r->minor < -1 || r->minor > INT32_MAX)
			return st_error(err, EINVAL, "cgroup `%s`: device rule %zu (type `%c`, %lld:%lld) is invalid",
					cg->rel, i, r->type ? r->type : '?', (long long)r->major, (long long)r->minor);
	}
	struct cg_dir *d = cg_dir_for(cg, CG_DEVICES);
	if (d)
		return apply_v1(d->path, rules, n, err);
	struct cg_dir *v2 = cg_dir_v2(cg);
	if (!v2 || cg->v2_fd < 0)
		return st_error(err, ENOTSUP, "cgroup `%s`: no devices controller and no cgroup2 directory to hold "
				"the device allow-list", cg->rel);
	return apply_v2(cg->v2_fd, v2->path, rules, n, err);
}
