/* The image config a stage builds up, instruction by instruction (ENV,
 * USER, EXPOSE, HEALTHCHECK ...), in the store's form (img_image) plus
 * what only a build has (SHELL). */
#ifndef STACK_BUILDER_EXEC_CONFIG_H
#define STACK_BUILDER_EXEC_CONFIG_H

#include "builder/dockerfile.h"
#include "image/store.h"
#include "util/error.h"

#include <stdbool.h>

struct bcfg {
	struct img_image img;
	struct strv shell; /* SHELL; default ["/bin/sh", "-c"] */
	bool cmd_set_here; /* a CMD of this stage (ENTRYPOINT then keeps it) */
};

void bcfg_init(struct bcfg *c);
void bcfg_free(struct bcfg *c);
void bcfg_reset(struct bcfg *c); /* free, then init */
void bcfg_copy(struct bcfg *dst, const struct bcfg *src);
/* An image from the store becomes a stage's start (its name and source
 * are not the stage's). */
void bcfg_from_image(struct bcfg *dst, const struct img_image *img);
/* What the image is, as text: its config with its layer ids (for keys). */
char *bcfg_identity(const struct bcfg *c);

const char *bcfg_env_get(const struct bcfg *c, const char *key);
void bcfg_env_set(struct bcfg *c, const char *key, const char *value);
/* EXPOSE PORT[/PROTO]: "80" is "80/tcp"; ranges "8000-8002" expand. */
int bcfg_expose(struct bcfg *c, const char *port, st_error_t *err);
void bcfg_volume(struct bcfg *c, const char *path);
int bcfg_stop_signal(struct bcfg *c, const char *sig, st_error_t *err);
int bcfg_healthcheck(struct bcfg *c, const struct df_instr *in, st_error_t *err);
/* A history entry, as docker history shows them. */
void bcfg_history(struct bcfg *c, const char *created_by, bool empty_layer);

#endif
