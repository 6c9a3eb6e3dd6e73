#include "supervisor/files.h"
#include "util/fs.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

char *sup_run_dir(const struct st_paths *paths, const char *project)
{
	return xasprintf("%s/%s", paths->run, project);
}

char *sup_pid_path(const char *run_dir)
{
	return xasprintf("%s/supervisor.pid", run_dir);
}

char *sup_socket_path(const char *run_dir)
{
	return xasprintf("%s/supervisor.sock", run_dir);
}

char *sup_state_path(const char *run_dir, const char *id)
{
	return xasprintf("%s/%s.state", run_dir, id);
}

char *sup_log_dir(const struct st_paths *paths, const char *project)
{
	return xasprintf("%s/logs/%s", paths->root, project);
}

char *sup_volumes_dir(const struct st_paths *paths)
{
	return xasprintf("%s/volumes", paths->root);
}

char *sup_volume_dir(const struct st_paths *paths, const char *project, const char *name)
{
	return xasprintf("%s/volumes/%s_%s", paths->root, project, name);
}

char *sup_log_path(const char *log_dir, const char *service)
{
	return xasprintf("%s/%s.log", log_dir, service);
}

char *sup_events_dir(const struct st_paths *paths)
{
	return xasprintf("%s/events", paths->root);
}

char *sup_events_path(const struct st_paths *paths, const char *project)
{
	return xasprintf("%s/events/%s.jsonl", paths->root, project);
}

char *sup_container_name(const char *project, const char *service)
{
	return xasprintf("%s-%s-1", project, service);
}

int sup_alive(const char *run_dir, pid_t *pid)
{
	_cleanup_free_ char *path = sup_pid_path(run_dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	*pid = 0;
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return 0; /* nobody holds it: its supervisor is gone */
	char buf[64] = {0};
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		*pid = (pid_t)strtol(buf, NULL, 10);
	return 1;
}

int sup_pid_file_take(const char *run_dir, int *fd, st_error_t *err)
{
	_cleanup_free_ char *path = sup_pid_path(run_dir);
	*fd = -1;
	if (fs_mkdir_p(run_dir, 0700, err) < 0)
		return -1;
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return st_error(err, errno, "open `%s`", path);
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(f);
		errno = e;
		return st_error(err, e, "lock `%s`: the project's supervisor is running", path);
	}
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)getpid(),
			 (unsigned long long)sup_proc_start_time(getpid()));
	if (ftruncate(f, 0) < 0 || pwrite(f, buf, (size_t)n, 0) != n) {
		int e = errno;
		close(f);
		return st_error(err, e, "write `%s`", path);
	}
	*fd = f;
	return 0;
}

static int by_service(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	const char *s = json_string_value(json_object_get(*x, "service"));
	const char *t = json_string_value(json_object_get(*y, "service"));
	return strcmp(s ? s : "", t ? t : "");
}

json_t *sup_state_list(const char *run_dir)
{
	json_t *arr = json_array();
	DIR *d = opendir(run_dir);
	if (!d)
		return arr;
	size_t n = 0, cap = 0;
	json_t **recs = NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 6 || strcmp(e->d_name + len - 6, ".state") != 0)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", run_dir, e->d_name);
		json_t *rec = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
		if (!rec || !json_is_object(rec) || !json_is_string(json_object_get(rec, "service"))) {
			json_decref(rec);
			continue;
		}
		recs = xgrow(recs, &cap, n + 1, sizeof(*recs));
		recs[n++] = rec;
	}
	closedir(d);
	if (n)
		qsort(recs, n, sizeof(*recs), by_service);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, recs[i]);
	free(recs);
	return arr;
}

int sup_state_write(const char *run_dir, const char *id, json_t *rec, st_error_t *err)
{
	_cleanup_free_ char *path = sup_state_path(run_dir, id);
	_cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return st_error(err, ENOMEM, "state of `%s`", id);
	/* STACK_RUN does not outlive a reboot, nor do the containers it
	 * describes: atomic, without an fsync on the loop per state change */
	return fs_write_file_atomic_volatile(path, text, strlen(text), 0600, err);
}

void sup_state_remove(const char *run_dir, const char *id)
{
	_cleanup_free_ char *path = sup_state_path(run_dir, id);
	unlink(path);
}

uint64_t sup_proc_stat(pid_t pid, char *state)
{
	char path[64], buf[1024];
	if (state)
		*state = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields count from the last ')' */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	p++;
	if (state)
		*state = p[1]; /* field 3 */
	for (int field = 3; field < 22 && p; field++) /* p: the space before field 3 */
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

uint64_t sup_proc_start_time(pid_t pid)
{
	return sup_proc_stat(pid, NULL);
}

/* init's first child, the payload (0 if none). */
static pid_t first_child(pid_t pid)
{
	char path[96], buf[64] = {0};
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return 0;
	return (pid_t)strtol(buf, NULL, 10);
}

void sup_proc_security(pid_t pid, json_t *o)
{
	pid_t child = first_child(pid);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)(child > 0 ? child : pid));
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[256];
	unsigned uid = 0, gid = 0;
	bool have_uid = false, have_gid = false;
	while (fgets(line, sizeof(line), f)) {
		char val[128];
		if (sscanf(line, "Uid: %*u %u", &uid) == 1)
			have_uid = true;
		else if (sscanf(line, "Gid: %*u %u", &gid) == 1)
			have_gid = true;
		else if (sscanf(line, "CapEff: %127s", val) == 1)
			json_object_set_new(o, "cap_eff", json_string(val));
		else if (sscanf(line, "NoNewPrivs: %127s", val) == 1)
			json_object_set_new(o, "no_new_privs", json_boolean(strcmp(val, "1") == 0));
		else if (sscanf(line, "Seccomp: %127s", val) == 1)
			json_object_set_new(o, "seccomp", json_string(strcmp(val, "2") == 0   ? "filter"
								       : strcmp(val, "1") == 0 ? "strict"
											       : "disabled"));
	}
	if (have_uid && have_gid) {
		char u[32];
		snprintf(u, sizeof(u), "%u:%u", uid, gid);
		json_object_set_new(o, "user", json_string(u));
	}
}
