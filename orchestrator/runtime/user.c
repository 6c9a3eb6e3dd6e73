/* The container's user: a spec ("name", "uid", "uid:gid", "name:group")
 * resolved against the container's own /etc/passwd and /etc/group (read
 * after pivot_root, so never the host's files or NSS modules), then the
 * switch: setgroups, setgid, setuid, with caps.c's calls around it. */
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int find_passwd(const char *name, bool by_id, uid_t uid, struct rt_user *u, char *uname, size_t uname_size,
		       bool *found)
{
	*found = false;
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	struct passwd pw, *res;
	char buf[4096];
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0) {
		if (by_id ? pw.pw_uid != uid : strcmp(pw.pw_name, name) != 0)
			continue;
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/");
		snprintf(uname, uname_size, "%s", pw.pw_name);
		*found = true;
		return 0;
	}
	return 0;
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
static int scan_groups(const char *group_name, gid_t *gid, bool *group_found, const char *uname, struct rt_user *u)
{
	*group_found = false;
	_cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	struct group gr, *res;
	char buf[8192];
	while (fgetgrent_r(f, &gr, buf, sizeof(buf), &res) == 0) {
		if (group_name && strcmp(gr.gr_name, group_name) == 0) {
			*gid = gr.gr_gid;
			*group_found = true;
		}
		if (uname[0] && is_member(gr.gr_mem, uname))
			add_group(u, gr.gr_gid);
	}
	return 0;
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
	if (find_passwd(user, numeric, numeric ? id : 0, u, uname, sizeof(uname), &found) < 0)
		return st_error(err, errno, "read the container's `/etc/passwd`");
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
	if (scan_groups(group && !group_numeric ? group : NULL, &gid, &group_found, uname, u) < 0)
		return st_error(err, errno, "read the container's `/etc/group`");
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
