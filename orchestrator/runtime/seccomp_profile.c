/* Docker-format seccomp profiles (profiles/seccomp/default.json and what
 * `docker run --security-opt seccomp=FILE` accepts) compiled into a
 * libseccomp filter for one container's caps and the native arch.
 * Errors name the file and the JSON path: "`p.json`: syscalls[3].action". */
#include "runtime/caps.h"
#include "runtime/seccomp_internal.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

struct ctx {
	const char *label;
	uint64_t caps;
	uint32_t native;
	const char *go_arch; /* Docker's includes.arches use Go arch names */
	st_error_t *err;
};

__attribute__((format(printf, 3, 4))) static int perr(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return st_error(c->err, EINVAL, "seccomp profile `%s`: %s: %s", c->label, path, msg);
}

static const struct {
	const char *name;
	uint32_t act; /* ERRNO/TRACE take the data in the low 16 bits */
} actions[] = {
	{"SCMP_ACT_KILL", SCMP_ACT_KILL},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG},
};

/* json `v` at `path` -> action; errno_ret applies to ERRNO/TRACE. */
static int parse_action(struct ctx *c, json_t *v, const char *path, json_t *errno_ret, int dflt_errno,
			uint32_t *out)
{
	if (!json_is_string(v))
		return perr(c, path, "expected an action name such as SCMP_ACT_ALLOW");
	const char *s = json_string_value(v);
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].name, s) != 0)
			continue;
		uint32_t a = actions[i].act;
		if (a == SCMP_ACT_ERRNO(0) || a == SCMP_ACT_TRACE(0)) {
			json_int_t e = dflt_errno;
			if (errno_ret) {
				if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
				    json_integer_value(errno_ret) > 0xffff)
					return perr(c, path, "errnoRet must be an integer 0..65535");
				e = json_integer_value(errno_ret);
			}
			a = a == SCMP_ACT_ERRNO(0) ? SCMP_ACT_ERRNO((uint16_t)e) : SCMP_ACT_TRACE((uint16_t)e);
		}
		*out = a;
		return 0;
	}
	if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
		return perr(c, path, "`%s` is not supported (no seccomp agent)", s);
	return perr(c, path,
		    "unknown action `%s` (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
		    "SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG)",
		    s);
}

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
	{"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 if unknown. */
static uint32_t arch_token(const char *name)
{
	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	char buf[32];
	size_t n = strlen(name);
	if (n >= sizeof(buf))
		return 0;
	for (size_t i = 0; i <= n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	return seccomp_arch_resolve_name(buf);
}

static bool str_in(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcasecmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool caps_in(struct ctx *c, json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			continue;
		int cap = rt_caps_from_name(json_string_value(v));
		if (cap >= 0 && (c->caps & (1ULL << cap)))
			return true;
	}
	return false;
}

/* "5.4.0-1" >= "4.8"? */
static bool kernel_at_least(const char *want)
{
	struct utsname u;
	if (uname(&u) < 0)
		return false;
	unsigned a = 0, b = 0, x = 0, y = 0;
	if (sscanf(want, "%u.%u", &a, &b) < 1 || sscanf(u.release, "%u.%u", &x, &y) < 1)
		return false;
	return x > a || (x == a && y >= b);
}

/* Docker's rule filter: includes all must match, excludes none. */
static int rule_applies(struct ctx *c, json_t *rule, const char *path, bool *out)
{
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
	char p[128];
	*out = true;
	for (int k = 0; k < 2; k++) {
		json_t *o = k == 0 ? inc : exc;
		if (!o || json_is_null(o))
			continue;
		snprintf(p, sizeof(p), "%s.%s", path, k == 0 ? "includes" : "excludes");
		if (!json_is_object(o))
			return perr(c, p, "expected an object with caps, arches, minKernel");
		json_t *caps = json_object_get(o, "caps"), *arches = json_object_get(o, "arches");
		json_t *mk = json_object_get(o, "minKernel");
		if ((caps && !json_is_array(caps)) || (arches && !json_is_array(arches)) ||
		    (mk && !json_is_string(mk)))
			return perr(c, p, "caps and arches must be arrays, minKernel a string");
		bool cap_hit = caps && json_array_size(caps) && caps_in(c, caps);
		bool arch_hit = arches && json_array_size(arches) &&
				(str_in(arches, c->go_arch) || (strcmp(c->go_arch, "amd64") == 0 && str_in(arches, "x86_64")));
		bool kern_hit = mk && kernel_at_least(json_string_value(mk));
		if (k == 0) {
			/* every stated include must hold */
			if ((caps && json_array_size(caps) && !cap_hit) || (arches && json_array_size(arches) && !arch_hit) ||
			    (mk && !kern_hit))
				*out = false;
		} else if (cap_hit || arch_hit || kern_hit) {
			*out = false;
		}
	}
	return 0;
}

static int parse_args(struct ctx *c, json_t *args, const char *path, struct scmp_arg_cmp *cmp, unsigned *n)
{
	*n = 0;
	if (!args || json_is_null(args))
		return 0;
	char p[160];
	if (!json_is_array(args))
		return perr(c, path, "args must be an array");
	if (json_array_size(args) > 6)
		return perr(c, path, "at most 6 args conditions");
	size_t i;
	json_t *a;
	json_array_foreach(args, i, a) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value");
		json_t *val2 = json_object_get(a, "valueTwo"), *op = json_object_get(a, "op");
		if (!json_is_object(a) || !json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) > 5)
			return perr(c, p, "index must be an integer 0..5");
		if (!json_is_integer(val) || (val2 && !json_is_null(val2) && !json_is_integer(val2)))
			return perr(c, p, "value and valueTwo must be integers");
		if (!json_is_string(op))
			return perr(c, p, "op must be a string such as SCMP_CMP_EQ");
		size_t k;
		for (k = 0; k < ARRAY_SIZE(ops); k++)
			if (strcmp(ops[k].name, json_string_value(op)) == 0)
				break;
		if (k == ARRAY_SIZE(ops))
			return perr(c, p, "unknown op `%s`", json_string_value(op));
		cmp[i] = (struct scmp_arg_cmp){
			.arg = (unsigned)json_integer_value(idx),
			.op = ops[k].op,
			.datum_a = (scmp_datum_t)json_integer_value(val),
			.datum_b = json_is_integer(val2) ? (scmp_datum_t)json_integer_value(val2) : 0,
		};
		(*n)++;
	}
	return 0;
}

