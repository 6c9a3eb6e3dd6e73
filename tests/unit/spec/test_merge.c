/* Merging -f files as compose does: recursive mappings, replaced scalars,
 * replaced command/entrypoint/healthcheck.test, key/value sections in list
 * or map form, unique ports/volumes/secrets, !reset and !override, and the
 * positions of the winning nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "spec/node.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static struct spec_doc *parse(const char *file, const char *text)
{
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	if (spec_yaml_parse(file, text, strlen(text), &doc, &dl) != 0) {
		diag_print(&dl, stderr);
		fail_msg("parse of %s failed", file);
	}
	diag_free(&dl);
	return doc;
}

/* Merges b into a; returns a (b's file name is kept alive in *keep). */
static struct spec_doc *merge2(const char *a, const char *b, struct spec_doc **keep)
{
	struct spec_doc *da = parse("a.yaml", a), *db = parse("b.yaml", b);
	struct diag_list dl = {0};
	assert_int_equal(spec_node_merge(&da->root, db->root, &dl), 0);
	assert_int_equal(dl.n, 0);
	db->root = NULL;
	*keep = db;
	return da;
}

static const struct spec_node *path(const struct spec_node *n, const char *p)
{
	_cleanup_free_ char *copy = xstrdup(p);
	char *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && n; k = strtok_r(NULL, ".", &save))
		n = spec_map_get(n, k);
	return n;
}

static void expect_items(const struct spec_node *seq, const char *const *want, size_t n)
{
	assert_non_null(seq);
	assert_int_equal(seq->type, SPEC_NODE_SEQ);
	if (seq->n_items != n)
		fail_msg("%zu items, expected %zu", seq->n_items, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(seq->items[i]->scalar, want[i]))
			fail_msg("item %zu is `%s`, expected `%s`", i, seq->items[i]->scalar, want[i]);
}

static void test_mappings_and_scalars(void **state)
{
	(void)state;
	struct spec_doc *keep;
	struct spec_doc *d = merge2("name: app\n"
				    "services:\n"
				    "  web:\n"
				    "    image: web:1\n"
				    "    restart: always\n"
				    "    healthcheck:\n"
				    "      test: [CMD, curl, -f, localhost]\n"
				    "      retries: 3\n"
				    "  db:\n"
				    "    image: db\n",
				    "services:\n"
				    "  web:\n"
				    "    image: web:2\n"
				    "    healthcheck:\n"
				    "      test: [CMD, true]\n"
				    "      interval: 5s\n"
				    "  cache:\n"
				    "    image: redis\n"
				    "x-list: [1]\n",
				    &keep);
	const struct spec_node *r = d->root;
	assert_string_equal(path(r, "name")->scalar, "app");
	const struct spec_node *img = path(r, "services.web.image");
	assert_string_equal(img->scalar, "web:2");
	/* The winner keeps its own file and position. */
	assert_string_equal(img->file, "b.yaml");
	assert_int_equal(img->line, 3);
	assert_int_equal(img->col, 12);
	assert_string_equal(path(r, "services.web.restart")->file, "a.yaml");
	assert_string_equal(path(r, "services.db.image")->scalar, "db");
	assert_string_equal(path(r, "services.cache.image")->scalar, "redis");
	/* healthcheck merges, its test is replaced */
	static const char *const test[] = {"CMD", "true"};
	expect_items(path(r, "services.web.healthcheck.test"), test, 2);
	assert_string_equal(path(r, "services.web.healthcheck.retries")->scalar, "3");
	assert_string_equal(path(r, "services.web.healthcheck.interval")->scalar, "5s");
	/* service order: base's first, new ones after */
	const struct spec_node *svcs = path(r, "services");
	assert_string_equal(svcs->pairs[0].key->scalar, "web");
	assert_string_equal(svcs->pairs[2].key->scalar, "cache");
	spec_doc_free(d);
	spec_doc_free(keep);
}

