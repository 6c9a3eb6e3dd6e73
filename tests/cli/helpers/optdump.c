/* LD_PRELOAD shim for tests/cli/help_options.bats: print the option tables
 * the binary's parsers really hand to getopt_long, so the test checks
 * `--help` against the code, not against a list someone keeps by hand.
 *
 * Each distinct table (by address) is written once to $STACK_OPTDUMP as
 *     table N
 *     short OPTSTRING
 *     long NAME HAS_ARG
 * and the process ends (_exit 0, before the command does anything) when
 * the table numbered $STACK_OPTDUMP_STOP (default 2: the first is main's
 * global options, the second the command's own) has been written. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*getopt_long_fn)(int, char *const *, const char *, const struct option *, int *);

int getopt_long(int argc, char *const argv[], const char *optstring, const struct option *longopts, int *longindex)
{
	static getopt_long_fn real;
	static const struct option *seen[16];
	static int n_seen;
	if (!real)
		real = (getopt_long_fn)dlsym(RTLD_NEXT, "getopt_long");
	const char *path = getenv("STACK_OPTDUMP");
	int known = 0;
	for (int i = 0; i < n_seen; i++)
		known |= seen[i] == longopts;
	if (path && !known && n_seen < 16) {
		seen[n_seen++] = longopts;
		FILE *f = fopen(path, "a");
		if (!f)
			_exit(99);
		fprintf(f, "table %d\nshort %s\n", n_seen, optstring);
		for (const struct option *o = longopts; o && o->name; o++)
			fprintf(f, "long %s %d\n", o->name, o->has_arg);
		fclose(f);
		const char *stop = getenv("STACK_OPTDUMP_STOP");
		if (n_seen == (stop ? atoi(stop) : 2))
			_exit(0);
	}
	return real(argc, argv, optstring, longopts, longindex);
}
