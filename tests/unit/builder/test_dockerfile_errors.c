/* Units for the Dockerfile parser's rejections: each malformed input gives
 * the exact FILE:LINE diagnostics a user sees, and every error in a file is
 * reported, not only the first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/dockerfile.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse text of len bytes; it must fail; returns what diag_print prints. */
static char *errors_of(const char *text, size_t len)
{
	struct diag_list dl = {0};
	struct df_file *f = (struct df_file *)&dl; /* must be reset to NULL */
	int r = df_parse("Dockerfile", text, len, &f, &dl);
	assert_int_equal(r, -1);
	assert_null(f);
	assert_true(dl.n > 0);
	diag_sort(&dl);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	diag_print(&dl, m);
	fclose(m);
	diag_free(&dl);
	return buf;
}

static void expect(const char *text, const char *want)
{
	char *got = errors_of(text, strlen(text));
	if (strcmp(got, want) != 0)
		fprintf(stderr, "input:\n%s\n--- got:\n%s--- want:\n%s", text, got, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_unknown_instruction_hint(void **state)
{
	(void)state;
	expect("FROM a\nRUNN make\n",
	       "Dockerfile:2: error: unknown instruction: RUNN\n  hint: did you mean RUN?\n");
	expect("FROM a\nform b\n",
	       "Dockerfile:2: error: unknown instruction: form\n  hint: did you mean FROM?\n");
	expect("FROM a\nENTRYPIONT x\n",
	       "Dockerfile:2: error: unknown instruction: ENTRYPIONT\n  hint: did you mean ENTRYPOINT?\n");
	expect("FROM a\nFROBNICATE x\n",
	       "Dockerfile:2: error: unknown instruction: FROBNICATE\n"
	       "  hint: instructions are ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, "
	       "MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR\n");
}

static void test_missing_arguments(void **state)
{
	(void)state;
	expect("FROM\n", "Dockerfile:1: error: FROM requires either one or three arguments\n"
			 "  hint: write FROM [--platform=PLATFORM] IMAGE [AS NAME]\n");
	expect("FROM a\nCOPY x\n", "Dockerfile:2: error: COPY requires at least two arguments: a source and a destination\n"
				   "  hint: the destination is missing (use . for the working directory)\n");
	expect("FROM a\nADD\n", "Dockerfile:2: error: ADD requires at least two arguments: a source and a destination\n");
	expect("FROM a\nRUN\n", "Dockerfile:2: error: RUN requires at least one argument\n");
	expect("FROM a\nWORKDIR\n", "Dockerfile:2: error: WORKDIR requires exactly one argument\n");
	expect("FROM a\nEXPOSE \\\n\n", "Dockerfile:2: error: EXPOSE requires at least one argument\n");
	expect("FROM a\nCMD\n", "Dockerfile:2: error: CMD requires at least one argument\n"
				"  hint: give a command, or [] to clear it\n");
	expect("FROM a\nFROM b c d\n", "Dockerfile:2: error: FROM: expected AS before the stage name, got `c`\n"
				       "  hint: write FROM IMAGE AS NAME\n");
	expect("FROM a AS 9lives\n", "Dockerfile:1: error: invalid stage name `9lives`\n"
				     "  hint: a stage name starts with a letter and holds only letters, digits, -, _ and .\n");
	expect("FROM a\nHEALTHCHECK CMD\n", "Dockerfile:2: error: HEALTHCHECK CMD needs a command\n"
					"  hint: write HEALTHCHECK CMD curl -f http://localhost/ (or an exec-form array)\n");
	expect("FROM a\nHEALTHCHECK NONE x\n", "Dockerfile:2: error: HEALTHCHECK NONE takes no arguments\n");
	expect("FROM a\nSHELL /bin/sh -c\n", "Dockerfile:2: error: SHELL requires the JSON (exec) form\n"
					 "  hint: write SHELL [\"/bin/sh\", \"-c\"]\n");
	expect("FROM a\nVOLUME [\"\"]\n", "Dockerfile:2: error: VOLUME: a path can not be empty\n");
}

static void test_flags(void **state)
{
	(void)state;
	expect("FROM a\nWORKDIR --x=1 /a\n",
	       "Dockerfile:2: error: WORKDIR takes no flags, got --x\n"
	       "  hint: remove the flag (a word starting with -- must be quoted or come after --)\n");
	expect("FROM a\nRUN --mnt=type=cache ls\n",
	       "Dockerfile:2: error: unknown flag --mnt for RUN\n  hint: RUN accepts --mount, --network, --security\n");
	expect("FROM --from=x a\n",
	       "Dockerfile:1: error: unknown flag --from for FROM\n  hint: FROM accepts --platform\n");
	expect("FROM a\nCOPY --from a b\n",
	       "Dockerfile:2: error: flag --from of COPY needs a value\n  hint: write --from=VALUE\n");
	expect("FROM a\nCOPY --from=x --from=y a b\n",
	       "Dockerfile:2: error: flag --from of COPY is given more than once\n");
	expect("FROM a\nCOPY --link=yes a b\n",
	       "Dockerfile:2: error: flag --link of COPY expects true or false, got `yes`\n"
	       "  hint: write --link or --link=false\n");
	/* ONBUILD checks its trigger's flags */
	expect("FROM a\nONBUILD COPY --form=x a b\n",
	       "Dockerfile:2: error: unknown flag --form for COPY\n"
	       "  hint: COPY accepts --from, --chown, --chmod, --link, --parents, --exclude\n");
}

static void test_heredoc_errors(void **state)
{
	(void)state;
	expect("FROM a\nRUN <<EOF\necho\nEOFX\n",
	       "Dockerfile:2: error: unterminated heredoc: no line `EOF` before the end of the file\n"
	       "  hint: end the body with a line holding only EOF\n");
	/* without <<-, an indented terminator does not end the body */
	expect("FROM a\nRUN <<EOF\necho\n\tEOF\n",
	       "Dockerfile:2: error: unterminated heredoc: no line `EOF` before the end of the file\n"
	       "  hint: end the body with a line holding only EOF\n");
	expect("FROM a\nCOPY <<A <<B /x\nA\n",
	       "Dockerfile:2: error: unterminated heredoc: no line `B` before the end of the file\n"
	       "  hint: end the body with a line holding only B\n");
	expect("FROM a\nRUN <<\"EOF\n",
	       "Dockerfile:2: error: unterminated quote in heredoc delimiter `\"EOF`\n"
	       "  hint: write <<EOF, <<-EOF, or <<\"EOF\" for a body that is not expanded\n");
}

static void test_directive_errors(void **state)
{
	(void)state;
	expect("# escape=x\nFROM a\n",
	       "Dockerfile:1: error: invalid escape directive `x`: the escape character must be \\ or `\n"
	       "  hint: write # escape=\\ or # escape=`\n");
	expect("# escape=\\\n# escape=`\nFROM a\n",
	       "Dockerfile:2: error: only one escape parser directive can be used\n"
	       "  hint: remove the repeated directive\n");
}

static void test_onbuild_errors(void **state)
{
	(void)state;
	expect("FROM a\nONBUILD ONBUILD RUN x\n",
	       "Dockerfile:2: error: chaining ONBUILD via ONBUILD ONBUILD isn't allowed\n"
	       "  hint: an ONBUILD trigger runs in the child image; it can not add a trigger for grandchildren\n");
	expect("FROM a\nONBUILD FROM b\nONBUILD maintainer me\n",
	       "Dockerfile:2: error: FROM isn't allowed as an ONBUILD trigger\n"
	       "Dockerfile:3: error: MAINTAINER isn't allowed as an ONBUILD trigger\n");
	expect("FROM a\nONBUILD\n", "Dockerfile:2: error: ONBUILD requires at least one argument\n");
}

static void test_env_errors(void **state)
{
	(void)state;
	expect("FROM a\nENV =x\n",
	       "Dockerfile:2: error: ENV: a name can not be blank (`=x`)\n  hint: write ENV NAME=VALUE\n");
	expect("FROM a\nENV a\n", "Dockerfile:2: error: ENV a has no value\n  hint: write ENV a=VALUE\n");
	expect("FROM a\nENV a=1 b\n",
	       "Dockerfile:2: error: ENV: can't find = in `b`\n"
	       "  hint: every word must be NAME=VALUE (quote values with spaces)\n");
	expect("FROM a\nLABEL x\n", "Dockerfile:2: error: LABEL x has no value\n  hint: write LABEL x=VALUE\n");
	expect("ARG =1\nFROM a\n",
	       "Dockerfile:1: error: ARG: a name can not be blank (`=1`)\n  hint: write ARG NAME or ARG NAME=DEFAULT\n");
	expect("FROM a\nCMD [\"sleep\", 10]\n",
	       "Dockerfile:2: error: CMD: a JSON array (exec form) must hold only strings\n"
	       "  hint: quote every element, e.g. [\"sleep\", \"10\"]\n");
}

static void test_file_level_errors(void **state)
{
	(void)state;
	expect("", "Dockerfile:1: error: file with no instructions\n  hint: a Dockerfile needs at least a FROM line\n");
	expect("# just a comment\n\n\n",
	       "Dockerfile:3: error: file with no instructions\n  hint: a Dockerfile needs at least a FROM line\n");
	expect("ARG A=1\n", "Dockerfile:1: error: no FROM instruction\n"
			    "  hint: a Dockerfile needs at least one FROM to build from\n");
	expect("# c\nARG A\nRUN x\nENV a=1\nFROM b\nRUN y\n",
	       "Dockerfile:3: error: RUN before the first FROM\n"
	       "  hint: a Dockerfile starts with FROM; only ARG and comments may come before it\n"
	       "Dockerfile:4: error: ENV before the first FROM\n"
	       "  hint: a Dockerfile starts with FROM; only ARG and comments may come before it\n");
}

static void test_bytes(void **state)
{
	(void)state;
	static const char nul[] = "FROM a\nRUN a\0b\nRUN c\n";
	char *got = errors_of(nul, sizeof(nul) - 1);
	assert_string_equal(got, "Dockerfile:2: error: line contains a NUL byte\n"
				 "  hint: a Dockerfile is text; remove the NUL (is this a binary or UTF-16 file?)\n");
	free(got);
	expect("FROM a\nRUN \xff\nRUN \xc0\xaf\nRUN \xed\xa0\x80\nRUN \xe2\x82\n",
	       "Dockerfile:2: error: line is not valid UTF-8\n  hint: save the Dockerfile as UTF-8\n"
	       "Dockerfile:3: error: line is not valid UTF-8\n  hint: save the Dockerfile as UTF-8\n"
	       "Dockerfile:4: error: line is not valid UTF-8\n  hint: save the Dockerfile as UTF-8\n"
	       "Dockerfile:5: error: line is not valid UTF-8\n  hint: save the Dockerfile as UTF-8\n");

	/* UTF-16 is refused once, without a cascade of per-line errors */
	static const char utf16[] = "\xff\xfe" "F\0R\0O\0M\0 \0a\0\n\0";
	got = errors_of(utf16, sizeof(utf16) - 1);
	assert_string_equal(got, "Dockerfile:1: error: file is encoded as UTF-16\n  hint: save the Dockerfile as UTF-8\n");
	free(got);

	size_t big = (1u << 20) + 1;
	char *text = xmalloc(big + 32);
	strcpy(text, "FROM a\nRUN ");
	size_t len = strlen(text);
	memset(text + len, 'x', big - 4);
	strcpy(text + len + big - 4, "\n");
	got = errors_of(text, strlen(text));
	assert_string_equal(got, "Dockerfile:2: error: line is longer than 1 MiB (1048577 bytes)\n"
				 "  hint: split it with line continuations, or move the data into a file that COPY adds\n");
	free(got);
	free(text);
}

static void test_every_error_reported(void **state)
{
	(void)state;
	/* seven independent mistakes, seven diagnostics in line order */
	expect("FROM\n"
	       "RUNN a\n"
	       "COPY x\n"
	       "USER --x=1 me\n"
	       "ENV a\n"
	       "ONBUILD ONBUILD RUN y\n"
	       "RUN <<EOF\n",
	       "Dockerfile:1: error: FROM requires either one or three arguments\n"
	       "  hint: write FROM [--platform=PLATFORM] IMAGE [AS NAME]\n"
	       "Dockerfile:2: error: unknown instruction: RUNN\n"
	       "  hint: did you mean RUN?\n"
	       "Dockerfile:3: error: COPY requires at least two arguments: a source and a destination\n"
	       "  hint: the destination is missing (use . for the working directory)\n"
	       "Dockerfile:4: error: USER takes no flags, got --x\n"
	       "  hint: remove the flag (a word starting with -- must be quoted or come after --)\n"
	       "Dockerfile:5: error: ENV a has no value\n"
	       "  hint: write ENV a=VALUE\n"
	       "Dockerfile:6: error: chaining ONBUILD via ONBUILD ONBUILD isn't allowed\n"
	       "  hint: an ONBUILD trigger runs in the child image; it can not add a trigger for grandchildren\n"
	       "Dockerfile:7: error: unterminated heredoc: no line `EOF` before the end of the file\n"
	       "  hint: end the body with a line holding only EOF\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_instruction_hint),
		cmocka_unit_test(test_missing_arguments),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_heredoc_errors),
		cmocka_unit_test(test_directive_errors),
		cmocka_unit_test(test_onbuild_errors),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_file_level_errors),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_every_error_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
