/* libyaml's event stream → spec_node tree, keeping every node's line:col.
 *
 * We use the event parser rather than libyaml's document loader because the
 * loader keeps aliases as shared nodes with no limit on what they expand to,
 * accepts duplicate keys, and knows nothing of merge keys.  Here aliases are
 * deep copies counted against SPEC_YAML_MAX_NODES and
 * SPEC_YAML_MAX_EXPANDED_BYTES as they are made, so an alias bomb is refused
 * after a few thousand nodes of work, not after eating the machine. */
#include "spec/node.h"
#include "spec/units.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

struct anchor {
	char *name;
	struct spec_node *node; /* a private copy: the tree's own node may be merged away */
	size_t nodes, bytes;    /* what one expansion costs */
	int height;
	size_t next; /* hash chain: index + 1 of the previous anchor in this bucket, 0 = end */
};

struct parser {
	yaml_parser_t yp;
	const char *file;
	const unsigned char *text;
	size_t len;
	struct diag_list *diags;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	/* Anchors by name, so a file with many anchors and aliases stays linear. */
	size_t *buckets; /* index + 1 of the latest anchor in the bucket, 0 = empty */
	size_t n_buckets;
	size_t nodes, bytes;
	bool failed; /* an error was reported; keep going to find more */
	bool fatal;  /* stop: libyaml cannot go on, or a limit was hit */
};

/* ---- positions of libyaml errors ---- */

/* The byte at a libyaml mark (0-based line, column in characters), or -1. */
static int byte_at_mark(const struct parser *p, const yaml_mark_t *m)
{
	size_t i = 0, line = 0, col = 0;
	while (i < p->len && line < m->line)
		if (p->text[i++] == '\n')
			line++;
	while (i < p->len && col < m->column && p->text[i] != '\n') {
		i++;
		while (i < p->len && (p->text[i] & 0xc0) == 0x80)
			i++;
		col++;
	}
	return i < p->len ? p->text[i] : -1;
}

static const char *hint_for(const char *problem, int byte)
{
	if (byte == '\t' || strstr(problem, "tab"))
		return "YAML forbids tabs for indentation; use spaces";
	if (strstr(problem, "mapping values are not allowed"))
		return "a `key: value` cannot follow a value on the same line; start a new line, or quote a value that contains `: `";
	if (strstr(problem, "did not find expected key") || strstr(problem, "did not find expected '-'"))
		return "check this line's indentation against the lines above it";
	if (strstr(problem, "found undefined tag handle"))
		return "tags look like !!str, !reset or !override";
	if (strstr(problem, "found character that cannot start any token")) {
		if (byte == '@' || byte == '`')
			return "`@` and ``` cannot start a plain value; quote it";
		if (byte == '%')
			return "`%` cannot start a plain value here; quote it";
	}
	return NULL;
}

