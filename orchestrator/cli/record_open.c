#include "cli/record_open.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

int cli_record_open(const char *path, const char *who, ino_t *said)
{
	st_error_t err = NULL;
	int fd = fs_open_regular(path, O_RDONLY, 0, &err);
	if (fd >= 0)
		return fd;
	if (err && err->status == ENOENT) {
		st_error_free(&err);
		return -1;
	}
	struct stat st;
	ino_t ino = lstat(path, &st) == 0 ? st.st_ino : 0;
	if (ino && ino == *said) {
		st_error_free(&err);
		return -2;
	}
	*said = ino;
	st_error_prefix(&err, "%s", who);
	st_error_print(&err, stderr);
	return -2;
}
