/* Units for the Dockerfile parser: what each form of the syntax parses to
 * (exact cmd, flags, args, json, line, end_line), following BuildKit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/dockerfile.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct df_file *parse_ok(const char *text)
{
	struct diag_list dl = {0};
	struct df_file *f = NULL;
	int r = df_parse("Dockerfile", text, strlen(text), &f, &dl);
	if (r < 0 || dl.n)
		diag_print(&dl, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(dl.n, 0);
	assert_non_null(f);
	diag_free(&dl);
	return f;
}

/* want: NULL-terminated */
static void check_strv(const struct strv *sv, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	if (sv->n != n) {
		for (size_t i = 0; i < sv->n; i++)
			fprintf(stderr, "  got[%zu] = `%s`\n", i, sv->v[i]);
	}
	assert_int_equal(sv->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(sv->v[i], want[i]);
}

#define V(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

static void check(const struct df_instr *in, const char *cmd, const char *const *flags, const char *const *args,
		  bool json, int line, int end_line)
{
	assert_string_equal(df_cmd_name(in->cmd), cmd);
	check_strv(&in->flags, flags);
	check_strv(&in->args, args);
	assert_int_equal(in->json, json);
	assert_int_equal(in->line, line);
	assert_int_equal(in->end_line, end_line);
}

static void test_seed_espresso_run(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("# Use this dockerfile to build image espresso-run\n"
				     "\n"
				     "FROM espresso\n"
				     "\n"
				     "WORKDIR /espresso\n"
				     "RUN useradd -u 1000 earl\n"
				     "USER earl\n"
				     "\n"
				     "ENTRYPOINT flask run --host 0.0.0.0 --port 5000\n");
	assert_int_equal(f->n, 5);
	assert_int_equal(f->escape, '\\');
	check(&f->v[0], "from", NONE, V("espresso"), false, 3, 3);
	check(&f->v[1], "workdir", NONE, V("/espresso"), false, 5, 5);
	check(&f->v[2], "run", NONE, V("useradd -u 1000 earl"), false, 6, 6);
	check(&f->v[3], "user", NONE, V("earl"), false, 7, 7);
	/* "--host" inside the arguments is not a flag: flags only lead. */
	check(&f->v[4], "entrypoint", NONE, V("flask run --host 0.0.0.0 --port 5000"), false, 9, 9);
	df_free(f);
}

static void test_seed_espresso(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM flask112\n"
				     "WORKDIR /espresso\n"
				     "COPY . /espresso\n"
				     "ENV FLASK_APP=espresso.py\n"
				     "ENV FLASK_DEBUG=true\n"
				     "EXPOSE 5000\n");
	assert_int_equal(f->n, 6);
	check(&f->v[2], "copy", NONE, V(".", "/espresso"), false, 3, 3);
	check(&f->v[3], "env", NONE, V("FLASK_APP", "espresso.py"), false, 4, 4);
	check(&f->v[5], "expose", NONE, V("5000"), false, 6, 6);
	df_free(f);
}

static void test_continuation_comments_empty_lines(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM debian:bookworm\n"
				     "RUN apt-get update \\\n"
				     "    # a comment inside the continuation is dropped\n"
				     "\n"
				     "   \t\n"
				     "    && apt-get install -y python3 \\   \n"
				     "  && true\n"
				     "CMD x\n");
	assert_int_equal(f->n, 3);
	/* continuation lines keep their indentation; the escape and the blanks after it go */
	check(&f->v[1], "run", NONE, V("apt-get update     && apt-get install -y python3   && true"), false, 2, 7);
	check(&f->v[2], "cmd", NONE, V("x"), false, 8, 8);
	df_free(f);
}

static void test_continuation_at_eof(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\nRUN echo \\\n");
	check(&f->v[1], "run", NONE, V("echo"), false, 2, 2);
	df_free(f);
}

/* BuildKit: an escaped escape character ends the line (it is a literal
 * backslash); an odd run continues it. */
static void test_escaped_escape_is_not_continuation(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\nRUN echo a \\\\\nCMD [\"x\"]\nRUN echo b \\\\\\\ncont\n");
	assert_int_equal(f->n, 4);
	check(&f->v[1], "run", NONE, V("echo a \\\\"), false, 2, 2);
	check(&f->v[2], "cmd", NONE, V("x"), true, 3, 3);
	check(&f->v[3], "run", NONE, V("echo b \\\\cont"), false, 4, 5);
	df_free(f);
}

/* An exec-form array with a \u0000 escape is still JSON (not a shell
 * string); its NUL cannot reach a program, so it is an error. */
