/* Dockerfile parser: the full syntax (directives, continuations, exec vs
 * shell form, flags, heredocs, ONBUILD), no expansion.  Expansion of ARG/ENV
 * and quote removal are the builder's job, applied to args later. */
#ifndef STACK_BUILDER_DOCKERFILE_H
#define STACK_BUILDER_DOCKERFILE_H

#include "util/diag.h"
#include "util/strv.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct df_heredoc {
	char *name;    /* the delimiter word */
	char *content; /* body, lines joined with \n, final newline kept; as
			* written: for <<- the builder strips the leading tabs */
	bool expand;   /* false when the delimiter was quoted */
	bool chomp;    /* <<-: leading tabs are to be stripped */
};

/* The instructions; DF_NONE is none (an unknown name is an error). */
enum df_cmd {
	DF_NONE = 0,
	DF_ADD,
	DF_ARG,
	DF_CMD,
	DF_COPY,
	DF_ENTRYPOINT,
	DF_ENV,
	DF_EXPOSE,
	DF_FROM,
	DF_HEALTHCHECK,
	DF_LABEL,
	DF_MAINTAINER,
	DF_ONBUILD,
	DF_RUN,
	DF_SHELL,
	DF_STOPSIGNAL,
	DF_USER,
	DF_VOLUME,
	DF_WORKDIR,
};
#define DF_N_CMDS (DF_WORKDIR + 1)

/* "from", "run", ... as `stack dockerfile` prints them; "" for DF_NONE. */
const char *df_cmd_name(enum df_cmd cmd);

struct df_instr {
	enum df_cmd cmd;
	struct strv flags;  /* "--from=build": the leading --words, quotes removed as BuildKit does */
	struct strv args;   /* see `stack dockerfile`: as written, joined continuations */
	bool json;          /* exec form */
	int line, end_line; /* 1-based, inclusive */
	struct df_heredoc *heredocs;
	size_t n_heredocs;
	struct df_instr *next; /* ONBUILD: the wrapped instruction */
};

struct df_file {
	char *path;
	char escape; /* '\\' or '`' */
	struct df_instr *v;
	size_t n;
};

/* Parse `text` (len bytes; may contain NULs, which are rejected).  Errors go
 * to diags as FILE:LINE (col 0), all of them; returns -1 if any, with *out
 * NULL.  On success *out is the parse (free with df_free).  args per cmd:
 * run/cmd/entrypoint/shell: one shell string, or the exec-form array (json);
 * copy/add/volume: whitespace words, or the array; from/expose: words;
 * arg: NAME[=DEFAULT] words; env/label: [key, value, ...];
 * user/workdir/stopsignal/maintainer: one string; healthcheck: [type,
 * command...]; onbuild: [trigger text] with the parsed trigger in next. */
int df_parse(const char *path, const char *text, size_t len, struct df_file **out, struct diag_list *diags);
void df_free(struct df_file *f);
/* The parse as JSON: [{"cmd","flags","args","json","line","end_line"[,"next"][,"heredocs"]}...] */
json_t *df_to_json(const struct df_file *f);

#endif
