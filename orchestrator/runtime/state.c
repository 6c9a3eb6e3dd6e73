/* A container's state file: written by the process that started it,
 * read by rt_container_open() in another (`stack exec`, a supervisor
 * back after a crash) to get a handle on the running container.
 *
 * STATE_DIR/container.json holds what an exec into the container needs
 * and what proves that a pid is still the container's first process:
 * its pid with its start time (field 22 of /proc/PID/stat: a reused pid
 * has another), the cgroup, the payload's user, working dir,
 * capabilities, no_new_privs, rlimits, base environment and network
 * mode; STATE_DIR/seccomp.bpf the compiled seccomp filter (the cache's
 * format, so the exec'd process gets exactly the payload's filter, even
 * after the cache was cleared).  Both are written atomically, 0600,
 * while the container process waits for GO (before its payload runs),
 * and not synced: they live no longer than the container.
 *
 * The reader trusts nothing it did not check: the directory and files
 * are opened without following symlinks and must be ours and writable
 * only by us; the pid must be alive with the recorded start time, the
 * first process of a pid namespace and a mount namespace that are not
 * ours, and in the recorded cgroup, whose name is the container's id.
 * A pid of a host process, or a reused one, is refused before anything
 * joins it, and the pidfd taken first names that very process from then
 * on (setns goes through it). */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FILE "container.json"
#define SECCOMP_FILE "seccomp.bpf"
#define STATE_FORMAT 1
#define STATE_MAX_BYTES (4u << 20)

int rt_proc_start_time(pid_t pid, unsigned long long *out, st_error_t *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(path, 4096, &text, NULL, err) < 0)
		return -1;
	/* "PID (COMM) STATE ...": COMM may hold spaces and ')', so count the
	 * fields from the last ')'; the start time is field 22. */
	char *p = strrchr(text, ')');
	int field = 2;
	for (; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	char *end = NULL;
	unsigned long long v = p ? strtoull(p, &end, 10) : 0;
	if (!p || end == p)
		return st_error(err, EPROTO, "`%s`: no start time in it", path);
	*out = v;
	return 0;
}

static const char *net_name(enum rt_net_mode m)
{
	return m == RT_NET_HOST ? "host" : m == RT_NET_PRIVATE ? "private" : "none";
}

int rt_state_write(const struct rt_container *ct, st_error_t *err)
{
	_cleanup_free_ char *bpf = xasprintf("%s/" SECCOMP_FILE, ct->state_dir);
	if (ct->seccomp && rt_seccomp_prog_save(ct->seccomp, bpf, err) < 0)
		return -1;
	json_t *env = json_array(), *rl = json_array();
	for (size_t i = 0; i < ct->env.n; i++)
		json_array_append_new(env, json_string(ct->env.v[i]));
	for (size_t i = 0; i < ct->n_rlimits; i++)
		json_array_append_new(rl, json_pack("{s:i, s:I, s:I}", "resource", ct->rlimits[i].resource, "soft",
						    (json_int_t)ct->rlimits[i].soft, "hard",
						    (json_int_t)ct->rlimits[i].hard));
	json_t *root = json_pack("{s:i, s:s, s:i, s:I, s:s, s:s*, s:s*, s:I, s:b, s:s*, s:s, s:o, s:o, s:i, s:i}",
				 "format", STATE_FORMAT, "id", ct->id, "pid", (int)ct->p.pid, "start_time",
				 (json_int_t)ct->start_time, "cgroup", rt_cgroup_path(ct->cg), "user",
				 ct->user, "cwd", ct->cwd, "caps", (json_int_t)ct->caps.set, "no_new_privileges",
				 ct->no_new_privileges, "seccomp", ct->seccomp ? SECCOMP_FILE : NULL, "net",
				 net_name(ct->net), "env", env, "rlimits", rl, "start_timeout_ms", ct->start_timeout_ms,
				 "stop_signal", ct->stop_signal);
	if (!root)
		return st_error(err, EINVAL, "container `%s`: build the state file", ct->id);
	_cleanup_free_ char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	_cleanup_free_ char *path = xasprintf("%s/" STATE_FILE, ct->state_dir);
	/* Not synced: STACK_RUN does not outlive a reboot, nor the container. */
	return fs_write_file_atomic_volatile(path, text, strlen(text), 0600, err);
}

/* ---- reading it back ---- */

/* Ours and writable by nobody else: anyone else could point us at any
 * process, or hand the exec'd process another filter. */