static void test_json_with_nul_is_exec_form(void **state)
{
	(void)state;
	const char *text = "FROM a\nCMD [\"a\\u0000b\"]\n";
	struct diag_list dl = {0};
	struct df_file *f = NULL;
	assert_int_equal(df_parse("Dockerfile", text, strlen(text), &f, &dl), -1);
	assert_int_equal(dl.n, 1);
	assert_int_equal(dl.v[0].line, 2);
	assert_non_null(strstr(dl.v[0].msg, "NUL character"));
	diag_free(&dl);
	df_free(f);
	struct df_file *ok = parse_ok("FROM a\nCMD [\"a\\u0041b\"]\n");
	check(&ok->v[1], "cmd", NONE, V("aAb"), true, 2, 2);
	df_free(ok);
}

static void test_escape_directive_backtick(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("# escape=`\n"
				     "FROM mcr.microsoft.com/windows/servercore\n"
				     "COPY testfile.txt c:\\\n"
				     "RUN dir c:\\ `\n"
				     "  /b\n"
				     "ENV p=c:\\x q=a`\"b\n");
	assert_int_equal(f->escape, '`');
	assert_int_equal(f->n, 4);
	/* with ` as the escape, a trailing backslash is just a character */
	check(&f->v[1], "copy", NONE, V("testfile.txt", "c:\\"), false, 3, 3);
	check(&f->v[2], "run", NONE, V("dir c:\\   /b"), false, 4, 5);
	check(&f->v[3], "env", NONE, V("p", "c:\\x", "q", "a`\"b"), false, 6, 6);
	df_free(f);
}

static void test_directives_only_at_top(void **state)
{
	(void)state;
	/* after an ordinary comment, "# escape=`" is only a comment too */
	struct df_file *f = parse_ok("# hello\n# escape=`\nFROM a\nRUN x `\nCMD y\n");
	assert_int_equal(f->escape, '\\');
	assert_int_equal(f->n, 3);
	check(&f->v[1], "run", NONE, V("x `"), false, 4, 4);
	df_free(f);
	/* after a blank line as well */
	f = parse_ok("\n# escape=`\nFROM a\n");
	assert_int_equal(f->escape, '\\');
	df_free(f);
	/* several known directives, any case, blanks around = */
	f = parse_ok("# syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\nFROM a\nRUN x `\n y\n");
	assert_int_equal(f->escape, '`');
	check(&f->v[1], "run", NONE, V("x  y"), false, 5, 6);
	df_free(f);
	/* an unknown directive ends the directives */
	f = parse_ok("# foo=bar\n# escape=`\nFROM a\n");
	assert_int_equal(f->escape, '\\');
	df_free(f);
}

static void test_exec_and_shell_form(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\n"
				     "RUN [\"sh\", \"-c\", \"echo \\\"hi\\\"\"]\n"
				     "CMD [ \"a\" , \"b c\" ]  \n"
				     "ENTRYPOINT []\n"
				     "CMD [\"unterminated\"\n"
				     "RUN [not json]\n"
				     "RUN echo [\"a\"]\n"
				     "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n"
				     "CMD [\"a\"] trailing\n");
	check(&f->v[1], "run", NONE, V("sh", "-c", "echo \"hi\""), true, 2, 2);
	check(&f->v[2], "cmd", NONE, V("a", "b c"), true, 3, 3);
	check(&f->v[3], "entrypoint", NONE, NONE, true, 4, 4);
	/* JSON fallback: what does not parse as JSON is shell form, as written */
	check(&f->v[4], "cmd", NONE, V("[\"unterminated\""), false, 5, 5);
	check(&f->v[5], "run", NONE, V("[not json]"), false, 6, 6);
	check(&f->v[6], "run", NONE, V("echo [\"a\"]"), false, 7, 7);
	check(&f->v[7], "shell", NONE, V("/bin/bash", "-o", "pipefail", "-c"), true, 8, 8);
	check(&f->v[8], "cmd", NONE, V("[\"a\"] trailing"), false, 9, 9);
	df_free(f);
}