static int add_rule(struct ctx *c, scmp_filter_ctx f, uint32_t act, int nr, const char *name,
		    const struct scmp_arg_cmp *cmp, unsigned n, const char *path)
{
	/* libseccomp refuses two conditions on one argument in a rule: like
	 * runc, turn such a list into one rule per condition (OR). */
	bool dup = false;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (cmp[i].arg == cmp[j].arg)
				dup = true;
	int r;
	if (!dup) {
		r = seccomp_rule_add_array(f, act, nr, n, cmp);
	} else {
		r = 0;
		for (unsigned i = 0; i < n && r == 0; i++)
			r = seccomp_rule_add_array(f, act, nr, 1, &cmp[i]);
	}
	if (r < 0) {
		char p[200];
		snprintf(p, sizeof(p), "%s (%s)", path, name);
		st_error(c->err, -r, "seccomp profile `%s`: %s: seccomp_rule_add", c->label, p);
		return -1;
	}
	return 0;
}

static int compile_rule(struct ctx *c, scmp_filter_ctx f, json_t *rule, size_t idx, uint32_t dflt, int dflt_errno)
{
	char path[64];
	snprintf(path, sizeof(path), "syscalls[%zu]", idx);
	if (!json_is_object(rule))
		return perr(c, path, "expected an object with names and action");
	bool applies;
	if (rule_applies(c, rule, path, &applies) < 0)
		return -1;
	char p[96];
	snprintf(p, sizeof(p), "%s.action", path);
	uint32_t act;
	if (parse_action(c, json_object_get(rule, "action"), p, json_object_get(rule, "errnoRet"), dflt_errno,
			 &act) < 0)
		return -1;
	struct scmp_arg_cmp cmp[6];
	unsigned ncmp;
	snprintf(p, sizeof(p), "%s.args", path);
	if (parse_args(c, json_object_get(rule, "args"), p, cmp, &ncmp) < 0)
		return -1;
	json_t *names = json_object_get(rule, "names"), *name = json_object_get(rule, "name");
	if (names && !json_is_array(names)) {
		snprintf(p, sizeof(p), "%s.names", path);
		return perr(c, p, "expected an array of syscall names");
	}
	if (name && !json_is_string(name)) {
		snprintf(p, sizeof(p), "%s.name", path);
		return perr(c, p, "expected a syscall name");
	}
	if (!names && !name)
		return perr(c, path, "needs `names` (or the legacy `name`)");
	/* Checked all the way through even when not applying, so a broken
	 * rule is reported on every host, not just where it is used. */
	if (!applies || act == dflt)
		return 0;
	size_t i;
	json_t *v;
	if (name) {
		int nr = seccomp_syscall_resolve_name(json_string_value(name));
		if (nr != __NR_SCMP_ERROR && add_rule(c, f, act, nr, json_string_value(name), cmp, ncmp, path) < 0)
			return -1;
	}
	json_array_foreach(names, i, v) {
		snprintf(p, sizeof(p), "%s.names[%zu]", path, i);
		if (!json_is_string(v))
			return perr(c, p, "expected a syscall name");
		/* Unknown to this libseccomp (newer than it): skip, as Docker does. */
		int nr = seccomp_syscall_resolve_name(json_string_value(v));
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (add_rule(c, f, act, nr, json_string_value(v), cmp, ncmp, p) < 0)
			return -1;
	}
	return 0;
}

