/* The image store under STACK_ROOT.
 *
 *   layers/<hex>/        an extracted layer, named by the sha256 of its
 *                        canonical tar (img_layer_export: its OCI diff id),
 *                        whiteouts in overlay form (0:0 character devices,
 *                        trusted.overlay.opaque=y) so it can be a lower dir
 *   blobs/sha256/<hex>   content-addressed blobs: image configs in the OCI
 *                        image-config form (an image's id is the digest of
 *                        its config, as in Docker and OCI, so an export needs
 *                        no translation and an imported image keeps its id)
 *   refs.json            name[:tag] -> image id (and, for imported bases, the
 *                        source they came from); one small file, replaced
 *                        atomically under locks/refs, so a reader never needs
 *                        a lock and writers never lose each other's refs
 *   store-version        the format of all of the above (IMG_STORE_VERSION)
 *   locks/refs, locks/gc  flock()ed files that stay (a lock is the flock, not
 *                        the file's existence, so a killed holder leaves no
 *                        stale lock); locks/gc is shared by every open
 *                        store, exclusive for a prune:
 *                        a layer written but not yet referenced (a build
 *                        between its commit and its ref) is never pruned
 *   locks/make-<hash>    one per base entry being made (img_store_lock_make):
 *                        two first uses of a base make it once
 *   tmp/                 work in progress; renamed into place when complete
 *
 * An imported rootfs is named by its source (img_rootfs_key), not by the
 * stack's base name, so two projects' `debian` bases never share a ref.
 *
 * A layer is extracted in tmp/ and renamed into place, so a crash or
 * SIGKILL mid-import leaves at worst a stale tmp/ entry, never a half layer
 * that a later run trusts; the next import sweeps the tmp/ entries whose
 * importer's flock is gone, and a stop signal removes its own at once.
 * Blobs and refs.json are written with fs_write_file_atomic; a blob is
 * written before the ref that names it, so a crash leaves at worst an
 * unreferenced blob (for `stack image prune`), never a ref to nothing. */
#ifndef STACK_IMAGE_STORE_H
#define STACK_IMAGE_STORE_H

#include "util/error.h"
#include "util/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Version 1 (before refs): images/<name>.json records of our own shape.
 * Opening a version-1 store converts them (their layers are unchanged);
 * a store newer than this binary is refused, never half-read. */
#define IMG_STORE_VERSION 2

struct img_store {
	char *root;
	int gc_fd;   /* locks/gc, held shared while open */
	bool locked; /* this process holds locks/refs (a migration): ref updates must not take it again */
};

struct img_label {
	char *key, *value;
};

/* Docker's HEALTHCHECK (the OCI config has no such field; Docker's image
 * spec, which skopeo and umoci pass through, does).  An empty test is "not
 * set" (inherit); ["NONE"] disables the parent's.  Durations in ns, 0 is
 * the default. */
struct img_healthcheck {
	struct strv test; /* ["CMD", args...] | ["CMD-SHELL", cmd] | ["NONE"] */
	int64_t interval, timeout, start_period, start_interval;
	int retries;
};

struct img_history {
	char *created; /* RFC 3339, or NULL */
	char *created_by;
	char *comment;
	bool empty_layer; /* the step made no layer (ENV, CMD ...) */
};

struct img_image {
	char *name;   /* the ref it was read by or is written under, or NULL */
	char *source; /* an imported base: what it was made from (kept in the ref) */
	/* The layers' OCI diff ids, bottom first: a layer's id in layers/ is
	 * its diff id (the digest of its canonical, uncompressed tar). */
	struct strv layers;
	/* config; an empty list or NULL string is "not set", left out of the
	 * JSON (so `CMD []` cannot be told from no CMD: Docker's images never
	 * need to) */
	struct strv env; /* "K=V" */
	struct strv entrypoint;
	struct strv cmd;
	char *working_dir;
	char *user;
	struct strv exposed_ports; /* "5000/tcp" */
	struct img_label *labels;
	size_t n_labels;
	struct img_healthcheck healthcheck;
	char *stop_signal;
	struct strv volumes;
	struct strv on_build; /* ONBUILD triggers, as written after ONBUILD */
	/* top level */
	char *created; /* RFC 3339, or NULL (reproducible builds leave it out) */
	char *author;
	struct img_history *history;
	size_t n_history;
};