static void test_flags(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM --platform=linux/amd64 golang:1.22 AS build\n"
				     "COPY --from=build --chown=1000:1000 --chmod=0755 --link /out/app /app\n"
				     "RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=tok "
				     "--network=none go build\n"
				     "RUN --mount=\"type=bind,source=a b\" ls\n"
				     "RUN -- --not-a-flag\n"
				     "ADD --checksum=sha256:abc --keep-git-dir=true https://x/y.tar /y\n"
				     "COPY --exclude=*.md --exclude=*.txt --parents ./a ./b /dst/\n"
				     "HEALTHCHECK --interval=5s --timeout=1s --retries=3 CMD [\"true\"]\n");
	check(&f->v[0], "from", V("--platform=linux/amd64"), V("golang:1.22", "AS", "build"), false, 1, 1);
	check(&f->v[1], "copy", V("--from=build", "--chown=1000:1000", "--chmod=0755", "--link"),
	      V("/out/app", "/app"), false, 2, 2);
	check(&f->v[2], "run", V("--mount=type=cache,target=/root/.cache", "--mount=type=secret,id=tok", "--network=none"),
	      V("go build"), false, 3, 3);
	/* flag words lose their quotes, as in BuildKit */
	check(&f->v[3], "run", V("--mount=type=bind,source=a b"), V("ls"), false, 4, 4);
	/* a lone -- ends the flags */
	check(&f->v[4], "run", NONE, V("--not-a-flag"), false, 5, 5);
	check(&f->v[5], "add", V("--checksum=sha256:abc", "--keep-git-dir=true"), V("https://x/y.tar", "/y"), false, 6, 6);
	check(&f->v[6], "copy", V("--exclude=*.md", "--exclude=*.txt", "--parents"), V("./a", "./b", "/dst/"), false, 7, 7);
	check(&f->v[7], "healthcheck", V("--interval=5s", "--timeout=1s", "--retries=3"), V("CMD", "true"), true, 8, 8);
	df_free(f);
}

static void test_env_label_forms(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\n"
				     "ENV a=1 b=\"x y\" c=z\\ w d='$HOME' e=\n"
				     "ENV LEGACY some value  here\n"
				     "LABEL \"com.example.vendor\"=\"ACME\" version=1.0 \\\n"
				     "      description=\"multi word\"\n"
				     "LABEL legacy a label value\n"
				     "ENV x=\"a=b\"\n");
	check(&f->v[1], "env", NONE, V("a", "1", "b", "\"x y\"", "c", "z\\ w", "d", "'$HOME'", "e", ""), false, 2, 2);
	check(&f->v[2], "env", NONE, V("LEGACY", "some value  here"), false, 3, 3);
	check(&f->v[3], "label", NONE,
	      V("\"com.example.vendor\"", "\"ACME\"", "version", "1.0", "description", "\"multi word\""), false, 4, 5);
	check(&f->v[4], "label", NONE, V("legacy", "a label value"), false, 6, 6);
	check(&f->v[5], "env", NONE, V("x", "\"a=b\""), false, 7, 7);
	df_free(f);
}

static void test_arg(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("ARG VERSION=1.2 NAME\n"
				     "ARG GREETING=\"hello world\"\n"
				     "FROM base:${VERSION}\n"
				     "ARG VERSION\n");
	check(&f->v[0], "arg", NONE, V("VERSION=1.2", "NAME"), false, 1, 1);
	check(&f->v[1], "arg", NONE, V("GREETING=\"hello world\""), false, 2, 2);
	check(&f->v[2], "from", NONE, V("base:${VERSION}"), false, 3, 3);
	check(&f->v[3], "arg", NONE, V("VERSION"), false, 4, 4);
	df_free(f);
}

static void test_simple_forms(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("from a as b\n"
				     "Maintainer Jane Doe <jane@example.com>\n"
				     "user  1000:1000  \n"
				     "workdir /a b\n"
				     "stopsignal SIGTERM\n"
				     "expose 80/tcp   443\n"
				     "volume /a /b\n"
				     "volume [\"/c\"]\n");
	check(&f->v[0], "from", NONE, V("a", "as", "b"), false, 1, 1);
	check(&f->v[1], "maintainer", NONE, V("Jane Doe <jane@example.com>"), false, 2, 2);
	check(&f->v[2], "user", NONE, V("1000:1000"), false, 3, 3);
	check(&f->v[3], "workdir", NONE, V("/a b"), false, 4, 4);
	check(&f->v[4], "stopsignal", NONE, V("SIGTERM"), false, 5, 5);
	check(&f->v[5], "expose", NONE, V("80/tcp", "443"), false, 6, 6);
	check(&f->v[6], "volume", NONE, V("/a", "/b"), false, 7, 7);
	check(&f->v[7], "volume", NONE, V("/c"), true, 8, 8);
	df_free(f);
}

static void test_healthcheck(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\n"
				     "HEALTHCHECK CMD curl -f http://localhost/ || exit 1\n"
				     "HEALTHCHECK NONE\n");
	check(&f->v[1], "healthcheck", NONE, V("CMD", "curl -f http://localhost/ || exit 1"), false, 2, 2);
	check(&f->v[2], "healthcheck", NONE, V("NONE"), false, 3, 3);
	df_free(f);
}

