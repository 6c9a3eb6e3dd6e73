#include "image/tmp_dir.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static bool is_work_dir(const char *name)
{
	static const char *const kinds[] = {IMG_TMP_KINDS};
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t n = strlen(kinds[i]);
		if (strncmp(name, kinds[i], n) == 0 && name[n] == '-')
			return true;
	}
	return false;
}

/* Under tmp/'s lock: remove every work dir nobody holds a lock on. */
static void sweep_dead(int tmp_fd, const char *tmpdir)
{
	int dup_fd = dup(tmp_fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!is_work_dir(e->d_name))
			continue;
		_cleanup_close_ int fd = openat(tmp_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* an importer at work */
		_cleanup_free_ char *path = xasprintf("%s/%s", tmpdir, e->d_name);
		fs_remove_tree(path, NULL);
	}
	closedir(d);
}

int img_tmp_dir_make(const struct img_store *s, char *tmp, int *lock_fd, st_error_t *err)
{
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->root);
	_cleanup_close_ int tfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return st_error(err, errno, "open `%s`", tmpdir);
	while (flock(tfd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return st_error(err, errno, "lock `%s`", tmpdir);
		if (st_interrupted()) {
			char sig_name[32];
			return st_error(err, EINTR, "stopped by %s",
					st_signal_name(st_interrupted(), sig_name, sizeof(sig_name)));
		}
	}
	sweep_dead(tfd, tmpdir);
	if (!mkdtemp(tmp))
		return st_error(err, errno, "mkdtemp `%s`", tmp);
	*lock_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		rmdir(tmp);
		return st_error(err, e, "lock `%s`", tmp);
	}
	return 0; /* tmp/'s lock goes with tfd */
}
