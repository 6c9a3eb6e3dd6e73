/* The host's apt configuration as read-only binds (host_apt.h). */
#include "builder/host_apt.h"
#include "image/apt_sources.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_MAX (1u << 20)

static const char *const keyring_dirs[] = {"/usr/share/keyrings/", "/etc/apt/keyrings/", "/etc/apt/trusted.gpg.d/"};

const char *build_host_apt_root(void)
{
	const char *r = getenv("STACK_APT_ROOT");
	return r && *r ? r : "/";
}

/* `path` (absolute, in the host's view) under `root`. */
static char *at_root(const char *root, const char *path)
{
	return fs_path_join_clean(root, path + 1);
}

static void add(struct build_host_apt *a, char *source, const char *target)
{
	if (strv_contains(&a->targets, target)) {
		free(source);
		return;
	}
	strv_push(&a->targets, target);
	strv_push_take(&a->strings, source);
	a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
	a->v[a->n++] = (struct rt_mount){
		.type = RT_MOUNT_BIND,
		.source = a->strings.v[a->strings.n - 1],
		.target = a->targets.v[a->targets.n - 1],
		.read_only = true,
	};
}

/* Lend `path` (absolute, /etc/apt/...) when it is a file (or, `dir`, a
 * directory) of the host's and not a symlink: a symlink would make the
 * bind show whatever it names on the host. */