static void report_libyaml_error(struct parser *p)
{
	yaml_parser_t *yp = &p->yp;
	const char *problem = yp->problem ? yp->problem : "unknown YAML error";
	struct diag *d;
	int line, col;

	p->failed = p->fatal = true;
	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		diag_add(p->diags, p->file, 0, 0, "out of memory while parsing YAML");
		return;
	case YAML_READER_ERROR: {
		size_t off = yp->problem_offset;
		/* For a bad continuation byte libyaml names the byte after the
		 * character's start; point at the character the user sees. */
		if (strstr(problem, "trailing") && off <= p->len) {
			for (size_t j = off; j > 0 && off - j < 4;) {
				unsigned char c = p->text[--j];
				if (c >= 0xc0) {
					off = j;
					break;
				}
				if ((c & 0xc0) != 0x80)
					break;
			}
		}
		/* Reader errors (bad UTF-8, control characters) come with a byte
		 * offset and no mark; count lines and characters to get one. */
		diag_text_pos((const char *)p->text, p->len, off, false, &line, &col);
		unsigned char b = off < p->len ? p->text[off] : 0;
		if (strstr(problem, "control characters") && b == 0) {
			d = diag_add(p->diags, p->file, line, col, "NUL byte in the file");
			diag_hint(d, "a stack file is UTF-8 text; is this a binary file?");
		} else if (strstr(problem, "control characters")) {
			d = diag_add(p->diags, p->file, line, col, "control character 0x%02x is not allowed", b);
			diag_hint(d, "remove it; write it as an escape in a double-quoted string if it is needed");
		} else if (strstr(problem, "UTF-8") || strstr(problem, "UTF-16")) {
			d = diag_add(p->diags, p->file, line, col, "invalid UTF-8 (%s, byte 0x%02x)", problem, b);
			diag_hint(d, "save the file as UTF-8");
		} else {
			diag_add(p->diags, p->file, line, col, "%s", problem);
		}
		return;
	}
	default:
		break;
	}
	line = (int)yp->problem_mark.line + 1;
	col = (int)yp->problem_mark.column + 1;
	int byte = byte_at_mark(p, &yp->problem_mark);
	if (yp->context && (yp->context_mark.line != yp->problem_mark.line ||
			    yp->context_mark.column != yp->problem_mark.column))
		d = diag_add(p->diags, p->file, line, col, "%s (%s started at %d:%d)", problem, yp->context,
			     (int)yp->context_mark.line + 1, (int)yp->context_mark.column + 1);
	else if (yp->context)
		d = diag_add(p->diags, p->file, line, col, "%s (%s)", problem, yp->context);
	else
		d = diag_add(p->diags, p->file, line, col, "%s", problem);
	const char *h = hint_for(problem, byte);
	if (h)
		diag_hint(d, "%s", h);
}

static int next_event(struct parser *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->yp, ev)) {
		report_libyaml_error(p);
		return -1;
	}
	return 0;
}

static struct diag *error_at(struct parser *p, const yaml_mark_t *m, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct diag *error_at(struct parser *p, const yaml_mark_t *m, bool fatal, const char *fmt, ...)
{
	p->failed = true;
	p->fatal |= fatal;
	va_list ap;
	va_start(ap, fmt);
	struct diag *d = diag_vadd(p->diags, p->file, (int)m->line + 1, (int)m->column + 1, fmt, ap);
	va_end(ap);
	return d;
}

/* ---- limits ---- */

static bool charge(struct parser *p, const yaml_mark_t *m, size_t nodes, size_t bytes)
{
	if (p->nodes + nodes > SPEC_YAML_MAX_NODES) {
		struct diag *d = error_at(p, m, true, "the document expands to more than %d nodes", SPEC_YAML_MAX_NODES);
		diag_hint(d, "aliases (*name) are copied where they are used; a chain of aliases of aliases grows exponentially");
		return false;
	}
	if (p->bytes + bytes > SPEC_YAML_MAX_EXPANDED_BYTES) {
		struct diag *d = error_at(p, m, true, "the document's strings expand to more than %u MiB",
					  SPEC_YAML_MAX_EXPANDED_BYTES >> 20);
		diag_hint(d, "aliases (*name) are copied where they are used; avoid aliasing large strings many times");
		return false;
	}
	p->nodes += nodes;
	p->bytes += bytes;
	return true;
}

static bool check_depth(struct parser *p, const yaml_mark_t *m, int level)
{
	if (level <= SPEC_YAML_MAX_DEPTH)
		return true;
	error_at(p, m, true, "nesting is deeper than %d levels", SPEC_YAML_MAX_DEPTH);
	return false;
}

/* ---- tags ---- */

static char *tag_display(const char *tag)
{
	if (!strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)))
		return xasprintf("!!%s", tag + strlen(TAG_PREFIX));
	return xstrdup(tag);
}

/* Applies a tag to a node; false (and an error) for tags we do not know.
 * We refuse rather than ignore them: a tag the user wrote means something to
 * them, and silently reading `!!binary` data as text would be wrong. */
