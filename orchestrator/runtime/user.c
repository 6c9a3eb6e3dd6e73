/* The container's user: a spec ("name", "uid", "uid:gid", "name:group")
 * resolved against the container's own /etc/passwd and /etc/group (read
 * after pivot_root, so never the host's files or NSS modules), then the
 * switch: setgroups, setgid, setuid, with caps.c's calls around it. */
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool parse_id(const char *s, unsigned *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno || v > 0xfffffffeUL || s[0] == '-' || s[0] == '+')
		return false;
	*out = (unsigned)v;
	return true;
}

/* A user database bigger than this is an image's bug or an attack (a
 * sparse file of terabytes), not something to scan at every start. */
#define DB_MAX_BYTES (64u << 20)
/* One line (a group with many members) may be this long. */
#define DB_LINE_MAX (1u << 20)

/* The container's `path` for reading in *out: a regular file only (a FIFO
 * would block the start, a device never end), of bounded size.  1 = open,
 * 0 = there is no such file, -1 = error. */
static int open_db(const char *path, FILE **out, st_error_t *err)
{
	*out = NULL;
	/* No magic links: /etc/passwd -> /proc/self/fd/0 would read what
	 * `stack` was given as stdin on the host. */
	struct open_how how = {
		.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && errno == ENOSYS)
		fd = open(path, (int)how.flags);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return st_error(err, errno,
					"open the container's `%s` (a symlink loop, or a link into /proc/*/fd, in the "
					"image: fix or remove it)",
					path);
		return st_error(err, errno, "open the container's `%s`", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		st_error(err, errno, "stat the container's `%s`", path);
	} else if (!S_ISREG(st.st_mode)) {
		st_error(err, 0, "the container's `%s` is not a regular file (%s): make it one in the image", path,
			 S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" : "a device or socket");
	} else if ((uintmax_t)st.st_size > DB_MAX_BYTES) {
		st_error(err, EFBIG, "the container's `%s` is %jd bytes, more than %u MiB", path, (intmax_t)st.st_size,
			 DB_MAX_BYTES >> 20);
	} else if (fcntl(fd, F_SETFL, 0) < 0) {
		st_error(err, errno, "fcntl the container's `%s`", path);
	} else {
		*out = fdopen(fd, "re");
		if (*out)
			return 1;
		st_error(err, errno, "fdopen the container's `%s`", path);
	}
	close(fd);
	return -1;
}

/* fget*ent_r() answers a line longer than the buffer with ERANGE and
 * leaves the stream at that line's start: grow the buffer and read it
 * again.  0 = go on, -1 = give up (*err set). */
static int grow_line_buffer(char **buf, size_t *cap, const char *path, st_error_t *err)
{
	if (*cap >= DB_LINE_MAX)
		return st_error(err, E2BIG, "the container's `%s` has a line longer than %u KiB", path,
				DB_LINE_MAX >> 10);
	*cap *= 2;
	*buf = xrealloc(*buf, *cap);
	return 0;
}

static int find_passwd(const char *name, bool by_id, uid_t uid, struct rt_user *u, char *uname, size_t uname_size,
		       bool *found, st_error_t *err)
{
	*found = false;
	_cleanup_fclose_ FILE *f = NULL;
	int r = open_db("/etc/passwd", &f, err);
	if (r <= 0)
		return r;
	struct passwd pw, *res;
	size_t cap = 4096;
	_cleanup_free_ char *buf = xmalloc(cap);
	for (;;) {
		r = fgetpwent_r(f, &pw, buf, cap, &res);
		if (r == ERANGE) {
			if (grow_line_buffer(&buf, &cap, "/etc/passwd", err) < 0)
				return -1;
			continue;
		}
		if (r == ENOENT)
			return 0;
		if (r != 0)
			return st_error(err, r, "read the container's `/etc/passwd`");
		if (by_id ? pw.pw_uid != uid : strcmp(pw.pw_name, name) != 0)
			continue;
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/");
		snprintf(uname, uname_size, "%s", pw.pw_name);
		*found = true;
		return 0;
	}
}

static bool is_member(char **mem, const char *name)
{
	for (; mem && *mem; mem++)
		if (strcmp(*mem, name) == 0)
			return true;
	return false;
}

static void add_group(struct rt_user *u, gid_t g)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return;
	if (u->n_groups < ARRAY_SIZE(u->groups))
		u->groups[u->n_groups++] = g;
}

