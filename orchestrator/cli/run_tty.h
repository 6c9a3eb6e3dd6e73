/* The terminal side of `stack run` with a TTY: our terminal in raw mode,
 * bytes copied between it and the container's pty master, the window size
 * kept in step.  The container's line discipline does the echo and ^C. */
#ifndef STACK_CLI_RUN_TTY_H
#define STACK_CLI_RUN_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

struct run_tty {
	int master;
	bool raw; /* our stdin was put in raw mode and must be restored */
	bool stdin_open;
	bool output_gone; /* writing our stdout failed (EPIPE): output is dropped */
	struct termios saved;
	/* Input read from stdin that the pty did not take yet (the payload
	 * is not reading): stdin is not read again until it is written. */
	char pending[8192];
	size_t pending_off, pending_len;
};

/* Take over the terminal (if stdin is one) for the pty master. */
void run_tty_begin(struct run_tty *t, int master);
/* What to poll for: stdin is read only while no input is pending. */
bool run_tty_wants_stdin(const struct run_tty *t);
short run_tty_master_events(const struct run_tty *t);
/* Copy what is ready; false once the master is closed (the payload's side is gone). */
bool run_tty_pump(struct run_tty *t, short stdin_revents, short master_revents);
/* Our stdout failed (its reader is gone): the caller stops the container. */
bool run_tty_output_gone(const struct run_tty *t);
/* Copy our window size to the pty (on start and on SIGWINCH). */
void run_tty_resize(struct run_tty *t);
/* Print what the payload wrote last, restore the terminal. */
void run_tty_end(struct run_tty *t);

#endif
