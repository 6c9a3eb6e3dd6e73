/* Units for builder/plan: FROM resolution, ARG substitution, stages, --from
 * edges, target pruning, implicit registry bases, cycles and their messages,
 * levels.  Stacks are built as structs; Dockerfiles are inline or files in a
 * temp dir (for FILE:LINE messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "builder/plan.h"
#include "util/diag.h"
#include "util/fs.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const STACK_FILE = "stack.yaml";

struct fixture {
	char dir[64];
	struct spec_stack *st;
	struct build_plan *plan;
	struct diag_list diags;
	char *text; /* diag_print output */
};

static int setup(void **state)
{
	struct fixture *f = xzalloc(sizeof(*f));
	strcpy(f->dir, "/tmp/stack-test-plan-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->st = xzalloc(sizeof(*f->st));
	f->st->name = xstrdup("t");
	f->st->project_dir = xstrdup(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	st_error_t err = NULL;
	fs_remove_tree(f->dir, &err);
	st_error_free(&err);
	build_plan_free(f->plan);
	spec_stack_free(f->st);
	diag_free(&f->diags);
	free(f->text);
	free(f);
	return 0;
}

static struct spec_image *add_image(struct fixture *f, const char *name, const char *inline_text)
{
	struct spec_stack *s = f->st;
	s->images = xrealloc(s->images, (s->n_images + 1) * sizeof(*s->images));
	struct spec_image *im = &s->images[s->n_images++];
	memset(im, 0, sizeof(*im));
	im->name = xstrdup(name);
	im->context = xasprintf("%s/%s", f->dir, name);
	if (inline_text)
		im->dockerfile_inline = xstrdup(inline_text);
	else
		im->dockerfile = xasprintf("%s/%s/Dockerfile", f->dir, name);
	im->pos = (struct spec_pos){STACK_FILE, (int)s->n_images + 10, 3};
	return im;
}

/* An image whose Dockerfile is a file DIR/NAME/Dockerfile. */
static struct spec_image *add_file_image(struct fixture *f, const char *name, const char *text)
{
	_cleanup_free_ char *d = xasprintf("%s/%s", f->dir, name);
	_cleanup_free_ char *p = xasprintf("%s/Dockerfile", d);
	st_error_t err = NULL;
	assert_int_equal(fs_mkdir_p(d, 0755, &err), 0);
	assert_int_equal(fs_write_file_atomic(p, text, strlen(text), 0644, &err), 0);
	return add_image(f, name, NULL);
}

static void add_base(struct fixture *f, const char *name)
{
	struct spec_stack *s = f->st;
	s->bases = xrealloc(s->bases, (s->n_bases + 1) * sizeof(*s->bases));
	struct spec_base *b = &s->bases[s->n_bases++];
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	b->kind = SPEC_BASE_DEBOOTSTRAP;
	b->debootstrap.suite = xstrdup("bookworm");
	b->pos = (struct spec_pos){STACK_FILE, 3, 3};
}

static void add_service(struct fixture *f, const char *name, const char *image)
{
	struct spec_stack *s = f->st;
	s->services = xrealloc(s->services, (s->n_services + 1) * sizeof(*s->services));
	struct spec_service *sv = &s->services[s->n_services++];
	memset(sv, 0, sizeof(*sv));
	sv->name = xstrdup(name);
	sv->image = xstrdup(image);
	sv->pos = (struct spec_pos){STACK_FILE, 40, 3};
}

/* Plan; returns build_plan_make's result and keeps the messages as text.
 * The planner only reads the stack; its pulls are then added as `stack
 * config` adds them. */
static int plan(struct fixture *f)
{
	size_t n_bases = f->st->n_bases;
	int r = build_plan_make(f->st, &f->plan, &f->diags);
	assert_int_equal(f->st->n_bases, n_bases);
	if (r == 0)
		build_plan_add_bases(f->plan, f->st);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	diag_print(&f->diags, m);
	fclose(m);
	free(f->text);
	f->text = buf;
	if (r == 0)
		assert_non_null(f->plan);
	else
		assert_null(f->plan);
	return r;
}

static char *order(const struct build_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	build_plan_print(p, m);
	fclose(m);
	return buf;
}

static void assert_order(struct fixture *f, const char *expected)
{
	if (plan(f) != 0)
		fail_msg("plan failed:\n%s", f->text);
	_cleanup_free_ char *o = order(f->plan);
	assert_string_equal(o, expected);
}

/* ---- orders ---- */

static void test_chain(void **state)
{
	struct fixture *f = *state;
	add_base(f, "debian:bookworm");
	add_image(f, "python3-pip3", "FROM debian:bookworm\nRUN true\n");
	add_image(f, "flask112", "FROM python3-pip3\n");
	add_image(f, "espresso", "FROM flask112:latest\n");
	add_image(f, "espresso-run", "FROM docker.io/library/espresso\n");
	assert_order(f, "python3-pip3\nflask112\nespresso\nespresso-run\n");
	const struct build_node *n = &f->plan->nodes[0];
	assert_int_equal(n->n_froms, 1);
	assert_int_equal(n->froms[0].kind, BUILD_FROM_BASE);
	assert_int_equal(n->froms[0].index, 0);
	assert_int_equal(n->n_deps, 0);
	n = &f->plan->nodes[2];
	assert_int_equal(n->froms[0].kind, BUILD_FROM_IMAGE);
	assert_string_equal(n->froms[0].name, "flask112:latest");
	assert_int_equal(n->n_deps, 1);
	assert_int_equal(n->deps[0], 1);
	assert_int_equal(f->plan->n_levels, 4);
	assert_int_equal(f->st->n_bases, 1); /* nothing implicit: all names are the stack's */
}

static void test_diamond(void **state)
{
	struct fixture *f = *state;
	/* Listed out of build order: levels still list images in file order. */
	add_image(f, "top", "FROM left AS l\nFROM right\nCOPY --from=l /a /a\n");
	add_image(f, "right", "FROM base\n");
	add_image(f, "left", "FROM base\n");
	add_image(f, "base", "FROM scratch\nCOPY x /x\n");
	assert_order(f, "base\nright left\ntop\n");
	const struct build_node *top = &f->plan->nodes[0];
	assert_int_equal(top->n_deps, 2);
	assert_int_equal(top->deps[0], 2);
	assert_int_equal(top->deps[1], 1);
	assert_int_equal(top->level, 2);
	assert_int_equal(f->plan->nodes[3].froms[0].kind, BUILD_FROM_SCRATCH);
}

static void test_parallel(void **state)
{
	struct fixture *f = *state;
	add_base(f, "debian:bookworm");
	add_image(f, "x", "FROM debian:bookworm\n");
	add_image(f, "y", "FROM scratch\n");
	add_image(f, "z", "FROM debian\n"); /* debian:latest: a registry image */
	add_image(f, "w", "FROM y\n");
	assert_order(f, "x y z\nw\n");
	assert_int_equal(f->plan->n_levels, 2);
}

static void test_empty_stack(void **state)
{
	struct fixture *f = *state;
	assert_order(f, "");
	assert_int_equal(f->plan->n, 0);
	assert_int_equal(f->plan->n_levels, 0);
}

/* ---- stages, ARGs, --from ---- */

static void test_stages(void **state)
{
	struct fixture *f = *state;
	add_image(f, "lib", "FROM scratch\n");
	add_image(f, "app",
		  "FROM lib AS Build\n"
		  "RUN make\n"
		  "FROM build AS test\n" /* stage names are case-insensitive */
		  "FROM BUILD\n"
		  "COPY --from=test /t /t\n");
	assert_order(f, "lib\napp\n");
	const struct build_node *n = &f->plan->nodes[1];
	assert_int_equal(n->n_froms, 4);
	assert_int_equal(n->froms[0].kind, BUILD_FROM_IMAGE);
	assert_int_equal(n->froms[1].kind, BUILD_FROM_STAGE);
	assert_int_equal(n->froms[1].index, 0);
	assert_int_equal(n->froms[1].line, 3);
	assert_int_equal(n->froms[2].kind, BUILD_FROM_STAGE);
	assert_true(n->froms[3].copy);
	assert_int_equal(n->froms[3].kind, BUILD_FROM_STAGE);
	assert_int_equal(n->froms[3].index, 1);
	assert_non_null(n->dockerfile);
}

static void test_stage_name_is_not_an_image_before_it_exists(void **state)
{
	struct fixture *f = *state;
	/* `FROM b` names image b: the stage b comes only later.  The last
	 * stage's COPY --from=b names the stage, not the image. */
	add_image(f, "a", "FROM b\nFROM scratch AS b\nFROM a-stage-less\nCOPY --from=b /x /x\n");
	add_image(f, "b", "FROM scratch\n");
	if (plan(f) != 0)
		fail_msg("plan failed:\n%s", f->text);
	/* Target = last stage, which needs stage b but neither the first stage nor image b. */
	_cleanup_free_ char *o = order(f->plan);
	assert_string_equal(o, "a b\n");
	struct build_plan *p = f->plan;
	f->plan = NULL;
	build_plan_free(p);

	free(f->st->images[0].dockerfile_inline);
	f->st->images[0].dockerfile_inline = xstrdup("FROM b\nFROM scratch AS b\nCOPY --from=0 /x /x\n");
	assert_order(f, "b\na\n");
	assert_int_equal(f->plan->nodes[0].froms[0].kind, BUILD_FROM_IMAGE);
	assert_int_equal(f->plan->nodes[0].froms[1].kind, BUILD_FROM_SCRATCH);
}

static void test_arg_in_from(void **state)
{
	struct fixture *f = *state;
	add_image(f, "one", "FROM scratch\n");
	add_image(f, "two", "FROM scratch\n");
	add_image(f, "a", "ARG BASE=one\nFROM ${BASE}\n");
	struct spec_image *b = add_image(f, "b", "ARG BASE=one\nARG TAG=latest\nFROM \"$BASE\":${TAG}\n");
	spec_kvlist_set(&b->args, "BASE", "two");
	add_image(f, "c", "ARG UNSET\nARG EMPTY=\nFROM ${UNSET:-two}\n");
	add_image(f, "d", "ARG X=1\nARG Y=${X:+one}\nFROM ${Y}\n");
	struct spec_image *e = add_image(f, "e", "ARG V=one\nFROM $V\n");
	spec_kvlist_set(&e->args, "NOTDECLARED", "two"); /* not an ARG: not seen by FROM */
	add_image(f, "g", "ARG N=t\nFROM ${N}wo AS x\nARG N\nFROM x\n");
	/* In a stage, a global ARG is seen only once redeclared; ENV counts too. */
	add_image(f, "h", "ARG B=\"t\"wo\nFROM scratch\nENV S=${B:-one}\nCOPY --from=$S /x /x\n"
			  "ARG B\nCOPY --from=$B /y /y\n");
	assert_order(f, "one two\na b c d e g h\n");
	assert_int_equal(f->plan->nodes[8].n_froms, 3);
	assert_string_equal(f->plan->nodes[8].froms[1].name, "one");
	assert_string_equal(f->plan->nodes[8].froms[2].name, "two");
	assert_int_equal(f->plan->nodes[8].n_deps, 2);
	assert_int_equal(f->plan->nodes[2].froms[0].index, 0);
	assert_string_equal(f->plan->nodes[3].froms[0].name, "two:latest");
	assert_int_equal(f->plan->nodes[3].froms[0].index, 1);
	assert_int_equal(f->plan->nodes[4].froms[0].index, 1);
	assert_int_equal(f->plan->nodes[5].froms[0].index, 0);
	assert_string_equal(f->plan->nodes[6].froms[0].name, "one");
	assert_string_equal(f->plan->nodes[7].froms[0].name, "two");
}

static void test_platform_args(void **state)
{
	struct fixture *f = *state;
	add_image(f, "a", "FROM scratch AS base-linux\nFROM base-${TARGETOS}\n");
	assert_order(f, "a\n");
	assert_int_equal(f->plan->nodes[0].froms[1].kind, BUILD_FROM_STAGE);
}

static void test_from_flags(void **state)
{
	struct fixture *f = *state;
	add_base(f, "debian:bookworm");
	add_image(f, "tools", "FROM scratch\n");
	add_image(f, "data", "FROM scratch\n");
	add_image(f, "app",
		  "FROM debian:bookworm\n"
		  "ARG T=tools\n"
		  "COPY --from=$T /bin/x /bin/x\n"
		  "RUN --mount=type=bind,from=data,target=/d cp /d/y /y\n"
		  "COPY --from=debian:bookworm /etc/os-release /\n");
	assert_order(f, "tools data\napp\n");
	const struct build_node *n = &f->plan->nodes[2];
	assert_int_equal(n->n_deps, 2);
	assert_int_equal(n->n_froms, 4);
	assert_true(n->froms[1].copy);
	assert_string_equal(n->froms[1].name, "tools");
	assert_int_equal(n->froms[1].line, 3);
	assert_int_equal(n->froms[2].index, 1);
	assert_int_equal(n->froms[2].line, 4);
	assert_int_equal(n->froms[3].kind, BUILD_FROM_BASE);
	assert_int_equal(f->st->n_bases, 1);
}

static void test_target_prunes_stages(void **state)
{
	struct fixture *f = *state;
	add_image(f, "a", "FROM scratch\n");
	add_image(f, "b", "FROM scratch\n");
	add_image(f, "c", "FROM scratch\n");
	const char *df = "FROM a AS one\n"
			 "FROM b AS two\n"
			 "COPY --from=one /x /x\n"
			 "FROM c AS three\n"
			 "FROM alpine:3 AS four\n";
	struct spec_image *t = add_image(f, "t", df);
	t->target = xstrdup("TWO");
	add_image(f, "u", df); /* no target: the last stage, which needs only alpine */
	assert_order(f, "a b c u\nt\n");
	const struct build_node *n = &f->plan->nodes[3];
	assert_int_equal(n->n_deps, 2);
	assert_int_equal(n->deps[0], 0);
	assert_int_equal(n->deps[1], 1);
	assert_int_equal(n->n_froms, 3); /* FROM a, FROM b, COPY --from=one */
	/* alpine is pulled for u only; t's unused stage four does not add it twice */
	assert_int_equal(f->st->n_bases, 1);
	assert_string_equal(f->st->bases[0].ref, "docker.io/library/alpine:3");
}

/* ---- registry images and references ---- */

static void test_implicit_bases(void **state)
{
	struct fixture *f = *state;
	add_base(f, "debian:bookworm");
	add_image(f, "a", "FROM ubuntu:focal\n");
	add_image(f, "b", "FROM docker.io/library/ubuntu:focal\nCOPY --from=busybox /bin/busybox /\n");
	add_image(f, "c", "FROM localhost:5000/team/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
	/* Services' registry images are the loader's to add, not the planner's. */
	add_service(f, "db", "postgres:16");
	assert_order(f, "a b c\n");
	struct spec_stack *s = f->st;
	assert_int_equal(s->n_bases, 4);
	const char *want[][2] = {
		{"ubuntu:focal", "docker.io/library/ubuntu:focal"},
		{"busybox", "docker.io/library/busybox:latest"},
		{"localhost:5000/team/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		 "localhost:5000/team/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	};
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(s->bases[i + 1].name, want[i][0]);
		assert_string_equal(s->bases[i + 1].ref, want[i][1]);
		assert_true(s->bases[i + 1].implicit);
		assert_int_equal(s->bases[i + 1].kind, SPEC_BASE_PULL);
	}
	assert_false(s->bases[0].implicit);
	assert_int_equal(f->plan->nodes[1].froms[0].index, 1);
	assert_int_equal(f->plan->nodes[1].froms[1].index, 2);
}

static void test_malformed_refs(void **state)
{
	struct fixture *f = *state;
	add_file_image(f, "a", "# comment\nFROM Ubuntu:focal\n");
	add_file_image(f, "b", "FROM scratch\nCOPY --from=bad//name /x /y\n");
	add_file_image(f, "c", "ARG V\nFROM ${V}\n");
	add_file_image(f, "d", "FROM ${V:?required}\n");
	add_file_image(f, "e", "FROM ubuntu:foc@l\n");
	assert_int_equal(plan(f), -1);
	_cleanup_free_ char *want = xasprintf(
		"%1$s/a/Dockerfile:2: error: FROM: invalid image reference `Ubuntu:focal`: repository name must be lowercase\n"
		"  hint: name an earlier stage, `scratch`, an image or base of this stack, or a registry image such as `debian:bookworm`\n"
		"%1$s/b/Dockerfile:2: error: --from=bad//name is not a stage of this Dockerfile, and invalid image reference `bad//name`: `` is not a valid name component (lower-case letters and digits, separated by `.`, `_`, `__` or `-`)\n"
		"  hint: name a stage of this Dockerfile, an image or base of this stack, or a registry image\n"
		"%1$s/c/Dockerfile:2: error: FROM ${V}: the image name is empty after ARG substitution\n"
		"  hint: give the ARG a default before the first FROM, or set it in the image's `args:` in the stack file\n"
		"%1$s/d/Dockerfile:1: error: FROM ${V:?required}: V: required\n"
		"%1$s/e/Dockerfile:1: error: FROM: invalid image reference `ubuntu:foc@l`: bad digest `l` (expected sha256: and 64 hex digits)\n"
		"  hint: name an earlier stage, `scratch`, an image or base of this stack, or a registry image such as `debian:bookworm`\n",
		f->dir);
	assert_string_equal(f->text, want);
}

static void test_missing_dockerfile_and_target(void **state)
{
	struct fixture *f = *state;
	add_image(f, "gone", NULL);
	struct spec_image *t = add_image(f, "t", "FROM scratch AS a\nFROM scratch AS b\n");
	t->target = xstrdup("c");
	struct spec_image *u = add_image(f, "u", "FROM scratch\n");
	u->target = xstrdup("c");
	assert_int_equal(plan(f), -1);
	_cleanup_free_ char *want = xasprintf(
		"stack.yaml:11:3: error: image `gone`: cannot read Dockerfile `%1$s/gone/Dockerfile`: open `%1$s/gone/Dockerfile`: "
		"No such file or directory\n"
		"  hint: create it, or set `dockerfile:` (relative to the context `%1$s/gone`) or `dockerfile_inline:`\n"
		"stack.yaml:12:3: error: image `t`: target stage `c` is not in stack.yaml (images.t.dockerfile_inline)\n"
		"  hint: its stages are: a, b\n"
		"stack.yaml:13:3: error: image `u`: target stage `c` is not in stack.yaml (images.u.dockerfile_inline)\n"
		"  hint: the Dockerfile names no stages (FROM IMAGE AS NAME)\n",
		f->dir);
	assert_string_equal(f->text, want);
}

static void test_parse_errors_and_duplicate_stages(void **state)
{
	struct fixture *f = *state;
	add_image(f, "a", "RUN true\nFROM scratch\n");
	add_image(f, "b", "FROM scratch AS x\nFROM scratch AS X\n");
	add_image(f, "c", "FROM scratch\n");
	assert_int_equal(plan(f), -1);
	assert_non_null(strstr(f->text, "stack.yaml (images.a.dockerfile_inline):1: error: RUN before the first FROM\n"));
	assert_non_null(strstr(f->text, "stack.yaml (images.b.dockerfile_inline):2: error: duplicate stage name `X`\n"
					"  hint: line 1 already names a stage `x`; stage names are case-insensitive\n"));
	assert_null(strstr(f->text, "images.c"));
}

/* ---- cycles ---- */

static void test_cycle_of_one(void **state)
{
	struct fixture *f = *state;
	add_file_image(f, "a", "FROM scratch AS s\nFROM a:latest\n");
	assert_int_equal(plan(f), -1);
	_cleanup_free_ char *want = xasprintf(
		"%1$s/a/Dockerfile:2: error: image `a` builds from itself: a -> a\n"
		"  hint: an image cannot be built before the images it builds from; change one of these lines:\n"
		"    %1$s/a/Dockerfile:2: FROM a:latest\n",
		f->dir);
	assert_string_equal(f->text, want);
}

static void test_cycle_of_two(void **state)
{
	struct fixture *f = *state;
	add_file_image(f, "ok", "FROM scratch\n");
	add_file_image(f, "a", "FROM ok\nCOPY --from=b /x /x\n");
	add_file_image(f, "b", "ARG P=a\nFROM $P\n");
	add_file_image(f, "after", "FROM b\n"); /* depends on the cycle, is not on it */
	assert_int_equal(plan(f), -1);
	_cleanup_free_ char *want = xasprintf(
		"%1$s/a/Dockerfile:2: error: images build from each other in a cycle: a -> b -> a\n"
		"  hint: an image cannot be built before the images it builds from; change one of these lines:\n"
		"    %1$s/a/Dockerfile:2: COPY --from=b\n"
		"    %1$s/b/Dockerfile:2: FROM a\n",
		f->dir);
	assert_string_equal(f->text, want);
}

static void test_cycle_of_three(void **state)
{
	struct fixture *f = *state;
	add_file_image(f, "c", "FROM a\n");
	add_file_image(f, "a", "# the first\nFROM b\n");
	add_file_image(f, "b", "FROM scratch AS s\nFROM c\n");
	add_file_image(f, "x", "FROM y\n"); /* a second, separate cycle */
	add_file_image(f, "y", "FROM x\n");
	assert_int_equal(plan(f), -1);
	_cleanup_free_ char *want = xasprintf(
		"%1$s/c/Dockerfile:1: error: images build from each other in a cycle: c -> a -> b -> c\n"
		"  hint: an image cannot be built before the images it builds from; change one of these lines:\n"
		"    %1$s/c/Dockerfile:1: FROM a\n"
		"    %1$s/a/Dockerfile:2: FROM b\n"
		"    %1$s/b/Dockerfile:2: FROM c\n"
		"%1$s/x/Dockerfile:1: error: images build from each other in a cycle: x -> y -> x\n"
		"  hint: an image cannot be built before the images it builds from; change one of these lines:\n"
		"    %1$s/x/Dockerfile:1: FROM y\n"
		"    %1$s/y/Dockerfile:1: FROM x\n",
		f->dir);
	assert_string_equal(f->text, want);
}

static void test_cycle_shortest(void **state)
{
	struct fixture *f = *state;
	/* a reaches itself through b (a -> b -> a) and through c (a -> c -> d -> a):
	 * one strongly connected set, one message, the shorter cycle. */
	add_image(f, "a", "FROM c AS one\nFROM b\nCOPY --from=one /x /x\n");
	add_image(f, "b", "FROM a\n");
	add_image(f, "c", "FROM d\n");
	add_image(f, "d", "FROM a\n");
	assert_int_equal(plan(f), -1);
	const char *first = strstr(f->text, "error: images build from each other in a cycle: a -> b -> a\n");
	assert_non_null(first);
	assert_null(strstr(first + 1, "error: images build"));
}

/* ---- word expansion ---- */

static void test_expand(void **state)
{
	(void)state;
	struct spec_kvlist v = {0};
	spec_kvlist_set(&v, "A", "x");
	spec_kvlist_set(&v, "E", "");
	static const char *const cases[][2] = {
		{"$A", "x"}, {"${A}y", "xy"}, {"pre$A.post", "prex.post"},
		{"${A:-d}", "x"}, {"${E:-d}", "d"}, {"${E-d}", ""}, {"${U-d}", "d"},
		{"${A:+alt}", "alt"}, {"${E:+alt}", ""}, {"${E+alt}", "alt"}, {"${U+alt}", ""},
		{"${U:-${A}z}", "xz"}, {"'$A'", "$A"}, {"\"$A\"'s'", "xs"}, {"\\$A", "$A"},
		{"\"a\\\"b\"", "a\"b"}, {"$", "$"}, {"a$-b", "a$-b"}, {"$U", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = NULL, *err = NULL;
		assert_int_equal(build_expand_word(cases[i][0], '\\', &v, &out, &err), 0);
		if (strcmp(out, cases[i][1]))
			fail_msg("%s: got `%s`, want `%s`", cases[i][0], out, cases[i][1]);
		free(out);
	}
	char *out = NULL, *err = NULL;
	assert_int_equal(build_expand_word("`$A", '`', &v, &out, &err), 0);
	assert_string_equal(out, "$A");
	free(out);
	static const char *const bad[][2] = {
		{"${A", "missing `}` in `${A`"},
		{"${A%x}", "unsupported modifier `%` in substitution `${A%x}`"},
		{"'open", "unexpected end of statement while looking for matching single-quote"},
		{"${}", "bad substitution in `${}`"},
		{"${E:?}", "E: is not allowed to be unset"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(build_expand_word(bad[i][0], '\\', &v, &out, &err), -1);
		assert_null(out);
		assert_string_equal(err, bad[i][1]);
		free(err);
	}
	spec_kvlist_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diamond, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage_name_is_not_an_image_before_it_exists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arg_in_from, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_prunes_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_implicit_bases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dockerfile_and_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_errors_and_duplicate_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_of_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_of_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_of_three, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_shortest, setup, teardown),
		cmocka_unit_test(test_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
