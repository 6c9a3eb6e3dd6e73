/* The process title: what ps and /proc/PID/cmdline show.
 *
 * Our init is the `stack` process carrying on inside the container: without
 * a new title, the container would read the host's command line (paths,
 * flags, file names) in /proc/1/cmdline.  Overwriting the argv strings is
 * the one way that needs no CAP_SYS_RESOURCE (prctl PR_SET_MM does). */
#ifndef STACK_UTIL_PROCTITLE_H
#define STACK_UTIL_PROCTITLE_H

/* Remember where argv's strings live; call first thing in main(). */
void st_proctitle_init(int argc, char **argv);
/* Replace the command line (truncated to the space argv had) and the comm
 * name.  After this, argv's strings are gone: only for processes that no
 * longer read them. */
void st_proctitle_set(const char *title);

#endif
