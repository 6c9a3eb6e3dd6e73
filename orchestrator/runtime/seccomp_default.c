/* The built-in seccomp profile: an allow-list equivalent to Docker's
 * profiles/seccomp/default.json, written from its documented rules, in the
 * same JSON format a user can pass with seccomp=PATH (so one compiler serves
 * both, and the exact bytes key the BPF cache).
 *
 * Differences from Docker's file, on purpose:
 *  - ptrace, process_vm_readv/writev need CAP_SYS_PTRACE (Docker allows
 *    them on kernels >= 4.8 for everyone);
 *  - kexec_load/kexec_file_load need CAP_SYS_BOOT;
 *  - io_uring_* are not allowed (as in Docker 25+);
 *  - with CAP_SYS_ADMIN, mount(2) may not remount anything writable and
 *    mount_setattr() is refused (Docker leaves that to AppArmor): the
 *    container's read-only mounts stay read-only.
 * Names libseccomp does not know are skipped when compiling. */
#include "runtime/seccomp_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Allowed for every container. */
static const char *const allow_always[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
	"chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
	"clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
	"dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
	"exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
	"fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
	"fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
	"futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu",
	"getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
	"getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
	"getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
	"getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
	"get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
	"io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
	"io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
	"listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
	"madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
	"mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
	"mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
	"msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep", "newfstatat",
	"_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
	"pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
	"pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64",
	"pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv",
	"recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
	"renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
	"rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
	"semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
	"sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
	"setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
	"setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
	"set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
	"setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
	"signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
	"stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
	"syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
	"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
	"timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
	"truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
	"utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
	"write", "writev", NULL,
};

struct def_arg {
	unsigned index;
	unsigned long long value, value_two;
	const char *op;
};

/* Lists are space-separated words, to keep the table readable. */
struct def_rule {
	const char *names;
	const char *action;   /* NULL: SCMP_ACT_ALLOW */
	int errno_ret;
	const char *incl_caps, *excl_caps, *incl_arches, *excl_arches;
	struct def_arg args[1];
	unsigned nargs;
	const char *comment;
};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NS_FLAGS 0x7E020000ULL
#define AF_ALG_NUM 38
#define AF_VSOCK_NUM 40
#define MS_RDONLY_NUM 0x1ULL
#define MS_REMOUNT_NUM 0x20ULL

