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
	int rc = 0;
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
			st_error(err, errno, "stat `%s`", path);
		} else if (fs_remove_tree_at(dfd, leaf, path, err) == 0) {
			fprintf(out, " Volume %s  Removed\n", leaf);
			continue;
		} else {
			st_error_prefix(err, "volume `%s`", name);
		}
		/* This one is kept (a mount point is refused whole); the others
		 * are still removed, each failure said on its own. */
		st_error_print(err, out);
		rc = -1;
	}
	return rc;
}