static int check_owner(int fd, const char *what, const char *path, mode_t type, st_error_t *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return st_error(err, errno, "stat %s `%s`", what, path);
	if ((st.st_mode & S_IFMT) != type)
		return st_error(err, EINVAL, "%s `%s` is not a %s", what, path, type == S_IFDIR ? "directory" : "file");
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return st_error(err, EPERM, "%s `%s` is owned by uid %u or writable by others (mode %o): not trusted",
				what, path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return 0;
}

struct state {
	json_t *root;
	pid_t pid;
	unsigned long long start_time;
	const char *cgroup, *user, *cwd, *seccomp, *net;
	json_int_t caps;
	int nnp, start_timeout_ms, stop_signal;
	json_t *env, *rlimits;
};

static int state_parse(int dfd, const char *id, const char *state_dir, struct state *s, st_error_t *err)
{
	_cleanup_close_ int fd = openat(dfd, STATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return st_error(err, errno, "open `%s/" STATE_FILE "`%s", state_dir,
				errno == ENOENT ? " (no container of that name was started, or it is gone)" : "");
	if (check_owner(fd, "state file", STATE_FILE, S_IFREG, err) < 0)
		return -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (fs_read_fd(fd, STATE_FILE, STATE_MAX_BYTES, &text, &len, err) < 0)
		return -1;
	json_error_t jerr;
	s->root = json_loadb(text, len, 0, &jerr);
	if (!s->root)
		return st_error(err, EINVAL, "`%s/" STATE_FILE "`:%d:%d: %s", state_dir, jerr.line, jerr.column, jerr.text);
	int format = 0, pid = 0;
	json_int_t start = 0;
	const char *sid = NULL;
	if (json_unpack_ex(s->root, &jerr, 0,
			   "{s:i, s:s, s:i, s:I, s:s, s?s, s?s, s:I, s:b, s?s, s:s, s:o, s:o, s:i, s:i}", "format",
			   &format, "id", &sid, "pid", &pid, "start_time", &start, "cgroup", &s->cgroup, "user",
			   &s->user, "cwd", &s->cwd, "caps", &s->caps, "no_new_privileges", &s->nnp, "seccomp",
			   &s->seccomp, "net", &s->net, "env", &s->env, "rlimits", &s->rlimits, "start_timeout_ms",
			   &s->start_timeout_ms, "stop_signal", &s->stop_signal) < 0)
		return st_error(err, EINVAL, "`%s/" STATE_FILE "`: %s", state_dir, jerr.text);
	if (format != STATE_FORMAT)
		return st_error(err, EINVAL, "`%s/" STATE_FILE "`: format %d, this stack reads %d", state_dir, format,
				STATE_FORMAT);
	if (strcmp(sid, id) != 0)
		return st_error(err, EINVAL, "`%s/" STATE_FILE "` is container `%s`'s, not `%s`'s", state_dir, sid, id);
	/* Its cgroup is PARENT/ID: a state file cannot send us to another's. */
	const char *slash = strrchr(s->cgroup, '/');
	if (!slash || slash == s->cgroup || strcmp(slash + 1, id) != 0 || strstr(s->cgroup, "..") ||
	    s->cgroup[0] == '/')
		return st_error(err, EINVAL, "`%s/" STATE_FILE "`: cgroup `%s` is not PARENT/%s", state_dir, s->cgroup, id);
	if (pid <= 1 || start <= 0 || !json_is_array(s->env) || !json_is_array(s->rlimits) ||
	    (s->seccomp && strcmp(s->seccomp, SECCOMP_FILE) != 0))
		return st_error(err, EINVAL, "`%s/" STATE_FILE "`: a pid, start time, env, rlimits or seccomp "
			       "entry is not what a start writes", state_dir);
	s->pid = pid;
	s->start_time = (unsigned long long)start;
	return 0;
}

/* /proc/PID/ns/NAME is not ours: the process is in a namespace of its own. */
static bool other_ns(pid_t pid, const char *name)
{
	char a[64], b[64];
	struct stat sa, sb;
	snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, name);
	snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev);
}

/* The last NSpid of /proc/PID/status: its pid in its own namespace. */
static long inner_pid(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(path, 65536, &text, NULL, NULL) < 0)
		return -1;
	char *l = strstr(text, "\nNSpid:");
	if (!l)
		return -1;
	l += 7;
	long last = -1;
	for (char *end; *l && *l != '\n'; l = end) {
		last = strtol(l, &end, 10);
		if (end == l)
			break;
	}
	return last;
}

static bool in_cgroup(pid_t pid, const char *rel)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(path, 1 << 20, &text, NULL, NULL) < 0)
		return false;
	size_t n = strlen(rel);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* ID:CONTROLLERS:/PATH */
		char *p = strchr(l, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (p && p[1] == '/' && strncmp(p + 2, rel, n) == 0 && p[2 + n] == '\0')
			return true;
	}
	return false;
}

/* The recorded pid is the container's first process, alive: a pidfd on
 * it first, then every check, then the pidfd still alive (so the checks
 * read that very process's /proc entries, not a successor's). */
