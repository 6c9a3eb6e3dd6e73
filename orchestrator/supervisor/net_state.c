/* The networks' state file and lock (see net_state.h). */
#include "supervisor/net_state.h"

#include "spec/names.h"
#include "util/fs.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_NAME ".networks.json"
#define LOCK_NAME ".networks.flock"
#define STATE_MAX (1 << 20)

char *sup_net_state_path(const char *project_run)
{
	return xasprintf("%s/%s", project_run, STATE_NAME);
}

int sup_net_lock(const char *project_run, int *fd, st_error_t *err)
{
	if (fs_mkdir_p(project_run, 0700, err) < 0)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/%s", project_run, LOCK_NAME);
	/* Teardown unlinks the file under the lock: a waiter that then gets
	 * it holds a lock nobody else can see, so it checks the path still
	 * names its file and starts over if not. */
	for (;;) {
		int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f < 0)
			return st_error(err, errno, "open `%s`", path);
		if (flock(f, LOCK_EX) < 0) {
			int e = errno;
			close(f);
			return st_error(err, e, "flock `%s`", path);
		}
		struct stat a, b;
		if (fstat(f, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			/* A state write killed half-way left its temp file. */
			fs_sweep_tmp(project_run);
			*fd = f;
			return 0;
		}
		close(f);
	}
}

void sup_net_unlock(const char *project_run, int fd, bool remove)
{
	if (fd < 0)
		return;
	if (remove) {
		_cleanup_free_ char *path = xasprintf("%s/%s", project_run, LOCK_NAME);
		unlink(path);
	}
	close(fd);
}

static int parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

/* One network's entry; a malformed one is an error, not something to
 * guess at (a wrong address would point a name at another container). */
static int read_net(const char *project_run, const char *name, json_t *o, struct sup_net *net, st_error_t *err)
{
	char *msg = NULL;
	const char *subnet = json_string_value(json_object_get(o, "subnet"));
	if (!spec_name_valid(name) || !subnet || spec_subnet_parse(subnet, &net->subnet, &msg) < 0) {
		free(msg);
		return st_error(err, EINVAL, "network `%s`: no valid subnet", name);
	}
	net->name = xstrdup(name);
	net->netns_path = xasprintf("%s/netns/%s", project_run, name);
	net->gateway = net->subnet.addr + 1;
	json_t *hosts = json_object_get(o, "hosts");
	net->hosts = xcalloc(json_object_size(hosts) + 1, sizeof(*net->hosts));
	const char *key;
	json_t *v;
	json_object_foreach(hosts, key, v)
	{
		uint32_t a = 0;
		const char *holder = json_string_value(json_object_get(v, "holder"));
		uint32_t off = 0;
		if (parse_addr(json_string_value(json_object_get(v, "addr")), &a) == 0 &&
		    (a & spec_subnet_mask(net->subnet.prefix)) == net->subnet.addr)
			off = a - net->subnet.addr;
		/* Only what sup_net_alloc_addr hands out: past the bridge's,
		 * below broadcast, each once. */
		bool taken = false;
		for (size_t i = 0; i < net->n_hosts && !taken; i++)
			taken = net->hosts[i].addr == a;
		if (off < 2 || off >= ~spec_subnet_mask(net->subnet.prefix) || taken)
			return st_error(err, EINVAL, "network `%s`: `%s` has no address of its own in %s", name, key,
					subnet);
		if (holder && !spec_name_valid(holder))
			return st_error(err, EINVAL, "network `%s`: `%s` has an invalid holder", name, key);
		net->hosts[net->n_hosts++] = (struct sup_net_host){
			.key = xstrdup(key), .addr = a, .holder = holder ? xstrdup(holder) : NULL};
	}
	return 0;
}

int sup_net_state_read(const char *project_run, struct sup_nets *nets, st_error_t *err)
{
	memset(nets, 0, sizeof(*nets));
	_cleanup_free_ char *path = sup_net_state_path(project_run);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	st_error_t e = NULL;
	if (fs_read_file(path, STATE_MAX, &text, &len, &e) < 0) {
		bool none = e && e->status == ENOENT;
		if (none) {
			st_error_free(&e);
			return 0;
		}
		*err = e;
		return -1;
	}
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	json_t *networks = json_object_get(root, "networks");
	if (!json_is_object(networks)) {
		json_decref(root);
		return st_error(err, EINVAL, "`%s`: not a networks state file (line %d: %s); `stack down` removes it",
				path, je.line, root ? "no `networks`" : je.text);
	}
	nets->keep = json_is_true(json_object_get(root, "keep"));
	nets->v = xcalloc(json_object_size(networks) + 1, sizeof(*nets->v));
	const char *name;
	json_t *o;
	json_object_foreach(networks, name, o)
	{
		if (read_net(project_run, name, o, &nets->v[nets->n++], err) < 0) {
			json_decref(root);
			sup_nets_free(nets);
			return st_error_prefix(err, "`%s` (`stack down` removes it)", path);
		}
	}
	json_decref(root);
	return 0;
}

int sup_net_state_write(const char *project_run, const struct sup_nets *nets, st_error_t *err)
{
	json_t *networks = json_object();
	for (size_t i = 0; i < nets->n; i++) {
		const struct sup_net *net = &nets->v[i];
		char buf[SPEC_SUBNET_STRLEN];
		spec_subnet_format(&net->subnet, buf);
		json_t *hosts = json_object();
		for (size_t j = 0; j < net->n_hosts; j++) {
			char a[16];
			spec_ipv4_format(net->hosts[j].addr, a);
			json_t *h = json_pack("{s:s}", "addr", a);
			if (net->hosts[j].holder)
				json_object_set_new(h, "holder", json_string(net->hosts[j].holder));
			json_object_set_new(hosts, net->hosts[j].key, h);
		}
		json_object_set_new(networks, net->name, json_pack("{s:s,s:o}", "subnet", buf, "hosts", hosts));
	}
	json_t *root = json_pack("{s:i,s:b,s:o}", "version", 1, "keep", nets->keep, "networks", networks);
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	_cleanup_free_ char *path = sup_net_state_path(project_run);
	int r = fs_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

void sup_net_state_others(const char *run, const char *self, struct spec_subnet **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(run);
	if (!d)
		return;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		_cleanup_free_ char *dir = xasprintf("%s/%s", run, e->d_name);
		struct sup_nets other;
		st_error_t err = NULL;
		/* Unreadable or foreign: nothing to avoid there. */
		if (sup_net_state_read(dir, &other, &err) < 0) {
			st_error_free(&err);
			continue;
		}
		for (size_t i = 0; i < other.n; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 8;
				*out = xrealloc(*out, cap * sizeof(**out));
			}
			(*out)[(*n)++] = other.v[i].subnet;
		}
		sup_nets_free(&other);
	}
	closedir(d);
}
