/* A command-line argument shown back in an error message: the user's (or
 * an attacker's) bytes must not drive the terminal. */
#ifndef STACK_CLI_PRINTABLE_H
#define STACK_CLI_PRINTABLE_H

/* A malloc'd copy of S escaped as util/escape.h has it, the backslash too
 * (\x5c), cut after 200 bytes (at a character's start) with "...". */
char *cli_printable(const char *s);

#endif
