/* A command-line argument shown back in an error message: the user's (or
 * an attacker's) bytes must not drive the terminal. */
#ifndef STACK_CLI_PRINTABLE_H
#define STACK_CLI_PRINTABLE_H

/* A malloc'd copy of S with every byte that is not printable ASCII (and
 * the backslash) written as \xNN, cut after 200 bytes with "...". */
char *cli_printable(const char *s);

#endif
