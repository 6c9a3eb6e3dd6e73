/* YAML → node tree: positions, scalar styles, anchors/aliases, merge keys,
 * duplicate keys, limits (alias bombs, nesting, size), libyaml's errors as
 * FILE:LINE:COL messages, tags, and the node helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/node.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static struct spec_doc *parse_ok(const char *text)
{
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	int r = spec_yaml_parse("t.yaml", text, strlen(text), &doc, &dl);
	if (r != 0) {
		diag_print(&dl, stderr);
		fail_msg("parse failed: %s", text);
	}
	assert_int_equal(dl.n, 0);
	diag_free(&dl);
	return doc;
}

/* Parses text that must fail; the first diagnostic must be at line:col and contain msg. */
static void expect_error_len(const char *text, size_t len, int line, int col, const char *msg, const char *hint)
{
	struct diag_list dl = {0};
	struct spec_doc *doc = (struct spec_doc *)1;
	assert_int_equal(spec_yaml_parse("t.yaml", text, len, &doc, &dl), -1);
	assert_null(doc);
	assert_true(dl.n >= 1);
	if (dl.v[0].line != line || dl.v[0].col != col || !strstr(dl.v[0].msg, msg))
		fail_msg("expected %d:%d `%s`, got %d:%d `%s`", line, col, msg, dl.v[0].line, dl.v[0].col, dl.v[0].msg);
	assert_string_equal(dl.v[0].file, "t.yaml");
	if (hint && (!dl.v[0].hint || !strstr(dl.v[0].hint, hint)))
		fail_msg("hint `%s` lacks `%s`", dl.v[0].hint, hint);
	diag_free(&dl);
}

static void expect_error(const char *text, int line, int col, const char *msg, const char *hint)
{
	expect_error_len(text, strlen(text), line, col, msg, hint);
}

static void test_positions_and_styles(void **state)
{
	(void)state;
	struct spec_doc *doc = parse_ok("name: espresso\n"
					"services:\n"
					"  web:\n"
					"    image: 'espresso-run'\n"
					"    ports: [\"5055:5000\", 80]\n"
					"    command:\n"
					"      - python\n"
					"      - |\n"
					"        literal\n"
					"    note: >\n"
					"      folded\n"
					"    s: !!str 123\n"
					"    n: !!int \"7\"\n");
	const struct spec_node *root = doc->root;
	assert_int_equal(root->type, SPEC_NODE_MAP);
	assert_int_equal(root->line, 1);
	assert_int_equal(root->col, 1);
	assert_string_equal(root->file, "t.yaml");
	assert_string_equal(doc->file, "t.yaml");
	const struct spec_node *name = spec_map_get(root, "name");
	assert_string_equal(name->scalar, "espresso");
	assert_int_equal(name->line, 1);
	assert_int_equal(name->col, 7);
	assert_false(name->quoted);
	assert_int_equal(root->pairs[1].key->line, 2);
	assert_int_equal(root->pairs[1].key->col, 1);
	const struct spec_node *web = spec_map_get(spec_map_get(root, "services"), "web");
	assert_int_equal(web->line, 4);
	assert_int_equal(web->col, 5);
	const struct spec_node *image = spec_map_get(web, "image");
	assert_true(image->quoted);
	assert_int_equal(image->line, 4);
	assert_int_equal(image->col, 12);
	const struct spec_node *ports = spec_map_get(web, "ports");
	assert_int_equal(ports->type, SPEC_NODE_SEQ);
	assert_int_equal(ports->n_items, 2);
	assert_int_equal(ports->line, 5);
	assert_int_equal(ports->col, 12);
	assert_true(ports->items[0]->quoted);
	assert_int_equal(ports->items[1]->col, 26);
	assert_false(ports->items[1]->quoted);
	const struct spec_node *cmd = spec_map_get(web, "command");
	assert_int_equal(cmd->line, 7);
	assert_int_equal(cmd->col, 7);
	assert_int_equal(cmd->items[0]->line, 7);
	assert_int_equal(cmd->items[0]->col, 9);
	assert_string_equal(cmd->items[1]->scalar, "literal\n");
	assert_true(cmd->items[1]->quoted);
	assert_string_equal(spec_map_get(web, "note")->scalar, "folded\n");
	assert_true(spec_map_get(web, "note")->quoted);
	assert_true(spec_map_get(web, "s")->quoted);
	assert_string_equal(spec_map_get(web, "s")->scalar, "123");
	assert_false(spec_map_get(web, "n")->quoted);
	/* pairs keep file order */
	assert_string_equal(web->pairs[0].key->scalar, "image");
	assert_string_equal(web->pairs[4].key->scalar, "s");
	spec_doc_free(doc);
}

