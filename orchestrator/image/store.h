/* The image store under STACK_ROOT.
 *
 *   layers/<hex>/        an extracted layer, named by the sha256 of its
 *                        canonical tar (img_layer_export: its OCI diff id),
 *                        whiteouts in overlay form (0:0 character devices,
 *                        trusted.overlay.opaque=y) so it can be a lower dir
 *   images/<name>.json   an image: its layers (bottom first) and the
 *                        config a container starts from (env, entrypoint ...);
 *                        an imported rootfs is named by its source
 *                        (img_rootfs_key), not by the stack's base name, so
 *                        two projects' `debian` bases never share an entry
 *   tmp/                 work in progress; renamed into place when complete
 *
 * A layer is extracted in tmp/ and renamed into place, so a crash or
 * SIGKILL mid-import leaves at worst a stale tmp/ entry, never a half layer
 * that a later run trusts; the next import sweeps the tmp/ entries whose
 * importer's flock is gone, and a stop signal removes its own at once.
 * Image files are replaced atomically (util/fs.h fs_write_file_atomic);
 * opening the store sweeps what a killed writer left in images/. */
#ifndef STACK_IMAGE_STORE_H
#define STACK_IMAGE_STORE_H

#include "util/error.h"
#include "util/strv.h"

struct img_store {
	char *root;
};

struct img_image {
	char *name;
	char *source; /* what it was made from (the rootfs path), or NULL */
	struct strv layers; /* "sha256:<hex>", bottom layer first (OCI order) */
	struct strv env;    /* "K=V" */
	struct strv entrypoint;
	struct strv cmd;
	char *working_dir;
	char *user;
};

int img_store_open(const char *root, struct img_store *out, st_error_t *err);
void img_store_close(struct img_store *s);

/* Absolute path of an extracted layer ("sha256:<hex>" or "<hex>"). */
char *img_layer_path(const struct img_store *s, const char *digest);

/* 1 and *out when the image exists, 0 when it does not, -1 on error. */
int img_image_read(const struct img_store *s, const char *name, struct img_image *out, st_error_t *err);
int img_image_write(const struct img_store *s, const struct img_image *img, st_error_t *err);
void img_image_free(struct img_image *img);

/* The store name of the rootfs at `path` (a directory or an archive):
 * "rootfs@DEV-INODE-STAMP" (an `@` without a digest: no image or registry
 * reference can be spelled so), where DEV and INODE name the source itself (two
 * different sources never share a key, whatever the stack calls them) and
 * STAMP is a hash of what changes when the source does, so a changed source
 * is imported again:
 *   - an archive: its size, mtime and ctime;
 *   - a directory: the size, mode, mtime and ctime of the directory and of
 *     each of its entries (lstat, not followed).  That notices an entry of
 *     the top added, removed, renamed, rewritten or touched, and a file
 *     added, removed or renamed one level down (which changes its
 *     directory's mtime: /etc/passwd replaced by an editor or by
 *     `cp`+`mv`, a package unpacked into /usr).  A file rewritten in place
 *     below the top (`echo >> etc/passwd`) is not noticed: `touch` the
 *     rootfs directory to import it again.
 * Stamps are cheap (no content is read): this runs on every `stack run`. */
char *img_rootfs_key(const char *path, st_error_t *err);

/* Import a root filesystem (a directory, or a tar archive: plain, gzip,
 * xz, zstd ... whatever libarchive detects) as one layer.  *digest gets
 * "sha256:<hex>", the digest of the layer's canonical export, so the same
 * content gets the same id whatever the source's entry order, owner names
 * or PAX records; import -> export -> import gives the same id.
 * What a layer keeps is what its export says: type, permissions, numeric
 * owner, mtime (whole seconds), content, link target, device numbers and
 * security.capability.  Owner names are ignored (the ids are the image's,
 * not this host's); other xattrs, ACLs and file flags are dropped; a
 * directory made for an entry whose parent the archive does not list is
 * 0755, root's, mtime 0.  OCI whiteouts become overlay ones: `.wh.NAME` a
 * 0:0 character device NAME, `.wh..wh..opq` trusted.overlay.opaque=y on its
 * directory (other `.wh..wh.` names are aufs metadata and are skipped).
 * Importing the same content twice stores it once. */
int img_import_rootfs(const struct img_store *s, const char *path, char **digest, st_error_t *err);

/* img_import_rootfs with a choice for device nodes (block devices and
 * character devices other than a 0:0 whiteout): IMG_IMPORT_REFUSE_DEVICES
 * fails the import naming the entry (a registry layer: an image has no
 * business shipping /dev/sda), IMG_IMPORT_SKIP_DEVICES leaves them out (a
 * debootstrap tree's /dev/null ...: the runtime makes /dev); 0 keeps them
 * as img_import_rootfs does.  The messages say "import rootfs `PATH`". */
enum { IMG_IMPORT_REFUSE_DEVICES = 1, IMG_IMPORT_SKIP_DEVICES = 2 };
int img_import_layer(const struct img_store *s, const char *path, unsigned flags, char **digest, st_error_t *err);

/* "sha256:" and 64 hex digits, and the NUL. */
#define IMG_DIGEST_LEN 72

/* Write the canonical tar of a stored layer to `out_fd` (-1: only hash it)
 * and its digest to `digest_out` (see layer_export.c for what canonical
 * means: sorted, numeric owners, whiteouts as `.wh.` files).  Fails, after
 * writing, when the digest is not the layer's id.  A reader of `out_fd`
 * that goes away is an EPIPE error where SIGPIPE is caught or ignored (as
 * st_interrupt_catch does), else SIGPIPE's default. */
int img_layer_export(const struct img_store *s, const char *layer_id, int out_fd, char digest_out[IMG_DIGEST_LEN],
		     st_error_t *err);

/* Store an overlay upper dir (whiteouts as 0:0 character devices, opaque
 * directories by their xattr) as a layer: *layer_id gets "sha256:<hex>",
 * the digest of its canonical tar.  The layer is the extraction of that
 * tar (so it holds exactly what its id says), made in tmp/ and renamed into
 * place as an import is; `upper_dir` is left as it was.  Nothing may write
 * to `upper_dir` meanwhile (the container is stopped and synced).  A file
 * a RUN step itself named `.wh.NAME` reads back as a whiteout, as it does
 * in any OCI layer. */
int img_layer_commit_dir(const struct img_store *s, const char *upper_dir, char **layer_id, st_error_t *err);

#endif