int img_store_open(const char *root, struct img_store *out, st_error_t *err);
void img_store_close(struct img_store *s);

/* Keep the store's shared gc lock for the rest of this process and its
 * forks (a supervisor whose containers have layers of this store as lower
 * dirs): `stack image prune` refuses to run meanwhile instead of removing
 * a mounted layer.  The fd is close-on-exec, so no container inherits it. */
void img_store_pin(struct img_store *s);

/* Make the store entry `name` (a base: a debootstrap run, a pull, an
 * import) one process at a time: an exclusive flock on
 * locks/make-<sha256(name)>, waited for (a stop signal ends the wait);
 * when another process holds it, a line to `progress` (may be NULL) says
 * so first, and *waited (may be NULL) is set.  The caller reads the store
 * again once it has the lock: the holder it waited for may have made the
 * entry.  The fd, or -1 and *err; close it to release. */
int img_store_lock_make(const struct img_store *s, const char *name, FILE *progress, bool *waited,
			st_error_t *err);

/* Absolute path of an extracted layer ("sha256:<hex>" or "<hex>"). */
char *img_layer_path(const struct img_store *s, const char *digest);

/* An image by ref: 1 and *out when `name` is a ref, 0 when it is not, -1
 * on error (a ref whose config is missing or damaged is an error, never
 * "not found": a build must not silently rebuild over a broken store). */
int img_image_read(const struct img_store *s, const char *name, struct img_image *out, st_error_t *err);
/* The same by image id ("sha256:<hex>"); 0 when no such config. */
int img_image_load(const struct img_store *s, const char *id, struct img_image *out, st_error_t *err);
/* Store img's config as a blob and, when img->name is set, point that ref
 * (with img->source) at it.  *id (may be NULL) gets the image id.  The
 * config is serialized canonically (sorted keys, no whitespace), so the
 * same image always gets the same id. */
int img_image_write(const struct img_store *s, const struct img_image *img, char **id, st_error_t *err);
void img_image_free(struct img_image *img);
/* Set (replace) a label; keeps labels unique by key. */
void img_image_set_label(struct img_image *img, const char *key, const char *value);
/* The value of a label, or NULL. */
const char *img_image_label(const struct img_image *img, const char *key);

/* The OCI image config of img (canonical JSON, caller frees), and the
 * reverse.  Parsing checks types (a config from an archive is hostile
 * input): a wrong type is an error naming the field. */
char *img_config_json(const struct img_image *img);
int img_config_parse(const char *json, size_t len, struct img_image *out, st_error_t *err);

/* Content-addressed blobs.  img_blob_write stores data under its sha256
 * and puts "sha256:<hex>" in digest (IMG_DIGEST_LEN); storing the same
 * bytes twice is one blob.  img_blob_read checks the digest of what it
 * read (a blob changed on disk is an error); max 0 = 64 MiB. */
#define IMG_DIGEST_LEN 72
int img_blob_write(const struct img_store *s, const void *data, size_t len, char digest[IMG_DIGEST_LEN],
		   st_error_t *err);
int img_blob_read(const struct img_store *s, const char *digest, size_t max, char **data, size_t *len,
		  st_error_t *err);
char *img_blob_path(const struct img_store *s, const char *digest);
/* "sha256:" and 64 lowercase hex digits. */
bool img_digest_valid(const char *digest);
/* The "sha256:<hex>" digest of data, in digest. */
int img_digest_of(const void *data, size_t len, char digest[IMG_DIGEST_LEN], st_error_t *err);

/* Refs.  A name without a tag means `:latest` (as in Docker: `espresso`
 * and `espresso:latest` are one ref); names with `@` (rootfs@..., a
 * digest reference) are taken as they are.  Caller frees. */
