#include "util/dl.h"

#include <dlfcn.h>
#include <pthread.h>

/* One lock for every library: first loads are rare and short, and one lock
 * cannot be taken in two orders. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int load_locked(struct st_dl_lib *lib, st_error_t *err)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return st_error(err, 0, "load %s: %s (install Debian's %s)", lib->soname, dlerror(),
				lib->package);
	for (size_t i = 0; i < lib->n_syms; i++) {
		if (!dlsym(h, lib->syms[i].name)) {
			dlclose(h);
			return st_error(err, 0, "load %s: symbol %s is missing (is %s too old?)", lib->soname,
					lib->syms[i].name, lib->package);
		}
	}
	for (size_t i = 0; i < lib->n_syms; i++)
		*lib->syms[i].ptr = dlsym(h, lib->syms[i].name);
	if (lib->on_load)
		lib->on_load();
	/* Release: whoever sees the handle also sees the filled table. */
	atomic_store_explicit(&lib->handle, h, memory_order_release);
	return 0;
}

int st_dl_load(struct st_dl_lib *lib, st_error_t *err)
{
	if (atomic_load_explicit(&lib->handle, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&load_lock);
	int r = 0;
	if (!atomic_load_explicit(&lib->handle, memory_order_relaxed))
		r = load_locked(lib, err);
	pthread_mutex_unlock(&load_lock);
	return r;
}