static void test_empty_documents(void **state)
{
	(void)state;
	static const char *empty[] = {"", "\n\n", "# only a comment\n", "# a\n  # b\n", "---\n", "--- # c\n...\n"};
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		struct spec_doc *doc = parse_ok(empty[i]);
		assert_null(doc->root);
		spec_doc_free(doc);
	}
	struct spec_doc *doc = parse_ok("--- ~\n");
	assert_non_null(doc->root);
	assert_true(spec_node_is_null(doc->root));
	spec_doc_free(doc);
}

static void test_anchors_are_copies(void **state)
{
	(void)state;
	struct spec_doc *doc = parse_ok("base: &b\n"
					"  image: x\n"
					"  env: [A]\n"
					"one: *b\n"
					"two: *b\n"
					"s: &s hello\n"
					"t: *s\n");
	struct spec_node *one = (struct spec_node *)spec_map_get(doc->root, "one");
	const struct spec_node *two = spec_map_get(doc->root, "two");
	assert_int_equal(one->type, SPEC_NODE_MAP);
	/* The copy is at the alias; its contents where they were written. */
	assert_int_equal(one->line, 4);
	assert_int_equal(one->col, 6);
	assert_int_equal(spec_map_get(one, "image")->line, 2);
	/* Deep copies: changing one leaves the other alone. */
	free(one->pairs[0].value->scalar);
	one->pairs[0].value->scalar = xstrdup("changed");
	assert_string_equal(spec_map_get(two, "image")->scalar, "x");
	assert_string_equal(spec_map_get(spec_map_get(doc->root, "base"), "image")->scalar, "x");
	assert_string_equal(spec_map_get(doc->root, "t")->scalar, "hello");
	spec_doc_free(doc);

	/* A redefined anchor: aliases see the latest. */
	doc = parse_ok("a: &x 1\nb: &x 2\nc: *x\n");
	assert_string_equal(spec_map_get(doc->root, "c")->scalar, "2");
	spec_doc_free(doc);
}

static void test_merge_keys(void **state)
{
	(void)state;
	struct spec_doc *doc = parse_ok("defaults: &d\n"
					"  restart: always\n"
					"  image: base\n"
					"  user: nobody\n"
					"extra: &e\n"
					"  image: extra\n"
					"  read_only: true\n"
					"  user: extra\n"
					"one:\n"
					"  image: mine\n"
					"  <<: *d\n"
					"two:\n"
					"  <<: [*e, *d]\n"
					"  user: me\n"
					"three:\n"
					"  <<: {a: 1, b: 2}\n"
					"  b: 3\n");
	const struct spec_node *one = spec_map_get(doc->root, "one");
	assert_int_equal(one->n_pairs, 3);
	assert_string_equal(spec_map_get(one, "image")->scalar, "mine"); /* explicit wins, even written before */
	assert_string_equal(spec_map_get(one, "restart")->scalar, "always");
	assert_null(spec_map_get(one, "<<"));
	const struct spec_node *two = spec_map_get(doc->root, "two");
	assert_string_equal(spec_map_get(two, "image")->scalar, "extra"); /* earlier in the list wins */
	assert_string_equal(spec_map_get(two, "restart")->scalar, "always");
	assert_string_equal(spec_map_get(two, "read_only")->scalar, "true");
	assert_string_equal(spec_map_get(two, "user")->scalar, "me");
	assert_int_equal(spec_map_get(two, "user")->line, 14);
	assert_int_equal(two->n_pairs, 4);
	const struct spec_node *three = spec_map_get(doc->root, "three");
	assert_string_equal(spec_map_get(three, "a")->scalar, "1");
	assert_string_equal(spec_map_get(three, "b")->scalar, "3");
	assert_int_equal(three->n_pairs, 2);
	spec_doc_free(doc);

	/* A quoted "<<" is an ordinary key. */
	doc = parse_ok("m:\n  \"<<\": x\n");
	assert_string_equal(spec_map_get(spec_map_get(doc->root, "m"), "<<")->scalar, "x");
	spec_doc_free(doc);

	expect_error("a: &a x\nb:\n  <<: *a\n", 3, 7, "the merge key `<<` takes a mapping or a list of mappings",
		     "<<: *name");
	expect_error("b:\n  <<: [{a: 1}, [1]]\n", 2, 16, "not a list", NULL);
	expect_error("a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n", 4, 3, "duplicate merge key", NULL);
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	static const char text[] = "services:\n"
				   "  web:\n"
				   "    ports: [1]\n"
				   "    image: x\n"
				   "    ports: [2]\n"
				   "  db: {}\n"
				   "  web: {}\n";
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("s.yaml", text, strlen(text), &doc, &dl), -1);
	assert_null(doc);
	assert_int_equal(dl.n, 2); /* every duplicate, not only the first */
	diag_sort(&dl);
	assert_int_equal(dl.v[0].line, 5);
	assert_int_equal(dl.v[0].col, 5);
	assert_string_equal(dl.v[0].msg, "duplicate key `ports` (first at 3:5)");
	assert_int_equal(dl.v[1].line, 7);
	assert_int_equal(dl.v[1].col, 3);
	assert_string_equal(dl.v[1].msg, "duplicate key `web` (first at 2:3)");
	diag_free(&dl);

	expect_error("a: 1\na: 2\na: 3\n", 2, 1, "duplicate key `a` (first at 1:1)", NULL);
	expect_error("{x: 1, x: 2}", 1, 8, "duplicate key `x` (first at 1:2)", NULL);
	/* Same text, one quoted: still the same key. */
	expect_error("a: 1\n'a': 2\n", 2, 1, "duplicate key `a`", NULL);
}