static void lend(struct build_host_apt *a, const char *root, const char *path, bool dir)
{
	char *src = at_root(root, path);
	struct stat st;
	if (lstat(src, &st) < 0 || (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
		free(src);
		return;
	}
	add(a, src, path);
}

/* A keyring a source names: resolved on the host, it must be a regular
 * file in one of keyring_dirs (under root), lent at the path the source
 * gives (which is where apt in the container looks). */
static int lend_keyring(struct build_host_apt *a, const char *root, const char *file, const char *path,
			st_error_t *err)
{
	_cleanup_free_ char *clean = fs_path_join_clean("/", path);
	_cleanup_free_ char *host = at_root(root, clean);
	_cleanup_free_ char *real_root = realpath(root, NULL);
	char *real = realpath(host, NULL);
	struct stat st;
	bool ok = real && real_root && stat(real, &st) == 0 && S_ISREG(st.st_mode);
	size_t rn = real_root && strcmp(real_root, "/") ? strlen(real_root) : 0;
	bool inside = false;
	for (size_t i = 0; ok && i < ARRAY_SIZE(keyring_dirs); i++)
		inside |= !strncmp(real, real_root, rn) &&
			  !strncmp(real + rn, keyring_dirs[i], strlen(keyring_dirs[i])) &&
			  !strncmp(clean, keyring_dirs[i], strlen(keyring_dirs[i]));
	if (!ok || !inside) {
		free(real);
		return st_error(err, ok ? 0 : errno,
				"host_apt: `%s` names the keyring `%s`, which is not a file in /usr/share/keyrings, "
				"/etc/apt/keyrings or /etc/apt/trusted.gpg.d of the host; move the key there or set "
				"`host_apt: false`", file, path);
	}
	add(a, real, clean);
	return 0;
}

/* The Signed-By keyrings of a sources file (deb822 when `deb822`): each
 * path among its values (fingerprints and an inline key are not paths). */
static int source_keyrings(struct build_host_apt *a, const char *root, const char *file, const char *text,
			   bool deb822, st_error_t *err)
{
	struct img_apt_sources ss = {0};
	img_apt_sources_parse(text, deb822, &ss);
	int r = 0;
	for (size_t i = 0; r == 0 && i < ss.n; i++)
		for (size_t k = 0; r == 0 && k < ss.v[i].signed_by.n; k++)
			if (ss.v[i].signed_by.v[k][0] == '/')
				r = lend_keyring(a, root, file, ss.v[i].signed_by.v[k], err);
	img_apt_sources_free(&ss);
	return r;
}

/* Read `name` in directory fd `d` when it is a regular file (no symlink
 * followed); 1 and *text, 0 when it is not one, -1 on error. */
static int read_at(int d, const char *name, const char *path, char **text, st_error_t *err)
{
	_cleanup_close_ int fd = openat(d, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	size_t len;
	return fs_read_fd(fd, path, CONF_MAX, text, &len, err) < 0 ? -1 : 1;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* For each entry of the host's /etc/apt/<dir>: fn(name, text) on the
 * regular files (what `want` accepts by name). */
typedef int (*entry_fn)(struct build_host_apt *a, const char *root, const char *dir, const char *name,
			const char *text, st_error_t *err);

static int each_file(struct build_host_apt *a, const char *root, const char *dir, bool (*want)(const char *),
		     entry_fn fn, st_error_t *err)
{
	_cleanup_free_ char *path = at_root(root, dir);
	_cleanup_close_ int d = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *ds = d >= 0 ? fs_opendir_fd(d) : NULL;
	if (!ds)
		return 0;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(ds))) {
		if (e->d_name[0] == '.' || !want(e->d_name))
			continue;
		_cleanup_free_ char *shown = xasprintf("%s/%s", path, e->d_name);
		char *text = NULL;
		int got = read_at(d, e->d_name, shown, &text, err);
		if (got < 0)
			r = -1;
		else if (got == 1)
			r = fn(a, root, dir, e->d_name, text, err);
		free(text);
	}
	closedir(ds);
	return r;
}

static bool is_source(const char *name)
{
	return has_suffix(name, ".list") || has_suffix(name, ".sources");
}

static bool any_name(const char *name)
{
	(void)name;
	return true;
}

static int source_fn(struct build_host_apt *a, const char *root, const char *dir, const char *name, const char *text,
		     st_error_t *err)
{
	_cleanup_free_ char *shown = xasprintf("%s/%s", dir, name);
	return source_keyrings(a, root, shown, text, has_suffix(name, ".sources"), err);
}

static int conf_fn(struct build_host_apt *a, const char *root, const char *dir, const char *name, const char *text,
		   st_error_t *err)
{
	(void)err;
	if (build_apt_conf_acquire_only(text)) {
		_cleanup_free_ char *target = xasprintf("%s/%s", dir, name);
		lend(a, root, target, false);
	}
	return 0;
}

static int key_fn(struct build_host_apt *a, const char *root, const char *dir, const char *name, const char *text,
		  st_error_t *err)
{
	(void)text;
	(void)err;
	_cleanup_free_ char *target = xasprintf("%s/%s", dir, name);
	lend(a, root, target, false);
	return 0;
}

int build_host_apt_make(const char *root, struct build_host_apt *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *apt = at_root(root, "/etc/apt");
	struct stat st;
	if (lstat(apt, &st) < 0 || !S_ISDIR(st.st_mode))
		return st_error(err, errno ? errno : ENOTDIR,
				"host_apt: the host has no apt configuration at `%s`; set `host_apt: false`", apt);
	lend(out, root, "/etc/apt/sources.list", false);
	lend(out, root, "/etc/apt/sources.list.d", true);
	lend(out, root, "/etc/apt/auth.conf", false);
	lend(out, root, "/etc/apt/auth.conf.d", true);
	lend(out, root, "/etc/apt/trusted.gpg", false);
	int r = each_file(out, root, "/etc/apt/trusted.gpg.d", any_name, key_fn, err);
	if (r == 0)
		r = each_file(out, root, "/etc/apt/apt.conf.d", any_name, conf_fn, err);
	if (r == 0)
		r = each_file(out, root, "/etc/apt/sources.list.d", is_source, source_fn, err);
	if (r == 0) {
		_cleanup_free_ char *list = at_root(root, "/etc/apt/sources.list");
		_cleanup_free_ char *etc = at_root(root, "/etc/apt");
		_cleanup_close_ int d = open(etc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char *text = NULL;
		int got = d >= 0 ? read_at(d, "sources.list", list, &text, err) : 0;
		r = got < 0 ? -1 : got == 1 ? source_keyrings(out, root, "/etc/apt/sources.list", text, false, err) : 0;
		free(text);
	}
	if (r < 0)
		build_host_apt_free(out);
	return r;
}

void build_host_apt_free(struct build_host_apt *a)
{
	free(a->v);
	strv_free(&a->strings);
	strv_free(&a->targets);
	memset(a, 0, sizeof(*a));
}
