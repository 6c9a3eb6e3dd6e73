/* Compose interpolation: every form, nesting, laziness, errors and their
 * positions, env precedence, and the tree walk (values only, positions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/interp.h"
#include "spec/node.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static char env_a[] = "A=alpha", env_empty[] = "EMPTY=", env_n[] = "N=5", env_space[] = "SPACE=a b",
	    env_dollar[] = "DOLLAR=$HOME", env_br[] = "BR=}", env_over[] = "OVER=from-env";
static char *env_vars[] = {env_a, env_empty, env_n, env_space, env_dollar, env_br, env_over, NULL};

static struct spec_env make_env(void)
{
	struct spec_env env = {.environ = env_vars};
	spec_kvlist_set(&env.dotenv, "DOT", "from-dotenv");
	spec_kvlist_set(&env.dotenv, "OVER", "from-dotenv");
	spec_kvlist_set(&env.dotenv, "NOVAL", NULL);
	return env;
}

static void test_forms(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"", ""},
		{"plain text", "plain text"},
		{"$A", "alpha"},
		{"${A}", "alpha"},
		{"x${A}y", "xalphay"},
		{"$A.b", "alpha.b"},
		{"$A$N", "alpha5"},
		{"${A}${N}", "alpha5"},
		{"$UNSET", ""},
		{"${UNSET}", ""},
		{"a$UNSET-b", "a-b"},
		{"$$", "$"},
		{"$$A", "$A"},
		{"$${A}", "${A}"},
		{"cost: 5$$", "cost: 5$"},
		{"$$$A", "$alpha"},
		/* :- default when unset or empty; - only when unset */
		{"${UNSET:-def}", "def"},
		{"${EMPTY:-def}", "def"},
		{"${A:-def}", "alpha"},
		{"${UNSET-def}", "def"},
		{"${EMPTY-def}", ""},
		{"${A-def}", "alpha"},
		{"${UNSET:-}", ""},
		{"${UNSET:-a b c}", "a b c"},
		{"${UNSET:-with:colon}", "with:colon"},
		{"${UNSET:-$$literal}", "$literal"},
		/* :+ replacement when set and non-empty; + when set */
		{"${A:+alt}", "alt"},
		{"${EMPTY:+alt}", ""},
		{"${UNSET:+alt}", ""},
		{"${A+alt}", "alt"},
		{"${EMPTY+alt}", "alt"},
		{"${UNSET+alt}", ""},
		/* ? forms when the variable is there */
		{"${A:?need A}", "alpha"},
		{"${A?need A}", "alpha"},
		{"${EMPTY?need}", ""},
		/* nesting */
		{"${UNSET:-${A}}", "alpha"},
		{"${UNSET:-${UNSET2:-deep}}", "deep"},
		{"${UNSET:-x${A}y}", "xalphay"},
		{"${UNSET:-$A}", "alpha"},
		{"${A:+[${N}]}", "[5]"},
		{"${UNSET:-${UNSET2:-${UNSET3:-${N}}}}", "5"},
		/* laziness: the unused branch is not evaluated */
		{"${A:-${MISSING:?not needed}}", "alpha"},
		{"${UNSET:+${MISSING:?not needed}}", ""},
		/* values are not re-interpolated */
		{"${DOLLAR}", "$HOME"},
		{"${BR}", "}"},
		{"${SPACE}", "a b"},
		/* environment wins over .env; .env is used */
		{"${DOT}", "from-dotenv"},
		{"${OVER}", "from-env"},
		{"${NOVAL:-unset}", "unset"},
		{"$_under_score1", ""},
		{"é$A", "éalpha"},
	};
	struct spec_env env = make_env();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = NULL, *err = NULL;
		int r = spec_interpolate(cases[i][0], &env, &out, &err);
		if (r != 0)
			fail_msg("`%s`: unexpected error %s", cases[i][0], err);
		if (strcmp(out, cases[i][1]))
			fail_msg("`%s` → `%s`, expected `%s`", cases[i][0], out, cases[i][1]);
		free(out);
	}
	spec_kvlist_free(&env.dotenv);
}

