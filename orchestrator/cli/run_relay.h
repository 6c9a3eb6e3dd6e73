/* `stack run` without a TTY, from a terminal: the container never gets the
 * terminal itself.
 *
 * A terminal handed to a container is a way out of it: TIOCSTI pushes
 * keystrokes into its input queue (which the user's shell reads and runs
 * when `stack run` returns), and TIOCSWINSZ, tcsetattr and friends change
 * the user's terminal.  So each of our fds 0, 1, 2 that is a terminal is
 * replaced by a pipe, and a thread of ours copies between the two (the
 * main thread waits for the container and handles signals).  So is a
 * directory (`stack run s < /`: /proc/self/fd/0 would be the host's root
 * tree inside the container) and a regular file (reopened through
 * /proc/self/fd/N, `< notes.txt` could be written and `>> log`
 * truncated).  Pipes, sockets and other character devices (/dev/null) are
 * passed as they are: `stack run s | gzip` writes gzip's pipe directly. */
#ifndef STACK_CLI_RUN_RELAY_H
#define STACK_CLI_RUN_RELAY_H

#include "util/error.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct run_relay_stream {
	int from, to;    /* stdin: 0 -> pipe; stdout, stderr: pipe -> 1, 2 */
	bool open;
	char buf[8192];  /* read from `from`, not yet written to `to` */
	size_t off, len;
	int lost;        /* output: errno of the write that failed, 0 if none */
};

struct run_relay {
	int child[3];    /* what the container gets as fd 0, 1, 2 */
	int child_end[3]; /* the container's pipe ends, -1 where fd i is passed as is */
	struct run_relay_stream s[3];
	int wake[2];     /* run_relay_end() -> the thread: drain and stop */
	pthread_t thread;
	bool running;
};

/* Everything closed (-1): run_relay_end() is safe from here on. */
void run_relay_init(struct run_relay *r);
/* Choose, for fds 0-2, the fd itself or a pipe (a terminal, a directory);
 * fills r->child.  0, or -1 with err (nothing left open). */
int run_relay_prepare(struct run_relay *r, st_error_t *err);
/* Once the container holds its ends (after rt_container_start, whether it
 * succeeded or not): close ours of them. */
void run_relay_close_child_ends(struct run_relay *r);
/* Start copying (nothing to do when every fd is passed as it is). */
int run_relay_begin(struct run_relay *r, st_error_t *err);
/* The first output that could not be written (a file whose file system
 * filled up): 0, or its errno and *fd (1 or 2).  A terminal that hung up
 * or a reader that left (EIO, EPIPE) is not counted. */
int run_relay_lost_output(const struct run_relay *r, int *fd);
/* After the container exited: copy what its output pipes still hold, stop
 * the thread, close everything.  Safe after prepare alone. */
void run_relay_end(struct run_relay *r);

#endif