static void test_onbuild(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\n"
				     "ONBUILD COPY --from=build . /app\n"
				     "ONBUILD RUN [\"make\"]\n"
				     "ONBUILD ENV a=1 \\\n"
				     "  b=2\n");
	assert_int_equal(f->n, 4);
	check(&f->v[1], "onbuild", NONE, V("COPY --from=build . /app"), false, 2, 2);
	assert_non_null(f->v[1].next);
	check(f->v[1].next, "copy", V("--from=build"), V(".", "/app"), false, 2, 2);
	assert_null(f->v[1].next->next);
	check(f->v[2].next, "run", NONE, V("make"), true, 3, 3);
	check(f->v[3].next, "env", NONE, V("a", "1", "b", "2"), false, 4, 5);
	df_free(f);
}

static void check_heredoc(const struct df_heredoc *h, const char *name, const char *content, bool expand, bool chomp)
{
	assert_string_equal(h->name, name);
	assert_string_equal(h->content, content);
	assert_int_equal(h->expand, expand);
	assert_int_equal(h->chomp, chomp);
}

static void test_heredocs(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\n"
				     "RUN <<EOF\n"                      /* 2 */
				     "set -e\n"
				     "# not a comment: part of the body\n"
				     "echo $HOME \\\n"
				     "\n"
				     "EOF\n"                            /* 7 */
				     "RUN <<-\"END\" cat > /x && <<'B' sh\n" /* 8 */
				     "\t\tliteral $X\n"
				     "\tEND\n"
				     "echo b\n"
				     "B\n"                              /* 12 */
				     "COPY <<EOF /dst/file\n"           /* 13 */
				     "content\n"
				     "EOF\n"                            /* 15 */
				     "COPY <<A <<B /dst/\n"             /* 16 */
				     "a\n"
				     "A\n"
				     "B\n"                              /* 19: empty body */
				     "RUN echo \"<<EOF\" '<<X' \\<<Y && cat <<<word\n" /* 20: none of these */
				     "RUN [\"sh\", \"-c\", \"<<EOF\"]\n"       /* 21: exec form: none */
				     "RUN 3<<EOF cat /dev/fd/3\n"       /* 22 */
				     "x\n"
				     "EOF\n"                            /* 24 */
				     "CMD <<EOF\n");                    /* 25: CMD takes no heredocs */
	assert_int_equal(f->n, 9);

	check(&f->v[1], "run", NONE, V("<<EOF"), false, 2, 7);
	assert_int_equal(f->v[1].n_heredocs, 1);
	check_heredoc(&f->v[1].heredocs[0], "EOF", "set -e\n# not a comment: part of the body\necho $HOME \\\n\n", true,
		      false);

	check(&f->v[2], "run", NONE, V("<<-\"END\" cat > /x && <<'B' sh"), false, 8, 12);
	assert_int_equal(f->v[2].n_heredocs, 2);
	/* the body is kept as written: <<- tab stripping is the builder's, like expansion */
	check_heredoc(&f->v[2].heredocs[0], "END", "\t\tliteral $X\n", false, true);
	check_heredoc(&f->v[2].heredocs[1], "B", "echo b\n", false, false);

	check(&f->v[3], "copy", NONE, V("<<EOF", "/dst/file"), false, 13, 15);
	check_heredoc(&f->v[3].heredocs[0], "EOF", "content\n", true, false);

	check(&f->v[4], "copy", NONE, V("<<A", "<<B", "/dst/"), false, 16, 19);
	assert_int_equal(f->v[4].n_heredocs, 2);
	check_heredoc(&f->v[4].heredocs[0], "A", "a\n", true, false);
	check_heredoc(&f->v[4].heredocs[1], "B", "", true, false);

	check(&f->v[5], "run", NONE, V("echo \"<<EOF\" '<<X' \\<<Y && cat <<<word"), false, 20, 20);
	assert_int_equal(f->v[5].n_heredocs, 0);
	check(&f->v[6], "run", NONE, V("sh", "-c", "<<EOF"), true, 21, 21);
	assert_int_equal(f->v[6].n_heredocs, 0);
	check(&f->v[7], "run", NONE, V("3<<EOF cat /dev/fd/3"), false, 22, 24);
	check_heredoc(&f->v[7].heredocs[0], "EOF", "x\n", true, false);
	check(&f->v[8], "cmd", NONE, V("<<EOF"), false, 25, 25);
	assert_int_equal(f->v[8].n_heredocs, 0);
	df_free(f);
}

