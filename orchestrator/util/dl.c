#include "util/dl.h"

#include <dlfcn.h>

int st_dl_load(const char *soname, const char *package, const struct st_dl_sym *syms, size_t n, void **handle,
	       st_error_t *err)
{
	if (*handle)
		return 0;
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return st_error(err, 0, "load %s: %s (install Debian's %s)", soname, dlerror(), package);
	for (size_t i = 0; i < n; i++) {
		if (!dlsym(h, syms[i].name)) {
			dlclose(h);
			return st_error(err, 0, "load %s: symbol %s is missing (is %s too old?)", soname,
					syms[i].name, package);
		}
	}
	for (size_t i = 0; i < n; i++)
		*syms[i].ptr = dlsym(h, syms[i].name);
	*handle = h;
	return 0;
}
