/* One renderer for progress on a terminal or in a log: rows that live
 * while their task runs (a build step, shown with its elapsed time) and
 * lines that stay (a finished step, a RUN's output, a summary).
 *
 *   plain  rows are not shown; lines are printed as they come
 *   tty    rows are redrawn in place under the lines, ten times a second
 *          (a thread of the renderer's), with ANSI cursor moves
 *
 * Text from outside (image names, Dockerfile instructions) is written with
 * what could drive a terminal escaped (util/escape.h), so it cannot move the
 * cursor or set a terminal's title; `raw` lines (a RUN's output in plain mode, as BuildKit
 * keeps them) are the exception the caller asks for.  Safe to call from
 * several threads. */
#ifndef STACK_UTIL_PROGRESS_H
#define STACK_UTIL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum st_progress_mode { ST_PROGRESS_PLAIN, ST_PROGRESS_TTY };

/* "tty", "plain", or "auto": tty when `term_fd` is a terminal and TERM is
 * set and not "dumb".  -1 for another word. */
int st_progress_mode_parse(const char *word, int term_fd, enum st_progress_mode *mode);

struct st_progress;

struct st_progress *st_progress_new(FILE *out, enum st_progress_mode mode);
/* Stops the redraw thread and leaves the last lines, rows cleared. */
void st_progress_free(struct st_progress *p);
enum st_progress_mode st_progress_get_mode(const struct st_progress *p);

/* Row `id` (one per id, replaced) shows `text` and the time since it was
 * first set. */
void st_progress_row(struct st_progress *p, const char *id, const char *text);
/* Row `id` goes (if it is there) and `line` (NULL: none) stays. */
void st_progress_row_end(struct st_progress *p, const char *id, const char *line);
/* A line that stays; `raw`: written as it is in plain mode. */
void st_progress_line(struct st_progress *p, const char *line, size_t len, bool raw);

#endif