static bool apply_tag(struct parser *p, struct spec_node *n, const char *tag, const yaml_mark_t *m)
{
	if (!tag || !strcmp(tag, "!"))
		return true;
	if (!strcmp(tag, "!reset")) {
		n->tag = SPEC_TAG_RESET;
		return true;
	}
	if (!strcmp(tag, "!override")) {
		n->tag = SPEC_TAG_OVERRIDE;
		return true;
	}
	if (!strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX))) {
		const char *t = tag + strlen(TAG_PREFIX);
		if (n->type == SPEC_NODE_SCALAR && !strcmp(t, "str")) {
			n->quoted = true;
			return true;
		}
		if (n->type == SPEC_NODE_SCALAR &&
		    (!strcmp(t, "int") || !strcmp(t, "float") || !strcmp(t, "bool") || !strcmp(t, "null"))) {
			n->quoted = false;
			return true;
		}
		if ((n->type == SPEC_NODE_MAP && !strcmp(t, "map")) || (n->type == SPEC_NODE_SEQ && !strcmp(t, "seq")))
			return true;
	}
	_cleanup_free_ char *shown = tag_display(tag);
	struct diag *d = error_at(p, m, false, "unsupported tag `%s`", shown);
	diag_hint(d, "stack understands !!str, !!int, !!float, !!bool, !!null, !!map, !!seq, !reset and !override");
	return false;
}

/* ---- anchors ---- */

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void rehash(struct parser *p)
{
	free(p->buckets);
	p->n_buckets = p->n_buckets ? p->n_buckets * 2 : 64;
	p->buckets = xcalloc(p->n_buckets, sizeof(*p->buckets));
	/* In definition order, so each chain still runs from the latest back. */
	for (size_t i = 0; i < p->n_anchors; i++) {
		size_t b = name_hash(p->anchors[i].name) & (p->n_buckets - 1);
		p->anchors[i].next = p->buckets[b];
		p->buckets[b] = i + 1;
	}
}

static void anchor_add(struct parser *p, const char *name, const struct spec_node *n, size_t nodes, size_t bytes,
		       int height)
{
	p->anchors = xgrow(p->anchors, &p->cap_anchors, p->n_anchors + 1, sizeof(*p->anchors));
	struct anchor *a = &p->anchors[p->n_anchors++];
	a->name = xstrdup(name);
	a->node = spec_node_clone(n);
	a->nodes = nodes;
	a->bytes = bytes;
	a->height = height;
	if (p->n_anchors * 2 > p->n_buckets) {
		rehash(p);
		return;
	}
	size_t b = name_hash(name) & (p->n_buckets - 1);
	a->next = p->buckets[b];
	p->buckets[b] = p->n_anchors;
}

static const struct anchor *anchor_find(const struct parser *p, const char *name)
{
	if (!p->n_buckets)
		return NULL;
	/* YAML lets an anchor be redefined; an alias refers to the latest one,
	 * which is the first in its chain. */
	for (size_t i = p->buckets[name_hash(name) & (p->n_buckets - 1)]; i; i = p->anchors[i - 1].next)
		if (!strcmp(p->anchors[i - 1].name, name))
			return &p->anchors[i - 1];
	return NULL;
}

/* ---- mappings: merge keys and duplicates ---- */