static const struct def_rule rules[] = {
	{.names = "personality", .nargs = 1, .args = {{0, 0x0, 0, "SCMP_CMP_EQ"}}},
	{.names = "personality", .nargs = 1, .args = {{0, 0x0008, 0, "SCMP_CMP_EQ"}}},
	{.names = "personality", .nargs = 1, .args = {{0, 0x20000, 0, "SCMP_CMP_EQ"}}},
	{.names = "personality", .nargs = 1, .args = {{0, 0x20008, 0, "SCMP_CMP_EQ"}}},
	{.names = "personality", .nargs = 1, .args = {{0, 0xffffffff, 0, "SCMP_CMP_EQ"}}},
	/* socket() for every family but AF_ALG (38: the kernel's crypto API,
	 * a long record of bugs) and AF_VSOCK (40: reaches the host's
	 * hypervisor), as Docker's default profile. */
	{.names = "socket", .nargs = 1, .args = {{0, AF_ALG_NUM, 0, "SCMP_CMP_LT"}}},
	{.names = "socket", .nargs = 1, .args = {{0, AF_ALG_NUM + 1, 0, "SCMP_CMP_EQ"}}},
	{.names = "socket", .nargs = 1, .args = {{0, AF_VSOCK_NUM, 0, "SCMP_CMP_GT"}},
	 .comment = "socket() except AF_ALG (38) and AF_VSOCK (40)"},
	{.names = "arch_prctl modify_ldt", .incl_arches = "amd64 x32 x86"},
	{.names = "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
	 .incl_arches = "arm arm64"},
	{.names = "riscv_flush_icache", .incl_arches = "riscv64"},
	{.names = "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
	 .incl_arches = "s390 s390x"},
	{.names = "open_by_handle_at", .incl_caps = "CAP_DAC_READ_SEARCH"},
	{.names = "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
		  "move_mount open_tree perf_event_open pivot_root quotactl quotactl_fd "
		  "setdomainname sethostname setns syslog umount umount2 unshare",
	 .incl_caps = "CAP_SYS_ADMIN"},
	/* mount(2) but a remount that makes a mount writable: what the
	 * runtime made read-only (/sys/fs/cgroup, /sys, read-only binds and
	 * the root) stays so with CAP_SYS_ADMIN.  mount_setattr() could clear
	 * MOUNT_ATTR_RDONLY from a struct seccomp cannot read: not allowed. */
	{.names = "mount", .nargs = 1, .args = {{3, MS_REMOUNT_NUM, 0, "SCMP_CMP_MASKED_EQ"}},
	 .incl_caps = "CAP_SYS_ADMIN", .comment = "mount, not a remount"},
	{.names = "mount", .nargs = 1,
	 .args = {{3, MS_REMOUNT_NUM | MS_RDONLY_NUM, MS_REMOUNT_NUM | MS_RDONLY_NUM, "SCMP_CMP_MASKED_EQ"}},
	 .incl_caps = "CAP_SYS_ADMIN", .comment = "a remount that leaves the mount read-only"},
	{.names = "clone", .nargs = 1, .args = {{0, CLONE_NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ"}},
	 .excl_caps = "CAP_SYS_ADMIN", .excl_arches = "s390 s390x",
	 .comment = "clone without namespace flags"},
	{.names = "clone", .nargs = 1, .args = {{1, CLONE_NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ"}},
	 .excl_caps = "CAP_SYS_ADMIN", .incl_arches = "s390 s390x",
	 .comment = "s390 clone takes the flags second"},
	{.names = "clone3", .action = "SCMP_ACT_ERRNO", .errno_ret = ENOSYS, .excl_caps = "CAP_SYS_ADMIN",
	 .comment = "clone3's flags are in memory, not filterable: ENOSYS makes libc fall back to clone"},
	{.names = "reboot kexec_load kexec_file_load", .incl_caps = "CAP_SYS_BOOT"},
	{.names = "chroot", .incl_caps = "CAP_SYS_CHROOT"},
	{.names = "delete_module init_module finit_module", .incl_caps = "CAP_SYS_MODULE"},
	{.names = "acct", .incl_caps = "CAP_SYS_PACCT"},
	{.names = "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
	 .incl_caps = "CAP_SYS_PTRACE"},
	{.names = "iopl ioperm", .incl_caps = "CAP_SYS_RAWIO"},
	{.names = "settimeofday stime clock_settime clock_settime64", .incl_caps = "CAP_SYS_TIME"},
	{.names = "vhangup", .incl_caps = "CAP_SYS_TTY_CONFIG"},
	{.names = "get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
	 .incl_caps = "CAP_SYS_NICE"},
	{.names = "syslog", .incl_caps = "CAP_SYSLOG"},
	{.names = "bpf", .incl_caps = "CAP_BPF"},
	{.names = "perf_event_open", .incl_caps = "CAP_PERFMON"},
};

static json_t *str_array(const char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *words_array(const char *words)
{
	json_t *a = json_array();
	for (const char *p = words; p && *p;) {
		size_t n = strcspn(p, " ");
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		p += strspn(p, " ");
	}
	return a;
}

static json_t *build_profile(void)
{
	json_t *root = json_object();
	json_object_set_new(root, "defaultAction", json_string("SCMP_ACT_ERRNO"));
	json_object_set_new(root, "defaultErrnoRet", json_integer(EPERM));
	json_t *archmap = json_array();
	static const struct {
		const char *arch;
		const char *sub;
	} archs[] = {
		{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86 SCMP_ARCH_X32"},
		{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"},
		{"SCMP_ARCH_PPC64LE", "SCMP_ARCH_PPC64 SCMP_ARCH_PPC"},
		{"SCMP_ARCH_S390X", "SCMP_ARCH_S390"},
		{"SCMP_ARCH_RISCV64", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(archs); i++) {
		json_t *e = json_object();
		json_object_set_new(e, "architecture", json_string(archs[i].arch));
		json_object_set_new(e, "subArchitectures", words_array(archs[i].sub));
		json_array_append_new(archmap, e);
	}
	json_object_set_new(root, "archMap", archmap);

	json_t *syscalls = json_array();
	json_t *all = json_object();
	json_object_set_new(all, "names", str_array(allow_always));
	json_object_set_new(all, "action", json_string("SCMP_ACT_ALLOW"));
	json_array_append_new(syscalls, all);
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct def_rule *r = &rules[i];
		json_t *e = json_object();
		json_object_set_new(e, "names", words_array(r->names));
		json_object_set_new(e, "action", json_string(r->action ? r->action : "SCMP_ACT_ALLOW"));
		if (r->errno_ret)
			json_object_set_new(e, "errnoRet", json_integer(r->errno_ret));
		if (r->nargs) {
			json_t *args = json_array();
			for (unsigned a = 0; a < r->nargs; a++)
				json_array_append_new(args, json_pack("{s:I,s:I,s:I,s:s}", "index",
								      (json_int_t)r->args[a].index, "value",
								      (json_int_t)r->args[a].value, "valueTwo",
								      (json_int_t)r->args[a].value_two, "op",
								      r->args[a].op));
			json_object_set_new(e, "args", args);
		}
		json_t *inc = json_object(), *exc = json_object();
		if (r->incl_caps)
			json_object_set_new(inc, "caps", words_array(r->incl_caps));
		if (r->incl_arches)
			json_object_set_new(inc, "arches", words_array(r->incl_arches));
		if (r->excl_caps)
			json_object_set_new(exc, "caps", words_array(r->excl_caps));
		if (r->excl_arches)
			json_object_set_new(exc, "arches", words_array(r->excl_arches));
		json_object_set_new(e, "includes", inc);
		json_object_set_new(e, "excludes", exc);
		if (r->comment)
			json_object_set_new(e, "comment", json_string(r->comment));
		json_array_append_new(syscalls, e);
	}
	json_object_set_new(root, "syscalls", syscalls);
	return root;
}

/* Built once and kept: the supervisor prepares many containers, and the
 * text is also the cache key's input.  pthread_once, because start and
 * exec run on more than one thread: the text and its length are published
 * together. */
static char *default_text;
static size_t default_len;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void build_default_text(void)
{
	json_t *root = build_profile();
	char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		abort();
	default_len = strlen(text);
	default_text = text;
}

const char *sc_default_profile_json(size_t *len)
{
	pthread_once(&default_once, build_default_text);
	if (len)
		*len = default_len;
	return default_text;
}
