/* apt's sources, in both of its formats, read once for whoever needs
 * them: the host's Debian mirror for debootstrap (apt_mirror.c) and the
 * Signed-By keyrings host_apt lends (builder/host_apt.c).
 *
 *   one-line (sources.list, *.list):  deb [opt=v ...] URI SUITE COMP...
 *   deb822 (*.sources):               Types: / URIs: / Suites: /
 *                                     Enabled: / Signed-By: stanzas,
 *                                     separated by blank lines, a value
 *                                     going on over indented lines
 *
 * `#` starts a comment in either. */
#ifndef STACK_IMAGE_APT_SOURCES_H
#define STACK_IMAGE_APT_SOURCES_H

#include "util/strv.h"

#include <stdbool.h>
#include <stddef.h>

struct img_apt_source {
	struct strv types;     /* deb, deb-src */
	struct strv uris;
	struct strv suites;
	struct strv signed_by; /* its words: paths, fingerprints (an inline key's lines too) */
	bool enabled;          /* not `Enabled: no` */
};

struct img_apt_sources {
	struct img_apt_source *v;
	size_t n, cap;
};

/* Add the entries of `text` (deb822 when `deb822`, else one-line) to *out. */
void img_apt_sources_parse(const char *text, bool deb822, struct img_apt_sources *out);
void img_apt_sources_free(struct img_apt_sources *s);

#endif