static void test_bad_keys(void **state)
{
	(void)state;
	expect_error("? [a, b]\n: v\n", 1, 3, "a mapping key must be a string, not a list", NULL);
	expect_error("? {a: 1}\n: v\n", 1, 3, "a mapping key must be a string, not a mapping", NULL);
}

static void test_alias_bomb(void **state)
{
	(void)state;
	/* The classic "billion laughs": 9^9 nodes if expanded. */
	static const char bomb[] = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
				   "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
				   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
				   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
				   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
				   "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
				   "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
				   "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
				   "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("bomb.yaml", bomb, strlen(bomb), &doc, &dl), -1);
	assert_null(doc);
	assert_int_equal(dl.n, 1);
	assert_non_null(strstr(dl.v[0].msg, "expands to more than 200000 nodes"));
	assert_non_null(strstr(dl.v[0].hint, "aliases"));
	assert_int_equal(dl.v[0].line, 6); /* f: 9^6 nodes > 200000 */
	diag_free(&dl);

	/* The same bomb through merge keys and mappings. */
	static const char mbomb[] = "a: &a {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}\n"
				    "b: &b {a: *a, b: *a, c: *a, d: *a, e: *a, f: *a, g: *a, h: *a, i: *a}\n"
				    "c: &c {a: *b, b: *b, c: *b, d: *b, e: *b, f: *b, g: *b, h: *b, i: *b}\n"
				    "d: &d {a: *c, b: *c, c: *c, d: *c, e: *c, f: *c, g: *c, h: *c, i: *c}\n"
				    "e: &e {a: *d, b: *d, c: *d, d: *d, e: *d, f: *d, g: *d, h: *d, i: *d}\n"
				    "f: &f {<<: *e, a: *e, b: *e, c: *e, d: *e, e: *e, z: *e}\n"
				    "g: &g {a: *f, b: *f, c: *f, d: *f, e: *f, f: *f, g: *f, h: *f, i: *f}\n";
	expect_error(mbomb, 6, 12, "expands to more than", NULL); /* at the `<<: *e` */

	/* Few nodes, big strings: the byte budget stops it. */
	size_t big = 1 << 20;
	char *text = xmalloc(big + 400);
	char *p = text + sprintf(text, "s: &s \"");
	memset(p, 'x', big);
	p += big;
	p += sprintf(p, "\"\nl: [");
	for (int i = 0; i < 80; i++)
		p += sprintf(p, "%s*s", i ? "," : "");
	p += sprintf(p, "]\n");
	dl = (struct diag_list){0};
	assert_int_equal(spec_yaml_parse("t.yaml", text, (size_t)(p - text), &doc, &dl), -1);
	assert_non_null(strstr(dl.v[0].msg, "strings expand to more than 64 MiB"));
	assert_int_equal(dl.v[0].line, 2);
	diag_free(&dl);
	free(text);
}

static void test_many_anchors(void **state)
{
	(void)state;
	/* 60000 anchors, then 60000 aliases of the oldest, each resolved to
	 * the right node.  How fast the lookup is, is not asserted here (no
	 * timing in tests): a quadratic lookup shows as a slow unit run. */
	enum { N = 60000 };
	char *text = xmalloc((size_t)N * 32 + 16), *p = text;
	for (int i = 0; i < N; i++)
		p += sprintf(p, "- &a%d v%d\n", i, i);
	for (int i = 0; i < N; i++)
		p += sprintf(p, "- *a0\n");
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("t.yaml", text, (size_t)(p - text), &doc, &dl), 0);
	assert_int_equal(doc->root->n_items, 2 * N);
	assert_string_equal(doc->root->items[2 * N - 1]->scalar, "v0");
	assert_string_equal(doc->root->items[N - 1]->scalar, "v59999");
	spec_doc_free(doc);
	free(text);
}