static void test_heredoc_onbuild_and_flags(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a\n"
				     "ONBUILD RUN --network=none <<EOF\n"
				     "echo hi\n"
				     "EOF\n"
				     "RUN --mount=type=cache,target=/c \\\n"
				     "    <<EOF\n"
				     "ls /c\n"
				     "EOF\n");
	check(&f->v[1], "onbuild", NONE, V("RUN --network=none <<EOF"), false, 2, 4);
	check(f->v[1].next, "run", V("--network=none"), V("<<EOF"), false, 2, 4);
	assert_int_equal(f->v[1].next->n_heredocs, 1);
	check_heredoc(&f->v[1].next->heredocs[0], "EOF", "echo hi\n", true, false);
	check(&f->v[2], "run", V("--mount=type=cache,target=/c"), V("<<EOF"), false, 5, 8);
	check_heredoc(&f->v[2].heredocs[0], "EOF", "ls /c\n", true, false);
	df_free(f);
}

static void test_crlf_bom_and_case(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("\xef\xbb\xbf# escape=`\r\nfRoM a\r\nRUN x `\r\n  y\r\nRUN <<EOF\r\nbody\r\nEOF\r\n");
	assert_int_equal(f->escape, '`');
	check(&f->v[0], "from", NONE, V("a"), false, 2, 2);
	check(&f->v[1], "run", NONE, V("x   y"), false, 3, 4);
	check(&f->v[2], "run", NONE, V("<<EOF"), false, 5, 7);
	check_heredoc(&f->v[2].heredocs[0], "EOF", "body\n", true, false);
	df_free(f);
}

static void test_utf8_and_long_lines_ok(void **state)
{
	(void)state;
	size_t n = 512 * 1024;
	char *text = xmalloc(n + 32);
	strcpy(text, "FROM a\nLABEL d=\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3 x=");
	size_t len = strlen(text);
	memset(text + len, 'x', n);
	strcpy(text + len + n, "\n");
	struct df_file *f = parse_ok(text);
	assert_string_equal(f->v[1].args.v[1], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3");
	assert_int_equal(strlen(f->v[1].args.v[3]), n);
	df_free(f);
	free(text);
}

static void test_to_json(void **state)
{
	(void)state;
	struct df_file *f = parse_ok("FROM a AS b\n"
				     "COPY --from=b <<EOF /x\n"
				     "hi\n"
				     "EOF\n"
				     "ONBUILD RUN [\"true\"]\n");
	json_t *got = df_to_json(f);
	char *s = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(
		s, "[{\"cmd\":\"from\",\"flags\":[],\"args\":[\"a\",\"AS\",\"b\"],\"json\":false,\"line\":1,\"end_line\":1},"
		   "{\"cmd\":\"copy\",\"flags\":[\"--from=b\"],\"args\":[\"<<EOF\",\"/x\"],\"json\":false,\"line\":2,"
		   "\"end_line\":4,\"heredocs\":[{\"name\":\"EOF\",\"content\":\"hi\\n\",\"expand\":true,\"chomp\":false}]},"
		   "{\"cmd\":\"onbuild\",\"flags\":[],\"args\":[\"RUN [\\\"true\\\"]\"],\"json\":false,\"line\":5,"
		   "\"end_line\":5,\"next\":{\"cmd\":\"run\",\"flags\":[],\"args\":[\"true\"],\"json\":true,\"line\":5,"
		   "\"end_line\":5}}]");
	free(s);
	json_decref(got);
	df_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_espresso_run),
		cmocka_unit_test(test_escaped_escape_is_not_continuation),
		cmocka_unit_test(test_json_with_nul_is_exec_form),
		cmocka_unit_test(test_seed_espresso),
		cmocka_unit_test(test_continuation_comments_empty_lines),
		cmocka_unit_test(test_continuation_at_eof),
		cmocka_unit_test(test_escape_directive_backtick),
		cmocka_unit_test(test_directives_only_at_top),
		cmocka_unit_test(test_exec_and_shell_form),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_env_label_forms),
		cmocka_unit_test(test_arg),
		cmocka_unit_test(test_simple_forms),
		cmocka_unit_test(test_healthcheck),
		cmocka_unit_test(test_onbuild),
		cmocka_unit_test(test_heredocs),
		cmocka_unit_test(test_heredoc_onbuild_and_flags),
		cmocka_unit_test(test_crlf_bom_and_case),
		cmocka_unit_test(test_utf8_and_long_lines_ok),
		cmocka_unit_test(test_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
