/* What `stack images` and `stack image inspect` show of the store. */
#ifndef STACK_CLI_IMAGE_LIST_H
#define STACK_CLI_IMAGE_LIST_H

#include "image/store.h"

#include <jansson.h>

/* "12.3MB", as docker prints sizes (SI units). */
void cli_human_size(uint64_t bytes, char *buf, size_t size);
/* The disk space of an image's layers (each counted once). */
uint64_t cli_image_size(const struct img_store *s, const struct img_image *img);
/* Split a normalized ref into repository and tag ("-" for a base key). */
void cli_ref_split(const char *name, char **repo, char **tag);

#endif