static void test_sequences(void **state)
{
	(void)state;
	struct spec_doc *keep;
	struct spec_doc *d = merge2("services:\n"
				    "  web:\n"
				    "    command: [python, app.py]\n"
				    "    entrypoint: /bin/sh\n"
				    "    ports: [\"80:80\", \"443:443\"]\n"
				    "    volumes: [\"./a:/data\", \"logs:/logs\", /anon]\n"
				    "    secrets: [db, {source: api, target: /etc/api}]\n"
				    "    cap_add: [NET_ADMIN]\n"
				    "    cap_drop: [ALL]\n"
				    "    dns: [1.1.1.1]\n"
				    "    profiles: [dev]\n"
				    "    dns_search: a.example\n"
				    "    group_add: [a]\n"
				    "    x-extra: {a: 1}\n",
				    "services:\n"
				    "  web:\n"
				    "    command: serve\n"
				    "    entrypoint: [tini, --]\n"
				    "    ports: [\"80:80\", \"8080:80\"]\n"
				    "    volumes: [\"./b:/data:ro\", {type: bind, source: ./c, target: /anon}]\n"
				    "    secrets: [{source: other, target: db}, new]\n"
				    "    cap_add: [NET_ADMIN, SYS_TIME]\n"
				    "    cap_drop: [ALL]\n"
				    "    dns: [1.1.1.1, 8.8.8.8]\n"
				    "    profiles: [dev, test]\n"
				    "    dns_search: b.example\n"
				    "    group_add: [a]\n"
				    "    x-extra: {b: 2}\n",
				    &keep);
	const struct spec_node *web = path(d->root, "services.web");
	assert_string_equal(path(web, "command")->scalar, "serve");
	static const char *const ep[] = {"tini", "--"};
	expect_items(path(web, "entrypoint"), ep, 2);
	static const char *const ports[] = {"80:80", "443:443", "8080:80"};
	expect_items(path(web, "ports"), ports, 3);
	const struct spec_node *vols = path(web, "volumes");
	assert_int_equal(vols->n_items, 3);
	assert_string_equal(vols->items[0]->scalar, "./b:/data:ro"); /* same target: replaced in place */
	assert_string_equal(vols->items[0]->file, "b.yaml");
	assert_string_equal(vols->items[1]->scalar, "logs:/logs");
	assert_int_equal(vols->items[2]->type, SPEC_NODE_MAP);       /* /anon replaced by the long form */
	const struct spec_node *secrets = path(web, "secrets");
	assert_int_equal(secrets->n_items, 3);
	assert_string_equal(path(secrets->items[0], "source")->scalar, "other"); /* both at /run/secrets/db */
	assert_string_equal(path(secrets->items[1], "source")->scalar, "api");
	assert_string_equal(secrets->items[2]->scalar, "new");
	static const char *const caps[] = {"NET_ADMIN", "SYS_TIME"}, *const drop[] = {"ALL"};
	expect_items(path(web, "cap_add"), caps, 2);
	expect_items(path(web, "cap_drop"), drop, 1);
	static const char *const dns[] = {"1.1.1.1", "8.8.8.8"}, *const prof[] = {"dev", "test"};
	expect_items(path(web, "dns"), dns, 2);
	expect_items(path(web, "profiles"), prof, 2);
	static const char *const search[] = {"a.example", "b.example"}; /* a string is a one-item list */
	expect_items(path(web, "dns_search"), search, 2);
	static const char *const groups[] = {"a", "a"}; /* other lists: appended */
	expect_items(path(web, "group_add"), groups, 2);
	assert_null(path(web, "x-extra.a")); /* extensions: replaced whole */
	assert_string_equal(path(web, "x-extra.b")->scalar, "2");
	spec_doc_free(d);
	spec_doc_free(keep);
}

static void test_key_value_sections(void **state)
{
	(void)state;
	struct spec_doc *keep;
	struct spec_doc *d = merge2("services:\n"
				    "  web:\n"
				    "    environment:\n"
				    "      A: 1\n"
				    "      B: base\n"
				    "      C:\n"
				    "    labels: [\"x=1\", \"y=2\"]\n"
				    "    extra_hosts: [\"db:10.0.0.1\", \"v6:::1\"]\n"
				    "    build:\n"
				    "      context: .\n"
				    "      args: {V: 1}\n",
				    "services:\n"
				    "  web:\n"
				    "    environment:\n"
				    "      - B=over=ride\n"
				    "      - D\n"
				    "      - E=\n"
				    "    labels:\n"
				    "      y: 3\n"
				    "    extra_hosts:\n"
				    "      db: 10.0.0.2\n"
				    "      cache: 10.0.0.3\n"
				    "    build:\n"
				    "      args: [W=2]\n",
				    &keep);
	const struct spec_node *web = path(d->root, "services.web");
	const struct spec_node *env = path(web, "environment");
	assert_int_equal(env->type, SPEC_NODE_MAP);
	assert_int_equal(env->n_pairs, 5);
	assert_string_equal(path(env, "A")->scalar, "1");
	const struct spec_node *b = path(env, "B");
	assert_string_equal(b->scalar, "over=ride");
	assert_true(b->quoted); /* text from "K=V" is a string */
	assert_string_equal(b->file, "b.yaml");
	assert_int_equal(b->line, 4);
	assert_int_equal(b->col, 11); /* just after "- B=" */
	assert_true(spec_node_is_null(path(env, "C")));
	assert_true(spec_node_is_null(path(env, "D")));
	assert_false(spec_node_is_null(path(env, "E")));
	assert_string_equal(path(env, "E")->scalar, "");
	const struct spec_node *labels = path(web, "labels");
	assert_int_equal(labels->type, SPEC_NODE_MAP);
	assert_string_equal(path(labels, "x")->scalar, "1");
	assert_string_equal(path(labels, "y")->scalar, "3");
	const struct spec_node *hosts = path(web, "extra_hosts");
	assert_string_equal(path(hosts, "db")->scalar, "10.0.0.2");
	assert_string_equal(path(hosts, "v6")->scalar, "::1");
	assert_string_equal(path(hosts, "cache")->scalar, "10.0.0.3");
	assert_string_equal(path(web, "build.context")->scalar, ".");
	assert_string_equal(path(web, "build.args.V")->scalar, "1");
	assert_string_equal(path(web, "build.args.W")->scalar, "2");
	spec_doc_free(d);
	spec_doc_free(keep);
}