static const char *native_go_arch(uint32_t native)
{
	switch (native) {
	case SCMP_ARCH_X86_64: return "amd64";
	case SCMP_ARCH_X86: return "x86";
	case SCMP_ARCH_X32: return "x32";
	case SCMP_ARCH_AARCH64: return "arm64";
	case SCMP_ARCH_ARM: return "arm";
	case SCMP_ARCH_PPC64LE: return "ppc64le";
	case SCMP_ARCH_S390X: return "s390x";
	case SCMP_ARCH_S390: return "s390";
	case SCMP_ARCH_RISCV64: return "riscv64";
	default: return "unknown";
	}
}

static int add_arch(struct ctx *c, scmp_filter_ctx f, json_t *v, const char *path)
{
	if (!json_is_string(v))
		return perr(c, path, "expected an architecture name such as SCMP_ARCH_X86_64");
	uint32_t a = arch_token(json_string_value(v));
	if (!a)
		return perr(c, path, "unknown architecture `%s`", json_string_value(v));
	int r = seccomp_arch_add(f, a);
	if (r < 0 && r != -EEXIST) {
		st_error(c->err, -r, "seccomp profile `%s`: %s: seccomp_arch_add", c->label, path);
		return -1;
	}
	return 0;
}

static int compile_arches(struct ctx *c, scmp_filter_ctx f, json_t *root)
{
	json_t *archmap = json_object_get(root, "archMap"), *arches = json_object_get(root, "architectures");
	char p[96];
	size_t i, j;
	json_t *e, *v;
	if (archmap && !json_is_null(archmap)) {
		if (!json_is_array(archmap))
			return perr(c, "archMap", "expected an array");
		/* Docker: the entry of the native arch, plus its sub-arches. */
		json_array_foreach(archmap, i, e) {
			snprintf(p, sizeof(p), "archMap[%zu].architecture", i);
			json_t *a = json_object_get(e, "architecture");
			if (!json_is_string(a))
				return perr(c, p, "expected an architecture name");
			if (arch_token(json_string_value(a)) != c->native)
				continue;
			json_t *sub = json_object_get(e, "subArchitectures");
			if (sub && !json_is_array(sub) && !json_is_null(sub)) {
				snprintf(p, sizeof(p), "archMap[%zu].subArchitectures", i);
				return perr(c, p, "expected an array");
			}
			json_array_foreach(sub, j, v) {
				snprintf(p, sizeof(p), "archMap[%zu].subArchitectures[%zu]", i, j);
				if (add_arch(c, f, v, p) < 0)
					return -1;
			}
		}
	} else if (arches && !json_is_null(arches)) {
		if (!json_is_array(arches))
			return perr(c, "architectures", "expected an array");
		json_array_foreach(arches, i, v) {
			snprintf(p, sizeof(p), "architectures[%zu]", i);
			if (add_arch(c, f, v, p) < 0)
				return -1;
		}
	}
	return 0;
}

int sc_compile_profile(json_t *root, uint64_t caps, const char *label, scmp_filter_ctx *out, st_error_t *err)
{
	struct ctx c = {.label = label, .caps = caps, .native = seccomp_arch_native(), .err = err};
	c.go_arch = native_go_arch(c.native);
	*out = NULL;
	if (!json_is_object(root))
		return perr(&c, "(top level)", "expected an object with defaultAction and syscalls");
	json_t *de = json_object_get(root, "defaultErrnoRet");
	uint32_t dflt;
	if (parse_action(&c, json_object_get(root, "defaultAction"), "defaultAction", de, EPERM, &dflt) < 0)
		return -1;
	json_t *syscalls = json_object_get(root, "syscalls");
	if (syscalls && !json_is_array(syscalls) && !json_is_null(syscalls))
		return perr(&c, "syscalls", "expected an array");
	scmp_filter_ctx f = seccomp_init(dflt);
	if (!f)
		return st_error(err, ENOMEM, "seccomp_init");
	/* We only export the program; the child sets no_new_privs itself. */
	seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0);
	/* A binary tree keeps ~400 rules cheap at syscall time. */
	seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (compile_arches(&c, f, root) < 0)
		goto fail;
	size_t i;
	json_t *rule;
	json_array_foreach(syscalls, i, rule)
		/* Like runc: a rule's ERRNO without errnoRet is EPERM, whatever defaultErrnoRet says. */
		if (compile_rule(&c, f, rule, i, dflt, EPERM) < 0)
			goto fail;
	*out = f;
	return 0;
fail:
	seccomp_release(f);
	return -1;
}
