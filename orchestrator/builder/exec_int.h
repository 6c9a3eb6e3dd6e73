/* Shared by builder/exec*.c only: one image's build state and the
 * helpers its steps share (exec.c: FROM, config steps, the loop;
 * exec_run.c: RUN; exec_copy.c: COPY and ADD). */
#ifndef STACK_BUILDER_EXEC_INT_H
#define STACK_BUILDER_EXEC_INT_H

#include "builder/exec.h"
#include "builder/exec_config.h"
#include "builder/host_apt.h"
#include "util/sha256.h"

#include <stdbool.h>
#include <stdint.h>

struct stage {
	char *name; /* lower-case AS name, or NULL */
	size_t first, end; /* its instructions: df->v[first] is the FROM */
	bool needed, built;
	struct bcfg cfg;
	struct spec_kvlist args; /* the stage's ARGs, with their values */
	char chain[ST_SHA256_HEX_LEN + 1];
};

struct exec {
	const struct build_image_ctx *cx;
	const struct build_node *node;
	const struct spec_image *image;
	const struct df_file *df;
	char escape;
	struct stage *stages;
	size_t n_stages;
	struct spec_kvlist global; /* platform ARGs and the ARGs before the first FROM */
	int step, total;
	/* host_apt: the host's apt config, read at the first RUN that runs
	 * and lent to every RUN of this image build (host_apt.h). */
	struct build_host_apt apt;
	bool apt_read;
};

/* A user's error (a Dockerfile's): no errno. */
int bx_user_error(st_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One word of an instruction expanded with the stage's ARGs and ENV. */
int bx_expand(const struct exec *x, const struct stage *s, const char *word, char **out, st_error_t *err);
/* The value of --NAME=VALUE (the last one), or NULL. */
const char *bx_flag_value(const struct df_instr *in, const char *name);
/* Flags the parser accepts (they are BuildKit's) that this builder does
 * not implement: an error, never ignored. */
int bx_refuse_flags(const struct df_instr *in, const char *const *names, st_error_t *err);
/* The plan's resolution of the FROM (copy false) or --from (copy true) at line. */
const struct build_from *bx_from_at(const struct exec *x, int line, bool copy);
/* An image of the stack or a base as a stage's start; *work: it was imported now. */
int bx_load_image(const struct exec *x, const struct build_from *f, struct bcfg *out, bool *work, st_error_t *err);
/* A step's key: the chain, the instruction, then what the caller adds. */
int bx_key_begin(const struct stage *s, const struct df_instr *in, struct st_sha256 *h, st_error_t *err);
void bx_add_layer(struct stage *s, const char *layer);
const struct spec_kv *bx_kv_last(const struct spec_kvlist *l, const char *key);
void bx_hash_str(struct st_sha256 *h, const char *s);
void bx_hash_strv(struct st_sha256 *h, const struct strv *v);
/* "RUN apt-get install ...": the instruction as progress lines show it. */
char *bx_instr_text(const struct df_instr *in);

int bx_run(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err);
int bx_copy(struct exec *x, struct stage *s, const struct df_instr *in, bool *cached, st_error_t *err);

#endif