struct entry {
	struct spec_node *key, *value;
	size_t prio;  /* 0: written in this mapping; k+1: from the k-th merged mapping */
	size_t order; /* position in the resulting mapping */
	bool drop;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static void entries_push(struct entries *e, struct spec_node *key, struct spec_node *value, size_t prio)
{
	e->v = xgrow(e->v, &e->cap, e->n + 1, sizeof(*e->v));
	e->v[e->n] = (struct entry){.key = key, .value = value, .prio = prio, .order = e->n};
	e->n++;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	int c = strcmp(x->key->scalar, y->key->scalar);
	if (c)
		return c;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

static bool is_merge_key(const struct spec_node *k)
{
	return k->type == SPEC_NODE_SCALAR && !k->quoted && !strcmp(k->scalar, "<<");
}

/* Moves the pairs of a `<<` value into the entries; YAML 1.1: explicit keys
 * win over merged ones, and of the merged mappings the earlier wins (lower prio). */
static void expand_merge(struct parser *p, struct entries *e, struct spec_node *value, size_t *next_prio)
{
	struct spec_node **maps = &value;
	size_t n = 1;
	if (value->type == SPEC_NODE_SEQ) {
		maps = value->items;
		n = value->n_items;
	}
	for (size_t i = 0; i < n; i++) {
		struct spec_node *m = maps[i];
		if (m->type != SPEC_NODE_MAP) {
			p->failed = true;
			struct diag *d = diag_add(p->diags, p->file, m->line, m->col,
						  "the merge key `<<` takes a mapping or a list of mappings, not %s",
						  spec_node_type_name(m));
			diag_hint(d, "write `<<: *name` or `<<: [*a, *b]` with anchors of mappings");
			continue;
		}
		size_t prio = (*next_prio)++;
		for (size_t j = 0; j < m->n_pairs; j++) {
			entries_push(e, m->pairs[j].key, m->pairs[j].value, prio);
			m->pairs[j].key = m->pairs[j].value = NULL;
		}
		m->n_pairs = 0;
	}
	spec_node_free(value);
}

static void finish_mapping(struct parser *p, struct spec_node *map, struct entries *e)
{
	struct entry **sorted = xcalloc(e->n, sizeof(*sorted));
	for (size_t i = 0; i < e->n; i++)
		sorted[i] = &e->v[i];
	qsort(sorted, e->n, sizeof(*sorted), entry_cmp);
	for (size_t i = 0; i < e->n;) {
		size_t j = i + 1;
		while (j < e->n && !strcmp(sorted[j]->key->scalar, sorted[i]->key->scalar)) {
			struct entry *dup = sorted[j];
			dup->drop = true;
			if (dup->prio == 0) {
				/* Both written here (a merged one would sort after): an error. */
				p->failed = true;
				diag_add(p->diags, p->file, dup->key->line, dup->key->col,
					 "duplicate key `%s` (first at %d:%d)", dup->key->scalar, sorted[i]->key->line,
					 sorted[i]->key->col);
			}
			j++;
		}
		i = j;
	}
	free(sorted);
	for (size_t i = 0; i < e->n; i++) {
		if (e->v[i].drop) {
			spec_node_free(e->v[i].key);
			spec_node_free(e->v[i].value);
		} else {
			spec_map_add(map, e->v[i].key, e->v[i].value);
		}
	}
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

/* ---- the tree ---- */

static struct spec_node *parse_node(struct parser *p, yaml_event_t *ev, int depth, int *height);

static struct spec_node *parse_sequence(struct parser *p, struct spec_node *seq, int depth, int *height)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(p, &ev) < 0)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return seq;
		}
		int h = 0;
		struct spec_node *item = parse_node(p, &ev, depth + 1, &h);
		if (p->fatal) {
			spec_node_free(item);
			break;
		}
		if (item) {
			spec_seq_add(seq, item);
			if (h + 1 > *height)
				*height = h + 1;
		}
	}
	spec_node_free(seq);
	return NULL;
}

