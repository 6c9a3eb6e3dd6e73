/* Internals of the Dockerfile parser, shared by builder/dockerfile*.c only.
 *
 * The split follows BuildKit's frontend/dockerfile/parser: dockerfile_text.c
 * turns bytes into checked physical lines, dockerfile.c joins them into
 * logical lines (directives, comments, continuations) and reads heredoc
 * bodies, dockerfile_words.c has the word splitters BuildKit uses,
 * dockerfile_instr.c knows each instruction's argument form and arity,
 * dockerfile_flags.c the flags it accepts. */
#ifndef STACK_BUILDER_DOCKERFILE_INT_H
#define STACK_BUILDER_DOCKERFILE_INT_H

#include "builder/dockerfile.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

#define DF_MAX_LINE (1u << 20) /* longest physical line accepted (BuildKit's scanner limit) */

/* --- dockerfile_text.c: physical lines --- */
struct df_lines {
	char *text; /* private, sanitized copy; lines are NUL-terminated in place */
	size_t len, pos;
	int lineno; /* number of the line last returned (1-based) */
	bool refused; /* not text at all (UTF-16): reported once, no lines */
};
/* Copy `text`, drop a UTF-8 BOM, and report every line that is too long,
 * holds a NUL byte (replaced by a space so parsing can go on and find
 * further errors) or is not valid UTF-8. */
void df_lines_init(struct df_lines *l, const char *path, const char *text, size_t len, struct diag_list *diags);
/* Next line without its "\n" or "\r\n"; false at end of input. */
bool df_lines_next(struct df_lines *l, char **line);
void df_lines_free(struct df_lines *l);

/* --- dockerfile_words.c: splitting --- */
bool df_is_space(char c);
/* How many bytes of s to quote in a message: at most 80, ending on a
 * UTF-8 character boundary (use as "%.*s", df_clip(s), s). */
int df_clip(const char *s);
const char *df_skip_space(const char *s);
/* BuildKit's reWhitespace split ("FROM", "EXPOSE", "COPY" shell form). */
void df_split_ws(const char *s, struct strv *out);
/* Quote- and escape-aware words, quotes and escapes kept (ARG, ENV, LABEL). */
void df_parse_words(const char *s, char escape, struct strv *out);
/* Leading "--name[=value]" words into `flags` (quotes removed, as BuildKit
 * does); returns where the arguments start. */
const char *df_extract_flags(const char *s, struct strv *flags);
/* The heredocs named on `line` (words like <<EOF, <<-"EOF", 3<<EOF), in
 * order.  Returns -1 with *msg set (caller frees) for a malformed delimiter. */
int df_heredocs_from_line(const char *line, struct df_heredoc **out, size_t *n, char **msg);

/* --- dockerfile_instr.c: one logical line → one instruction --- */
struct df_ctx {
	const char *path;
	char escape;
	struct diag_list *diags;
};
/* dockerfile_flags.c: check `flags` against what `cmd` (lower-case) accepts. */
bool df_check_flags(struct df_ctx *cx, int lineno, enum df_cmd cmd, const struct strv *flags);
/* Fill `in` (cmd, flags, args, json, next) from a logical line; line
 * numbers are the caller's.  Every problem is reported; returns false if
 * there was any.  *known is set when the instruction name was recognized
 * (even if its arguments were wrong). */
bool df_instr_parse(struct df_ctx *cx, const char *line, int lineno, struct df_instr *in, bool *known);
/* The instruction that owns heredocs on this line (itself or ONBUILD's
 * trigger), or NULL if it cannot have any (not RUN/COPY/ADD, or exec form). */
struct df_instr *df_instr_heredoc_owner(struct df_instr *in);
void df_instr_clear(struct df_instr *in);
/* An upper-case copy, for instruction names in messages. */
char *df_upper(const char *s);

#endif
