#include "cli/down_extra.h"
#include "spec/names.h"
#include "supervisor/files.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_down_volumes(const struct st_paths *paths, const struct spec_stack *stack, FILE *out, st_error_t *err)
{
	if (stack->volumes.n == 0)
		return 0;
	_cleanup_free_ char *dir = sup_volumes_dir(paths);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0; /* no volume was ever made */
		if (errno == ELOOP || errno == ENOTDIR)
			return st_error(err, errno, "`%s` is a symlink or not a directory: no volume is removed through "
					"it; make it a directory of its own", dir);
		return st_error(err, errno, "open `%s`", dir);
	}
	for (size_t i = 0; i < stack->volumes.n; i++) {
		const char *name = stack->volumes.v[i];
		/* the loader checked it; a path component all the same */
		if (!spec_name_valid(name))
			return st_error(err, EINVAL, "volume name `%s` is not a valid name", name);
		_cleanup_free_ char *leaf = xasprintf("%s_%s", stack->name, name);
		_cleanup_free_ char *path = sup_volume_dir(paths, stack->name, name);
		struct stat st;
		if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* declared, never used */
			return st_error(err, errno, "stat `%s`", path);
		}
		if (!S_ISDIR(st.st_mode)) {
			/* not ours to walk into: the link (or file) goes, what it
			 * points to stays */
			if (unlinkat(dfd, leaf, 0) < 0 && errno != ENOENT)
				return st_error(err, errno, "remove `%s`", path);
		} else {
			/* the directory the descriptor holds, whatever its path
			 * points to by now */
			_cleanup_free_ char *at = xasprintf("/proc/self/fd/%d/%s", dfd, leaf);
			if (fs_remove_tree(at, err) < 0)
				return st_error_prefix(err, "volume `%s` (`%s`)", name, path);
		}
		fprintf(out, " Volume %s  Removed\n", leaf);
	}
	return 0;
}
