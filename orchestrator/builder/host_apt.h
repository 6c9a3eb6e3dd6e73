/* `images.NAME.host_apt: true`: the RUN steps of the image see the host's
 * apt configuration, read-only, bind-mounted over the image's own, so a
 * machine that reaches Debian through a mirror or a proxy builds what a
 * machine on deb.debian.org builds.  Lent, each at its path in /etc/apt:
 *
 *   sources.list, auth.conf, trusted.gpg        the files
 *   sources.list.d/, auth.conf.d/               the directories (the image's
 *                                               own sources would name a
 *                                               mirror the host cannot reach)
 *   trusted.gpg.d/<f>                           each key file
 *   apt.conf.d/<f>                              each file whose statements are
 *                                               all Acquire:: ones (proxy,
 *                                               transport settings); others
 *                                               (DPkg:: hooks calling host
 *                                               tools) stay the host's
 *   the keyrings the sources' Signed-By name    under /usr/share/keyrings,
 *                                               /etc/apt/keyrings or
 *                                               /etc/apt/trusted.gpg.d only
 *
 * None of it enters a layer: the binds cover the image's files, and the
 * mount points the runtime made for them where the image had none are taken
 * out of the step's upper dir (build_mount_points_prune).  A symlink among
 * the host's files is not followed on the host: inside a lent directory it
 * resolves in the container; a Signed-By path must resolve, on the host, to
 * a regular file in one of the keyring directories above, else the step
 * fails naming it.
 *
 * Not in the cache key, by design: only whether host_apt is on is.  A
 * mirror or proxy serves the same archive (as the debootstrap key leaves
 * the host's mirror out and RUN's proxy ARGs stay out of the key), and
 * credentials, like BuildKit's secret mounts, must not change or be
 * derivable from a key; `--no-cache` runs the steps again.
 *
 * Read once an image build, at its first RUN that runs (not cached): every
 * RUN of the build gets the same set of binds, the files being whatever
 * they hold when the step reads them.
 *
 * The host's root is `/`, or $STACK_APT_ROOT (as apt's Dir: a system
 * whose apt configuration lives under another root, a chroot's). */
#ifndef STACK_BUILDER_HOST_APT_H
#define STACK_BUILDER_HOST_APT_H

#include "runtime/config.h"
#include "util/error.h"
#include "util/strv.h"

struct build_host_apt {
	struct rt_mount *v;
	size_t n;
	struct strv strings; /* what v points into */
	struct strv targets; /* every target, for build_mount_points_prune */
};

/* The root whose etc/apt is lent: $STACK_APT_ROOT or "/". */
const char *build_host_apt_root(void);

/* The binds of the apt configuration under `root`.  An error names the
 * file and what to do. */
int build_host_apt_make(const char *root, struct build_host_apt *out, st_error_t *err);
void build_host_apt_free(struct build_host_apt *a);

/* Whether apt.conf text `s` sets only Acquire:: options (and sets any). */
bool build_apt_conf_acquire_only(const char *s);

#endif