static struct spec_node *parse_mapping(struct parser *p, struct spec_node *map, int depth, int *height)
{
	struct entries e = {0};
	size_t next_prio = 1;
	bool merged = false;
	for (;;) {
		yaml_event_t ev;
		if (next_event(p, &ev) < 0)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			finish_mapping(p, map, &e);
			return map;
		}
		int hk = 0, hv = 0;
		struct spec_node *key = parse_node(p, &ev, depth + 1, &hk);
		if (p->fatal) {
			spec_node_free(key);
			break;
		}
		if (next_event(p, &ev) < 0) {
			spec_node_free(key);
			break;
		}
		struct spec_node *value = parse_node(p, &ev, depth + 1, &hv);
		if (p->fatal) {
			spec_node_free(key);
			spec_node_free(value);
			break;
		}
		if (hv + 1 > *height)
			*height = hv + 1;
		if (key && key->type != SPEC_NODE_SCALAR) {
			p->failed = true;
			struct diag *d = diag_add(p->diags, p->file, key->line, key->col,
						  "a mapping key must be a string, not %s", spec_node_type_name(key));
			diag_hint(d, "quote the key if it is meant as text");
			spec_node_free(key);
			key = NULL;
		}
		if (!key || !value) {
			spec_node_free(key);
			spec_node_free(value);
			continue;
		}
		if (is_merge_key(key)) {
			if (merged) {
				p->failed = true;
				diag_add(p->diags, p->file, key->line, key->col, "duplicate merge key `<<`");
				spec_node_free(value);
			} else {
				expand_merge(p, &e, value, &next_prio);
			}
			merged = true;
			spec_node_free(key);
			continue;
		}
		entries_push(&e, key, value, 0);
	}
	for (size_t i = 0; i < e.n; i++) {
		spec_node_free(e.v[i].key);
		spec_node_free(e.v[i].value);
	}
	free(e.v);
	spec_node_free(map);
	return NULL;
}

/* Builds the node that starts with *ev (which is consumed).  Returns NULL on
 * error; p->fatal says whether the caller must stop. */
static struct spec_node *parse_node(struct parser *p, yaml_event_t *ev, int depth, int *height)
{
	struct spec_node *n = NULL;
	const yaml_mark_t m = ev->start_mark;
	const char *anchor = NULL, *tag = NULL;
	size_t nodes0 = p->nodes, bytes0 = p->bytes;
	int line = (int)m.line + 1, col = (int)m.column + 1;

	*height = 0;
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		const struct anchor *a = anchor_find(p, name);
		if (!a) {
			struct diag *d = error_at(p, &m, false, "unknown alias `*%s`", name);
			/* A suggestion costs a scan of the anchors: only for files of a sane size. */
			size_t n_names = p->n_anchors <= 1000 ? p->n_anchors : 0;
			const char **names = xcalloc(n_names, sizeof(*names));
			for (size_t i = 0; i < n_names; i++)
				names[i] = p->anchors[i].name;
			const char *guess = spec_suggest(name, names, n_names);
			if (guess)
				diag_hint(d, "did you mean `*%s`?", guess);
			else
				diag_hint(d, "define the anchor `&%s` before this line (an anchor cannot be used inside itself)",
					  name);
			free(names);
			break;
		}
		if (!check_depth(p, &m, depth + a->height) || !charge(p, &m, a->nodes, a->bytes))
			break;
		n = spec_node_clone(a->node);
		/* The copy's own position is the alias, so "expected a list" points
		 * where it was used; its contents point where they were written. */
		n->line = line;
		n->col = col;
		*height = a->height;
		break;
	}
	case YAML_SCALAR_EVENT: {
		anchor = (const char *)ev->data.scalar.anchor;
		tag = (const char *)ev->data.scalar.tag;
		size_t len = ev->data.scalar.length;
		if (!charge(p, &m, 1, len))
			break;
		yaml_scalar_style_t st = ev->data.scalar.style;
		n = spec_node_new_scalar(p->file, line, col, (const char *)ev->data.scalar.value,
					 st != YAML_PLAIN_SCALAR_STYLE && st != YAML_ANY_SCALAR_STYLE);
		if (strlen(n->scalar) != len) {
			error_at(p, &m, false, "string contains a NUL character (\\0)");
			spec_node_free(n);
			n = NULL;
			break;
		}
		if (!apply_tag(p, n, tag, &m)) {
			spec_node_free(n);
			n = NULL;
		}
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool is_map = ev->type == YAML_MAPPING_START_EVENT;
		anchor = (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
		tag = (const char *)(is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
		if (!check_depth(p, &m, depth + 1) || !charge(p, &m, 1, 0))
			break;
		n = spec_node_new(is_map ? SPEC_NODE_MAP : SPEC_NODE_SEQ, p->file, line, col);
		/* On a bad tag, keep parsing the contents (they may hold more errors), drop it after. */
		bool bad_tag = !apply_tag(p, n, tag, &m);
		*height = 1;
		n = is_map ? parse_mapping(p, n, depth, height) : parse_sequence(p, n, depth, height);
		if (n && bad_tag) {
			spec_node_free(n);
			n = NULL;
		}
		break;
	}
	default: {
		/* Stream/document events cannot appear inside a document. */
		error_at(p, &m, true, "unexpected YAML event");
		break;
	}
	}
	if (n && anchor && !p->fatal)
		anchor_add(p, anchor, n, p->nodes - nodes0, p->bytes - bytes0, *height);
	yaml_event_delete(ev);
	return n;
}

