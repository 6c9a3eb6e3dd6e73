/* A `debootstrap:` base: Debian's debootstrap run into a work dir under
 * the store's tmp/ and imported as one layer.
 *
 * The mirror defaults to the host's own Debian source (its apt config:
 * sources.list and the .list and deb822 .sources files of sources.list.d), since that is
 * how this machine reaches the archive.  Whichever mirror was used, the
 * image does not name it: /etc/apt/sources.list is rewritten to
 * `deb http://deb.debian.org/debian SUITE main` (Debian's public
 * redirector, what the official images name), the package lists and
 * .debs debootstrap downloaded (whose file names carry the mirror) are
 * removed, and the host's /etc/resolv.conf and /etc/hostname that
 * debootstrap copies in are emptied (the runtime mounts its own).  Device
 * nodes debootstrap made in /dev are left out (the runtime makes /dev).
 *
 * debootstrap runs in a mount and PID namespace of its own: the /proc and
 * /sys it mounts into the target and every process it starts (dpkg in the
 * chroot) end with it, so a stop signal or a kill -9 of `stack` leaves no
 * mount and no process, only a work dir the next import sweeps. */
#ifndef STACK_IMAGE_DEBOOTSTRAP_H
#define STACK_IMAGE_DEBOOTSTRAP_H

#include "image/store.h"
#include "util/error.h"
#include "util/strv.h"

#include <stdio.h>

struct img_debootstrap {
	const char *suite;	    /* "bookworm" */
	const char *variant;	    /* "minbase", "buildd", or NULL (debootstrap's default) */
	const char *mirror;	    /* NULL: the host's Debian source */
	const struct strv *include; /* extra packages, or NULL */
	const char *apt_dir;	    /* the host's apt config: "/etc/apt" */
	FILE *progress;		    /* debootstrap's output, each line prefixed; NULL: none */
};

/* The store name of such a base: "debootstrap@SUITE-HASH", HASH of the
 * suite, variant, explicit mirror and sorted includes (the host's default
 * mirror is not in it: another mirror of the archive is the same Debian).
 * NULL and *err when a parameter is not one debootstrap could take. */
char *img_debootstrap_key(const struct img_debootstrap *o, st_error_t *err);

/* Run debootstrap and store the result as the image `name`; *out gets it. */
int img_debootstrap_import(const struct img_store *s, const struct img_debootstrap *o, const char *name,
			   struct img_image *out, st_error_t *err);

/* The URI of the host's Debian archive for `suite` in its apt config (a
 * source listing that suite, else one listing a Debian suite), or NULL
 * and *err saying to set `mirror:`. */
char *img_apt_debian_mirror(const char *apt_dir, const char *suite, st_error_t *err);

#endif