static int verify_pid(const char *id, const struct state *s, int *pidfd_out, st_error_t *err)
{
	int pidfd = pidfd_open(s->pid, 0);
	if (pidfd < 0 && errno == ESRCH)
		return st_error(err, ESRCH, "container `%s` is not running: its process %d is gone (the state was left "
			       "by a crash; `stack down` removes it)", id, (int)s->pid);
	/* Without a pidfd nothing would keep the pid from naming another
 	 * process between the checks and the setns: no open then. */
	if (pidfd < 0)
		return st_error(err, errno, "pidfd_open %d%s", (int)s->pid,
				errno == ENOSYS ? " (needs Linux 5.3, and does not run under valgrind)" : "");
	unsigned long long t = 0;
	st_error_t e2 = NULL;
	if (rt_proc_start_time(s->pid, &t, &e2) < 0) {
		st_error_free(&e2);
		t = 0;
	}
	const char *why = NULL;
	if (t != s->start_time)
		why = "another process has its pid now";
	else if (!other_ns(s->pid, "pid") || inner_pid(s->pid) != 1)
		why = "it is not the first process of a pid namespace of its own";
	else if (!other_ns(s->pid, "mnt"))
		why = "it shares our mount namespace";
	else if (!in_cgroup(s->pid, s->cgroup))
		why = "it is not in the container's cgroup";
	else if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
		why = "it exited meanwhile";
	if (why) {
		close(pidfd);
		return st_error(err, ESRCH, "container `%s` is not running: process %d is not its process (%s); the "
			       "state was left by a crash or changed (`stack down` removes it)", id, (int)s->pid, why);
	}
	*pidfd_out = pidfd;
	return 0;
}

static enum rt_net_mode net_mode(const char *s)
{
	return strcmp(s, "host") == 0 ? RT_NET_HOST : strcmp(s, "private") == 0 ? RT_NET_PRIVATE : RT_NET_NONE;
}

/* "PARENT/ID" (checked by state_parse) as an rt_cgroup to join. */
static int open_cgroup(const char *id, const char *rel, struct rt_cgroup **cg, st_error_t *err)
{
	_cleanup_free_ char *parent = xstrndup(rel, (size_t)(strrchr(rel, '/') - rel));
	struct rt_cgroup_opts opts = {.parent = parent};
	return rt_cgroup_open(id, &opts, cg, err);
}

int rt_container_open(const char *id, const char *state_dir, struct rt_container **out, st_error_t *err)
{
	*out = NULL;
	if (!id || !id[0] || strchr(id, '/') || !state_dir || state_dir[0] != '/')
		return st_error(err, EINVAL, "container `%s`: open needs its id and the absolute path of its state dir",
				id ? id : "");
	_cleanup_close_ int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return st_error(err, errno, "container `%s`: open the state directory `%s`%s", id, state_dir,
				errno == ENOENT ? " (no such container is running)" : "");
	struct state s = {0};
	struct rt_container *ct = NULL;
	int pidfd = -1;
	if (check_owner(dfd, "state directory", state_dir, S_IFDIR, err) < 0 ||
	    state_parse(dfd, id, state_dir, &s, err) < 0 || verify_pid(id, &s, &pidfd, err) < 0)
		goto fail;
	ct = xzalloc(sizeof(*ct));
	ct->id = xstrdup(id);
	ct->state_dir = xstrdup(state_dir);
	rt_proc_init(&ct->p);
	ct->p.pid = s.pid;
	ct->p.pidfd = pidfd;
	ct->sync_fd = ct->upper_fd = -1;
	ct->opened = true;
	ct->start_time = s.start_time;
	ct->stop_signal = s.stop_signal;
	ct->start_timeout_ms = s.start_timeout_ms;
	ct->caps.set = (uint64_t)s.caps;
	ct->no_new_privileges = s.nnp;
	ct->net = net_mode(s.net);
	ct->user = s.user ? xstrdup(s.user) : NULL;
	ct->cwd = s.cwd ? xstrdup(s.cwd) : NULL;
	size_t i;
	json_t *v;
	json_array_foreach (s.env, i, v)
		if (json_is_string(v))
			strv_push(&ct->env, json_string_value(v));
	ct->n_rlimits = json_array_size(s.rlimits);
	ct->rlimits = ct->n_rlimits ? xcalloc(ct->n_rlimits, sizeof(*ct->rlimits)) : NULL;
	json_array_foreach (s.rlimits, i, v) {
		json_int_t soft = 0, hard = 0;
		if (json_unpack(v, "{s:i, s:I, s:I}", "resource", &ct->rlimits[i].resource, "soft", &soft, "hard",
				&hard) < 0) {
			st_error(err, EINVAL, "`%s/" STATE_FILE "`: rlimits[%zu] is not {resource, soft, hard}", state_dir, i);
			goto fail;
		}
		ct->rlimits[i].soft = soft;
		ct->rlimits[i].hard = hard;
	}
	if (s.seccomp && rt_seccomp_prog_load_at(dfd, s.seccomp, &ct->seccomp, err) < 0)
		goto fail;
	if (open_cgroup(id, s.cgroup, &ct->cg, err) < 0)
		goto fail;
	json_decref(s.root);
	*out = ct;
	return 0;

fail:
	st_error_prefix(err, "container `%s`", id);
	if (ct)
		rt_container_close(ct); /* closes the pidfd it took */
	else if (pidfd >= 0)
		close(pidfd);
	json_decref(s.root);
	return -1;
}