static void test_mixed_forms(void **state)
{
	(void)state;
	struct spec_doc *keep;
	struct spec_doc *d = merge2("services:\n"
				    "  web:\n"
				    "    build: ./web\n"
				    "    depends_on: [db]\n"
				    "    networks: [front]\n"
				    "    logging: {driver: json-file, options: {max-size: 1m}}\n"
				    "    ulimits: {nofile: {soft: 1, hard: 2}}\n",
				    "services:\n"
				    "  web:\n"
				    "    build: {dockerfile: Dockerfile.dev}\n"
				    "    depends_on: {cache: {condition: service_healthy}}\n"
				    "    networks: {back: {aliases: [b]}}\n"
				    "    logging: {driver: syslog, options: {tag: x}}\n"
				    "    ulimits: {nofile: 100}\n",
				    &keep);
	const struct spec_node *web = path(d->root, "services.web");
	assert_string_equal(path(web, "build.context")->scalar, "./web");
	assert_string_equal(path(web, "build.dockerfile")->scalar, "Dockerfile.dev");
	assert_string_equal(path(web, "depends_on.db.condition")->scalar, "service_started");
	assert_string_equal(path(web, "depends_on.cache.condition")->scalar, "service_healthy");
	assert_true(spec_node_is_null(path(web, "networks.front")));
	assert_non_null(path(web, "networks.back.aliases"));
	assert_string_equal(path(web, "logging.driver")->scalar, "syslog");
	assert_null(path(web, "logging.options.max-size")); /* another driver: old options dropped */
	assert_string_equal(path(web, "logging.options.tag")->scalar, "x");
	assert_string_equal(path(web, "ulimits.nofile")->scalar, "100");
	spec_doc_free(d);
	spec_doc_free(keep);

	/* both lists: unique union */
	d = merge2("s: {}\nservices: {w: {depends_on: [a, b]}}\n", "services: {w: {depends_on: [b, c]}}\n", &keep);
	static const char *const deps[] = {"a", "b", "c"};
	expect_items(path(d->root, "services.w.depends_on"), deps, 3);
	spec_doc_free(d);
	spec_doc_free(keep);
}

