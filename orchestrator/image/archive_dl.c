#include "image/archive_dl.h"
#include "util/dl.h"
#include "util/mem.h"

struct img_archive_api la;

int img_archive_load(st_error_t *err)
{
	static void *handle;
	/* POSIX guarantees a dlsym() result converts to a function pointer. */
#define IMG_ARCHIVE_SYM(sym) {#sym, (void **)&la.sym},
	static const struct st_dl_sym syms[] = {IMG_ARCHIVE_SYMBOLS(IMG_ARCHIVE_SYM)};
#undef IMG_ARCHIVE_SYM
	/* The soname Debian's libarchive13 ships: a bump is an ABI change to notice. */
	return st_dl_load("libarchive.so.13", "libarchive13", syms, ARRAY_SIZE(syms), &handle, err);
}