static void test_errors(void **state)
{
	(void)state;
	/* input, a part of the message that must be there */
	static const char *cases[][2] = {
		{"${A", "unterminated `${` at character 1"},
		{"ab${A:-x", "unterminated `${` at character 3"},
		{"${", "unterminated `${` at character 1"},
		{"x ${UNSET:-${B}", "unterminated `${` at character 3"},
		{"${}", "empty variable name `${}` at character 1"},
		{"${1A}", "invalid variable name at character 3"},
		{"${-x}", "invalid variable name at character 3"},
		{"${A B}", "invalid character ` ` at character 4"},
		{"${A:x}", "invalid character `x` at character 5"},
		{"${A!}", "invalid character `!` at character 4"},
		{"a $ b", "`$` at character 3 is not followed by a variable name: write `$$`"},
		{"end$", "`$` at character 4"},
		{"$1", "`$` at character 1"},
		{"é${", "unterminated `${` at character 2"},
		{"${UNSET:?}", "required variable UNSET is missing a value: set it in the environment or in the .env file"},
		{"${UNSET?}", "required variable UNSET is missing a value"},
		{"${UNSET:?please set UNSET}", "required variable UNSET is missing a value: please set UNSET"},
		{"${EMPTY:?must not be empty}", "required variable EMPTY is missing a value: must not be empty"},
		{"${UNSET?need ${A}}", "required variable UNSET is missing a value: need alpha"},
		{"${UNSET:-${NEEDED:?inner}}", "required variable NEEDED is missing a value: inner"},
		{"${UNSET:-a $ b}", "`$` at character 12"},
	};
	struct spec_env env = make_env();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = NULL, *err = NULL;
		int r = spec_interpolate(cases[i][0], &env, &out, &err);
		if (r != -1)
			fail_msg("`%s` should fail, gave `%s`", cases[i][0], out);
		assert_null(out);
		if (!err || !strstr(err, cases[i][1]))
			fail_msg("`%s`: message `%s` lacks `%s`", cases[i][0], err, cases[i][1]);
		free(err);
	}
	spec_kvlist_free(&env.dotenv);
}

static void test_deep_nesting_bounded(void **state)
{
	(void)state;
	/* 200 levels of ${X:-...}: an error, not a stack overflow. */
	char *s = xstrdup("v");
	for (int i = 0; i < 200; i++) {
		char *t = xasprintf("${X:-%s}", s);
		free(s);
		s = t;
	}
	struct spec_env env = {0};
	char *out = NULL, *err = NULL;
	assert_int_equal(spec_interpolate(s, &env, &out, &err), -1);
	assert_non_null(strstr(err, "nested deeper"));
	free(err);
	free(s);
}

static void test_tree_values_only(void **state)
{
	(void)state;
	static const char yaml[] = "services:\n"
				   "  $A:\n"
				   "    image: \"${A}:${N}\"\n"
				   "    environment:\n"
				   "      KEY_$A: $A\n"
				   "    command: [echo, '$$HOME', $N]\n";
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("s.yaml", yaml, strlen(yaml), &doc, &dl), 0);
	struct spec_env env = make_env();
	assert_int_equal(spec_interpolate_tree(doc->root, &env, &dl), 0);
	const struct spec_node *svcs = spec_map_get(doc->root, "services");
	const struct spec_node *svc = spec_map_get(svcs, "$A"); /* key untouched */
	assert_non_null(svc);
	assert_string_equal(spec_map_get(svc, "image")->scalar, "alpha:5");
	const struct spec_node *envn = spec_map_get(svc, "environment");
	assert_string_equal(envn->pairs[0].key->scalar, "KEY_$A");
	assert_string_equal(envn->pairs[0].value->scalar, "alpha");
	const struct spec_node *cmd = spec_map_get(svc, "command");
	assert_string_equal(cmd->items[1]->scalar, "$HOME");
	assert_string_equal(cmd->items[2]->scalar, "5");
	spec_doc_free(doc);
	spec_kvlist_free(&env.dotenv);
	diag_free(&dl);
}

static void test_tree_errors_positions(void **state)
{
	(void)state;
	static const char yaml[] = "a: ${X:?set X}\n"
				   "b:\n"
				   "  - ok\n"
				   "  - \"${\"\n"
				   "c: fine\n";
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("f.yaml", yaml, strlen(yaml), &doc, &dl), 0);
	struct spec_env env = {0};
	assert_int_equal(spec_interpolate_tree(doc->root, &env, &dl), -1);
	assert_int_equal(dl.n, 2); /* all errors, not just the first */
	assert_string_equal(dl.v[0].file, "f.yaml");
	assert_int_equal(dl.v[0].line, 1);
	assert_int_equal(dl.v[0].col, 4);
	assert_non_null(strstr(dl.v[0].msg, "required variable X is missing a value: set X"));
	assert_int_equal(dl.v[1].line, 4);
	assert_int_equal(dl.v[1].col, 5);
	assert_non_null(strstr(dl.v[1].msg, "unterminated"));
	spec_doc_free(doc);
	diag_free(&dl);
}

static const char *lookup_upper(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "X") ? "custom" : NULL;
}

static void test_custom_lookup(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(spec_interpolate_fn("<${X}|${Y:-d}>", lookup_upper, NULL, &out, &err), 0);
	assert_string_equal(out, "<custom|d>");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting_bounded),
		cmocka_unit_test(test_tree_values_only),
		cmocka_unit_test(test_tree_errors_positions),
		cmocka_unit_test(test_custom_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