static void test_reset_override(void **state)
{
	(void)state;
	struct spec_doc *keep;
	struct spec_doc *d = merge2("services:\n"
				    "  web:\n"
				    "    image: x\n"
				    "    ports: [\"80:80\"]\n"
				    "    volumes: [\"a:/a\", \"b:/b\"]\n"
				    "    environment: {A: 1, B: 2}\n"
				    "    labels: {l: 1}\n"
				    "    healthcheck: {test: [CMD, x], retries: 3}\n",
				    "services:\n"
				    "  web:\n"
				    "    ports: !reset []\n"
				    "    volumes: !override [\"c:/c\"]\n"
				    "    environment: {A: !reset null, C: 3}\n"
				    "    labels: !override {m: 2}\n"
				    "    healthcheck: !override {test: [NONE]}\n"
				    "    user: !reset null\n"
				    "    new: !override [z]\n",
				    &keep);
	const struct spec_node *web = path(d->root, "services.web");
	assert_null(path(web, "ports"));
	assert_null(path(web, "user"));
	static const char *const vols[] = {"c:/c"}, *const z[] = {"z"};
	expect_items(path(web, "volumes"), vols, 1);
	expect_items(path(web, "new"), z, 1);
	assert_int_equal(path(web, "new")->tag, SPEC_TAG_NONE);
	const struct spec_node *env = path(web, "environment");
	assert_null(path(env, "A"));
	assert_string_equal(path(env, "B")->scalar, "2");
	assert_string_equal(path(env, "C")->scalar, "3");
	assert_null(path(web, "labels.l"));
	assert_string_equal(path(web, "labels.m")->scalar, "2");
	assert_null(path(web, "healthcheck.retries"));
	assert_string_equal(path(web, "image")->scalar, "x");
	spec_doc_free(d);
	spec_doc_free(keep);

	/* A single file: !reset values are dropped, !override tags cleared. */
	struct spec_doc *one = parse("a.yaml", "a: !reset 1\nb: !override [1]\nc: [x, !reset y]\nd: {e: !reset 1, f: 2}\n");
	spec_node_apply_reset(&one->root);
	assert_null(path(one->root, "a"));
	assert_int_equal(path(one->root, "b")->tag, SPEC_TAG_NONE);
	assert_int_equal(path(one->root, "c")->n_items, 1);
	assert_int_equal(path(one->root, "d")->n_pairs, 1);
	spec_node_apply_reset(&one->root); /* idempotent */
	assert_int_equal(one->root->n_pairs, 3);
	spec_doc_free(one);

	/* !reset in the first file resets nothing of the second. */
	d = merge2("ports: !reset [\"1:1\"]\n", "ports: [\"2:2\"]\n", &keep);
	static const char *const p2[] = {"2:2"};
	expect_items(path(d->root, "ports"), p2, 1);
	spec_doc_free(d);
	spec_doc_free(keep);
}

static void test_edges(void **state)
{
	(void)state;
	struct diag_list dl = {0};
	/* empty base, empty override */
	struct spec_doc *a = parse("a.yaml", ""), *b = parse("b.yaml", "x: 1\n");
	assert_int_equal(spec_node_merge(&a->root, b->root, &dl), 0);
	b->root = NULL;
	assert_string_equal(path(a->root, "x")->scalar, "1");
	assert_int_equal(spec_node_merge(&a->root, NULL, &dl), 0);
	assert_string_equal(path(a->root, "x")->scalar, "1");
	spec_doc_free(a);
	spec_doc_free(b);

	/* type changes: the later wins whole */
	struct spec_doc *keep;
	struct spec_doc *d = merge2("a: {x: 1}\nb: [1]\nc: s\n", "a: [1]\nb: {y: 2}\nc: {z: 3}\n", &keep);
	assert_int_equal(path(d->root, "a")->type, SPEC_NODE_SEQ);
	assert_int_equal(path(d->root, "b")->type, SPEC_NODE_MAP);
	assert_string_equal(path(d->root, "c.z")->scalar, "3");
	spec_doc_free(d);
	spec_doc_free(keep);

	/* three files, in order */
	struct spec_doc *f1 = parse("1.yaml", "services: {w: {image: a, ports: [\"1:1\"], environment: [A=1]}}\n");
	struct spec_doc *f2 = parse("2.yaml", "services: {w: {image: b, ports: [\"2:2\"], environment: {A: 2}}}\n");
	struct spec_doc *f3 = parse("3.yaml", "services: {w: {image: c, ports: [\"1:1\"], environment: [B=3]}}\n");
	assert_int_equal(spec_node_merge(&f1->root, f2->root, &dl), 0);
	f2->root = NULL;
	assert_int_equal(spec_node_merge(&f1->root, f3->root, &dl), 0);
	f3->root = NULL;
	const struct spec_node *w = path(f1->root, "services.w");
	assert_string_equal(path(w, "image")->scalar, "c");
	assert_string_equal(path(w, "image")->file, "3.yaml");
	static const char *const ports[] = {"1:1", "2:2"};
	expect_items(path(w, "ports"), ports, 2);
	assert_string_equal(path(w, "ports")->items[0]->file, "3.yaml");
	assert_string_equal(path(w, "environment.A")->scalar, "2");
	assert_string_equal(path(w, "environment.B")->scalar, "3");
	spec_doc_free(f1);
	spec_doc_free(f2);
	spec_doc_free(f3);
	assert_int_equal(dl.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mappings_and_scalars), cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_key_value_sections),   cmocka_unit_test(test_mixed_forms),
		cmocka_unit_test(test_reset_override),       cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