/* One pass over /etc/group: the named group's gid (if group_name) and the
 * supplementary groups listing uname as a member. */
static int scan_groups(const char *group_name, gid_t *gid, bool *group_found, const char *uname, struct rt_user *u,
		       st_error_t *err)
{
	*group_found = false;
	_cleanup_fclose_ FILE *f = NULL;
	int r = open_db("/etc/group", &f, err);
	if (r <= 0)
		return r;
	struct group gr, *res;
	size_t cap = 8192;
	_cleanup_free_ char *buf = xmalloc(cap);
	for (;;) {
		r = fgetgrent_r(f, &gr, buf, cap, &res);
		if (r == ERANGE) {
			if (grow_line_buffer(&buf, &cap, "/etc/group", err) < 0)
				return -1;
			continue;
		}
		if (r == ENOENT)
			return 0;
		if (r != 0)
			return st_error(err, r, "read the container's `/etc/group`");
		if (group_name && strcmp(gr.gr_name, group_name) == 0) {
			*gid = gr.gr_gid;
			*group_found = true;
		}
		if (uname[0] && is_member(gr.gr_mem, uname))
			add_group(u, gr.gr_gid);
	}
}

int rt_user_resolve(const char *spec, struct rt_user *u, st_error_t *err)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/");
	char user[256], *group = NULL;
	snprintf(user, sizeof(user), "%s", spec && *spec ? spec : "0");
	char *colon = strchr(user, ':');
	if (colon) {
		*colon = '\0';
		group = colon + 1;
	}
	if (!user[0] || (group && !*group))
		return st_error(err, 0, "user `%s`: expected NAME, UID, NAME:GROUP or UID:GID", spec);
	char uname[256] = "";
	unsigned id;
	bool numeric = parse_id(user, &id), found;
	if (find_passwd(user, numeric, numeric ? id : 0, u, uname, sizeof(uname), &found, err) < 0)
		return st_error_prefix(err, "user `%s`", user);
	if (!found) {
		if (!numeric)
			return st_error(err, 0, "user `%s` not found in the container's /etc/passwd", user);
		/* A bare uid unknown to the image is valid (Docker: gid 0, HOME /). */
		u->uid = id;
		u->gid = 0;
	}
	unsigned gid_num;
	bool group_numeric = group && parse_id(group, &gid_num), group_found;
	gid_t gid = u->gid;
	if (scan_groups(group && !group_numeric ? group : NULL, &gid, &group_found, uname, u, err) < 0)
		return st_error_prefix(err, "user `%s`", spec);
	if (group && !group_numeric && !group_found)
		return st_error(err, 0, "group `%s` not found in the container's /etc/group", group);
	if (group_numeric)
		gid = gid_num;
	u->gid = gid;
	/* The primary group first, then the memberships. */
	gid_t supp[ARRAY_SIZE(u->groups)];
	size_t n = u->n_groups;
	memcpy(supp, u->groups, n * sizeof(gid_t));
	u->n_groups = 0;
	add_group(u, gid);
	for (size_t i = 0; i < n; i++)
		add_group(u, supp[i]);
	return 0;
}

int rt_user_switch(const struct rt_user *u, const struct rt_caps *caps, st_error_t *err)
{
	if (rt_caps_apply_bounding(caps, err) < 0)
		return -1;
	if (setgroups(u->n_groups, u->groups) < 0)
		return st_error(err, errno, "setgroups");
	if (setgid(u->gid) < 0)
		return st_error(err, errno, "setgid %u", (unsigned)u->gid);
	if (setuid(u->uid) < 0)
		return st_error(err, errno, "setuid %u", (unsigned)u->uid);
	return rt_caps_apply_final(caps, u->uid, err);
}
