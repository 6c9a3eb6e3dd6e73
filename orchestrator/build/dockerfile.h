/* Dockerfile parser: the full syntax (directives, continuations, exec vs
 * shell form, flags, heredocs, ONBUILD), no expansion.  Expansion of ARG/ENV
 * and quote removal are the builder's job, applied to args later. */
#ifndef STACK_BUILD_DOCKERFILE_H
#define STACK_BUILD_DOCKERFILE_H

#include "util/diag.h"
#include "util/strv.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct df_heredoc {
	char *name;    /* the delimiter word */
	char *content; /* body, lines joined with \n, final newline kept */
	bool expand;   /* false when the delimiter was quoted */
	bool chomp;    /* <<-: leading tabs stripped */
};

struct df_instr {
	char *cmd;          /* lower-case: from, run, copy, ... */
	struct strv flags;  /* "--from=build" as written */
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
 * to diags as FILE:LINE; returns -1 if any. */
int df_parse(const char *path, const char *text, size_t len, struct df_file **out, struct diag_list *diags);
void df_free(struct df_file *f);
/* The parse as JSON: [{"cmd","flags","args","json","line","end_line"[,"next"][,"heredocs"]}...] */
json_t *df_to_json(const struct df_file *f);

#endif
