#include "image/archive_dl.h"
#include "util/dl.h"
#include "util/mem.h"

struct img_archive_api la;

/* POSIX guarantees a dlsym() result converts to a function pointer. */
#define IMG_ARCHIVE_SYM(sym) {#sym, (void **)&la.sym},
static const struct st_dl_sym archive_syms[] = {IMG_ARCHIVE_SYMBOLS(IMG_ARCHIVE_SYM)};
#undef IMG_ARCHIVE_SYM

/* The soname Debian's libarchive13 ships: a bump is an ABI change to notice. */
static struct st_dl_lib archive_lib = {
	.soname = "libarchive.so.13",
	.package = "libarchive13",
	.syms = archive_syms,
	.n_syms = ARRAY_SIZE(archive_syms),
};

int img_archive_load(st_error_t *err)
{
	return st_dl_load(&archive_lib, err);
}