static void parse_stream(struct parser *p, struct spec_doc *doc)
{
	yaml_event_t ev;
	int docs = 0;
	if (next_event(p, &ev) < 0)
		return;
	yaml_event_delete(&ev); /* STREAM_START */
	for (;;) {
		if (next_event(p, &ev) < 0)
			return;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return;
		}
		if (ev.type != YAML_DOCUMENT_START_EVENT) {
			error_at(p, &ev.start_mark, true, "unexpected YAML event");
			yaml_event_delete(&ev);
			return;
		}
		if (docs++ > 0) {
			struct diag *d = error_at(p, &ev.start_mark, true, "a stack file holds one YAML document; this is a second one");
			diag_hint(d, "remove the `---` line, or split the file and pass each part with -f");
			yaml_event_delete(&ev);
			return;
		}
		yaml_event_delete(&ev);
		if (next_event(p, &ev) < 0)
			return;
		int h = 0;
		struct spec_node *root = parse_node(p, &ev, 0, &h);
		if (p->fatal) {
			spec_node_free(root);
			return;
		}
		/* A document that is only `---` (and comments) is as empty as an empty file. */
		if (root && root->type == SPEC_NODE_SCALAR && !root->quoted && !*root->scalar &&
		    root->tag == SPEC_TAG_NONE) {
			spec_node_free(root);
			root = NULL;
		}
		doc->root = root;
		if (next_event(p, &ev) < 0)
			return;
		yaml_event_delete(&ev); /* DOCUMENT_END */
	}
}

int spec_yaml_parse(const char *file, const char *text, size_t len, struct spec_doc **out, struct diag_list *diags)
{
	*out = NULL;
	if (len > SPEC_YAML_MAX_BYTES) {
		struct diag *d = diag_add(diags, file, 0, 0, "file is too large (%zu bytes; the limit is %u MiB)", len,
					  SPEC_YAML_MAX_BYTES >> 20);
		diag_hint(d, "is this the right file?");
		return -1;
	}
	if (!text) {
		text = "";
		len = 0;
	}
	struct spec_doc *doc = xzalloc(sizeof(*doc));
	doc->file = xstrdup(file ? file : "<input>");
	struct parser p = {
		.file = doc->file,
		.text = (const unsigned char *)text,
		.len = len,
		.diags = diags,
	};
	if (!yaml_parser_initialize(&p.yp)) {
		diag_add(diags, file, 0, 0, "out of memory while parsing YAML");
		spec_doc_free(doc);
		return -1;
	}
	yaml_parser_set_input_string(&p.yp, p.text, len);
	parse_stream(&p, doc);
	yaml_parser_delete(&p.yp);
	for (size_t i = 0; i < p.n_anchors; i++) {
		free(p.anchors[i].name);
		spec_node_free(p.anchors[i].node);
	}
	free(p.anchors);
	free(p.buckets);
	if (p.failed) {
		spec_doc_free(doc);
		return -1;
	}
	*out = doc;
	return 0;
}