static char *nested(int levels, const char *open, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = xmalloc((size_t)levels * (lo + lc) + 2), *p = s;
	for (int i = 0; i < levels; i++, p += lo)
		memcpy(p, open, lo);
	*p++ = '1';
	for (int i = 0; i < levels; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_nesting_limit(void **state)
{
	(void)state;
	char *ok = nested(SPEC_YAML_MAX_DEPTH, "[", "]");
	struct spec_doc *doc = parse_ok(ok);
	spec_doc_free(doc);
	free(ok);

	char *deep = nested(SPEC_YAML_MAX_DEPTH + 1, "[", "]");
	expect_error(deep, 1, SPEC_YAML_MAX_DEPTH + 1, "nesting is deeper than 64 levels", NULL);
	free(deep);
	/* Far deeper than that: still a clean error (libyaml keeps its own stack). */
	deep = nested(100000, "{a: ", "}");
	expect_error(deep, 1, 4 * SPEC_YAML_MAX_DEPTH + 1, "nesting is deeper", NULL);
	free(deep);

	/* Depth reached by pasting a deep anchor deep inside another. */
	char *half = nested(40, "[", "]");
	char *text = xasprintf("a: &a %s\nb: %s\n", half, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	expect_error(text, 2, 36, "nesting is deeper", NULL);
	free(text);
	free(half);
}

static void test_size_limit(void **state)
{
	(void)state;
	size_t len = SPEC_YAML_MAX_BYTES + 1;
	char *text = xmalloc(len);
	memset(text, '#', len);
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("big.yaml", text, len, &doc, &dl), -1);
	assert_non_null(strstr(dl.v[0].msg, "file is too large"));
	diag_free(&dl);
	free(text);
}

static void test_libyaml_errors(void **state)
{
	(void)state;
	expect_error("a:\n\tb: 1\n", 2, 1, "found character that cannot start any token",
		     "YAML forbids tabs for indentation; use spaces");
	expect_error("a:\n  - b\n\t- c\n", 3, 1, "tab", "YAML forbids tabs");
	expect_error("a: 1\nb: \xff\n", 2, 4, "invalid UTF-8", "save the file as UTF-8");
	expect_error("a: 1\nb: \xc3\x28\n", 2, 4, "invalid UTF-8 (invalid trailing UTF-8 octet, byte 0xc3)", NULL);
	expect_error("a: 1\nb: \xe2\x82\x28\n", 2, 4, "invalid UTF-8", NULL);
	expect_error("a: 1\nb: \xe2\x82", 2, 4, "invalid UTF-8 (incomplete", NULL);
	expect_error_len("a: 1\nb: x\0y\n", 11, 2, 5, "NUL byte in the file", "binary");
	expect_error("a: 1\nb: x\x01y\n", 2, 5, "control character 0x01", NULL);
	expect_error("a: 1\n---\nb: 2\n", 2, 1, "a stack file holds one YAML document", "-f");
	expect_error("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed in this context", "new line");
	expect_error("a: \"open\nb: 2\n", 3, 1, "found unexpected end of stream (while scanning a quoted scalar started at 1:4)",
		     NULL);
	expect_error("a: [1, 2\n", 2, 1, "did not find expected", NULL);
	expect_error("a: *nope\n", 1, 4, "unknown alias `*nope`", "define the anchor `&nope`");
	expect_error("a: &x [*x]\n", 1, 8, "unknown alias `*x`", "inside itself");
	expect_error("a: &defaults {x: 1}\nb: *defualts\n", 2, 4, "unknown alias `*defualts`", "did you mean `*defaults`?");
	expect_error("a: \"x\\0y\"\n", 1, 4, "NUL character", NULL);
	expect_error("a: @x\n", 1, 4, "cannot start any token", "quote it");
}

static void test_all_errors_reported(void **state)
{
	(void)state;
	static const char text[] = "a: *u1\n"
				   "b: 1\n"
				   "b: 2\n"
				   "c: *u2\n"
				   "d: !weird x\n";
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	assert_int_equal(spec_yaml_parse("t.yaml", text, strlen(text), &doc, &dl), -1);
	assert_int_equal(dl.n, 4);
	diag_sort(&dl);
	assert_int_equal(dl.v[0].line, 1);
	assert_int_equal(dl.v[1].line, 3);
	assert_int_equal(dl.v[2].line, 4);
	assert_int_equal(dl.v[3].line, 5);
	diag_free(&dl);
}

static void test_tags(void **state)
{
	(void)state;
	struct spec_doc *doc = parse_ok("a: !reset []\n"
					"b: !override [x]\n"
					"c: !reset null\n"
					"d: !!str true\n"
					"e: !!bool 'true'\n"
					"f: !!map {x: 1}\n"
					"g: ! plain\n");
	assert_int_equal(spec_map_get(doc->root, "a")->tag, SPEC_TAG_RESET);
	assert_int_equal(spec_map_get(doc->root, "b")->tag, SPEC_TAG_OVERRIDE);
	assert_int_equal(spec_map_get(doc->root, "c")->tag, SPEC_TAG_RESET);
	bool b = false;
	assert_false(spec_node_bool(spec_map_get(doc->root, "d"), &b));
	assert_true(spec_node_bool(spec_map_get(doc->root, "e"), &b));
	assert_true(b);
	assert_int_equal(spec_map_get(doc->root, "f")->tag, SPEC_TAG_NONE);
	spec_doc_free(doc);
	expect_error("a: !foo x\n", 1, 4, "unsupported tag `!foo`", "!reset");
	expect_error("a: !!binary aGVsbG8=\n", 1, 4, "unsupported tag `!!binary`", NULL);
	expect_error("a: !!seq {x: 1}\n", 1, 4, "unsupported tag `!!seq`", NULL);
	expect_error("a: !custom [1, *nope]\n", 1, 4, "unsupported tag", NULL);
}

static void test_node_helpers(void **state)
{
	(void)state;
	struct spec_doc *doc = parse_ok("n1: ~\nn2: null\nn3: NULL\nn4:\nn5: ''\n"
					"t1: true\nt2: Yes\nt3: ON\nf1: false\nf2: no\nf3: Off\nq: 'true'\ny: y\n"
					"num: 1.5\nstr: abc\nm: {}\nl: []\n");
	const struct spec_node *r = doc->root;
	assert_true(spec_node_is_null(spec_map_get(r, "n1")));
	assert_true(spec_node_is_null(spec_map_get(r, "n2")));
	assert_true(spec_node_is_null(spec_map_get(r, "n3")));
	assert_true(spec_node_is_null(spec_map_get(r, "n4")));
	assert_false(spec_node_is_null(spec_map_get(r, "n5")));
	assert_false(spec_node_is_null(spec_map_get(r, "m")));
	static const char *truthy[] = {"t1", "t2", "t3"}, *falsy[] = {"f1", "f2", "f3"};
	for (size_t i = 0; i < 3; i++) {
		bool b = false;
		assert_true(spec_node_bool(spec_map_get(r, truthy[i]), &b));
		assert_true(b);
		assert_true(spec_node_bool(spec_map_get(r, falsy[i]), &b));
		assert_false(b);
	}
	bool b;
	assert_false(spec_node_bool(spec_map_get(r, "q"), &b));
	assert_false(spec_node_bool(spec_map_get(r, "y"), &b));
	assert_string_equal(spec_node_type_name(spec_map_get(r, "n1")), "null");
	assert_string_equal(spec_node_type_name(spec_map_get(r, "t1")), "a boolean");
	assert_string_equal(spec_node_type_name(spec_map_get(r, "num")), "a number");
	assert_string_equal(spec_node_type_name(spec_map_get(r, "str")), "a string");
	assert_string_equal(spec_node_type_name(spec_map_get(r, "q")), "a string");
	assert_string_equal(spec_node_type_name(spec_map_get(r, "m")), "a mapping");
	assert_string_equal(spec_node_type_name(spec_map_get(r, "l")), "a list");
	assert_null(spec_map_get(r, "missing"));
	assert_null(spec_map_get(spec_map_get(r, "l"), "x"));

	struct spec_node *c = spec_node_clone(r);
	assert_int_equal(c->n_pairs, r->n_pairs);
	assert_true(spec_map_remove(c, "n1"));
	assert_false(spec_map_remove(c, "n1"));
	assert_int_equal(c->n_pairs, r->n_pairs - 1);
	assert_string_equal(c->pairs[0].key->scalar, "n2");
	assert_int_equal(c->pairs[0].value->line, 2);
	spec_node_free(c);
	spec_doc_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions_and_styles),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_anchors_are_copies),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_many_anchors),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_libyaml_errors),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_node_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
