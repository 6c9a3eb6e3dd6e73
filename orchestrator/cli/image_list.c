#include "cli/image_list.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

void cli_human_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
}

uint64_t cli_image_size(const struct img_store *s, const struct img_image *img)
{
	uint64_t total = 0;
	for (size_t i = 0; i < img->layers.n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(img->layers.v[i], img->layers.v[j]) == 0;
		if (seen)
			continue;
		_cleanup_free_ char *path = img_layer_path(s, img->layers.v[i]);
		total += img_path_size(path);
	}
	return total;
}

void cli_ref_split(const char *name, char **repo, char **tag)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	if (strchr(name, '@') || !colon) {
		*repo = xstrdup(name);
		*tag = xstrdup("-");
		return;
	}
	*repo = xstrndup(name, (size_t)(colon - name));
	*tag = xstrdup(colon + 1);
}