char *img_ref_normalize(const char *name);
/* 1 and *id (caller frees) when `name` is a ref, 0 when not, -1 on error. */
int img_ref_resolve(const struct img_store *s, const char *name, char **id, st_error_t *err);
/* Point `name` at `id` (source: what an imported base came from, or NULL). */
int img_ref_set(const struct img_store *s, const char *name, const char *id, const char *source,
		st_error_t *err);
/* 1 when removed, 0 when there was no such ref, -1 on error. */
int img_ref_remove(const struct img_store *s, const char *name, st_error_t *err);

struct img_ref {
	char *name; /* normalized */
	char *id;
	char *source; /* or NULL */
};
/* Every ref, sorted by name. */
int img_ref_list(const struct img_store *s, struct img_ref **refs, size_t *n, st_error_t *err);
void img_ref_list_free(struct img_ref *refs, size_t n);

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
/* The same with another kind than "rootfs" ("oci@..."). */
char *img_source_key(const char *kind, const char *path, st_error_t *err);

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

/* `stack image prune`: remove the layers and blobs no ref reaches, and
 * the refs of imported bases whose source is gone or changed (their key
 * can never be asked for again); `all` also removes every imported base's
 * ref (they are imported again from their sources when next used).
 * Images with names (built, tagged) are removed only by img_ref_remove.
 * Refuses while another process has the store open, so a layer between
 * its commit and its ref, or one a running container mounts
 * (img_store_pin), is never removed.  A build cache entry is not a root:
 * whoever keeps one must take a missing layer as a miss. */
struct img_prune_report {
	size_t refs, layers, blobs;
	uint64_t bytes; /* disk space freed (allocated blocks) */
};
int img_store_prune(const struct img_store *s, bool all, struct img_prune_report *rep, st_error_t *err);
/* Disk space a file tree takes (allocated blocks, not followed). */
uint64_t img_path_size(const char *path);

/* Import the linux/amd64 image of an OCI image layout directory, an OCI
 * archive (a tar of a layout, gzip or zstd too) or a `docker save`
 * archive: *out gets its config (Env, Cmd ... and history as the image
 * has them) with `layers` naming the stored layers; the caller names and
 * writes it (img_image_write).  Every blob's digest and every layer's
 * diff id is checked; a layer is refused when it unpacks to more than
 * img_unpack_limit (oci_source.h: 100 times its size or 1 GiB, whichever
 * is more, at most 64 GiB) or has an absolute or `..` name, a hard link
 * out of it, a symlink a later entry writes through or a device node
 * (whiteouts excepted).  Nothing is written outside STORE/tmp and
 * STORE/layers; a failure leaves no layer half made. */
int img_import_oci(const struct img_store *s, const char *path, struct img_image *out, st_error_t *err);

/* Extract an archive (a tar, plain or compressed) into the existing
 * directory `dir`, as Dockerfile ADD does with a local archive: with the
 * checks of an image layer's import (no absolute or `..` names, no hard
 * link out, no write through a symlink, no device node; `.wh.` files are
 * whiteouts), numeric owners and modes as the archive has them. */
int img_extract_archive(const struct img_store *s, const char *archive, const char *dir, st_error_t *err);

/* A work dir of the caller's (a build step's upper dir or new layer):
 * STORE/tmp/import-PREFIX-XXXXXX, made while no sweep runs and flock()ed
 * through *lock_fd for as long as the caller keeps that fd open.  Once it
 * is closed (the caller finished, or was killed), the next sweep of dead
 * imports removes what is left; a caller removes it itself
 * (fs_remove_tree) before closing the fd. */
int img_tmp_make(const struct img_store *s, const char *prefix, char **path, int *lock_fd, st_error_t *err);

/* Write image `name` to `out` as an OCI image archive (a tar of an OCI
 * image layout; layers gzip-compressed when `gz`), atomically: `out` is
 * replaced only by a complete archive.  The same image gives the same
 * bytes (save_oci.c says how). */
int img_image_save(const struct img_store *s, const char *name, const char *out, bool gz, st_error_t *err);

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
