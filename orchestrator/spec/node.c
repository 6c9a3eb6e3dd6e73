/* The node tree: construction, lookup, copying, freeing and the YAML 1.1 /
 * compose readings of plain scalars (null, booleans) that the model needs. */
#include "spec/node.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

struct spec_node *spec_node_new(enum spec_node_type type, const char *file, int line, int col)
{
	struct spec_node *n = xzalloc(sizeof(*n));
	n->type = type;
	n->file = file;
	n->line = line;
	n->col = col;
	return n;
}

struct spec_node *spec_node_new_scalar(const char *file, int line, int col, const char *text, bool quoted)
{
	struct spec_node *n = spec_node_new(SPEC_NODE_SCALAR, file, line, col);
	n->scalar = xstrdup(text ? text : "");
	n->quoted = quoted;
	return n;
}

void spec_map_add(struct spec_node *map, struct spec_node *key, struct spec_node *value)
{
	map->pairs = xgrow(map->pairs, &map->cap_pairs, map->n_pairs + 1, sizeof(*map->pairs));
	map->pairs[map->n_pairs].key = key;
	map->pairs[map->n_pairs].value = value;
	map->n_pairs++;
}

void spec_seq_add(struct spec_node *seq, struct spec_node *item)
{
	seq->items = xgrow(seq->items, &seq->cap_items, seq->n_items + 1, sizeof(*seq->items));
	seq->items[seq->n_items++] = item;
}

void spec_node_free(struct spec_node *n)
{
	if (!n)
		return;
	free(n->scalar);
	for (size_t i = 0; i < n->n_pairs; i++) {
		spec_node_free(n->pairs[i].key);
		spec_node_free(n->pairs[i].value);
	}
	free(n->pairs);
	for (size_t i = 0; i < n->n_items; i++)
		spec_node_free(n->items[i]);
	free(n->items);
	free(n);
}

void spec_doc_free(struct spec_doc *doc)
{
	if (!doc)
		return;
	spec_node_free(doc->root);
	free(doc->file);
	free(doc);
}

struct spec_node *spec_node_clone(const struct spec_node *n)
{
	if (!n)
		return NULL;
	struct spec_node *c = spec_node_new(n->type, n->file, n->line, n->col);
	c->scalar = xstrdup(n->scalar);
	c->quoted = n->quoted;
	c->tag = n->tag;
	if (n->n_pairs) {
		c->pairs = xcalloc(n->n_pairs, sizeof(*c->pairs));
		c->cap_pairs = n->n_pairs;
		for (size_t i = 0; i < n->n_pairs; i++) {
			c->pairs[i].key = spec_node_clone(n->pairs[i].key);
			c->pairs[i].value = spec_node_clone(n->pairs[i].value);
		}
		c->n_pairs = n->n_pairs;
	}
	if (n->n_items) {
		c->items = xcalloc(n->n_items, sizeof(*c->items));
		c->cap_items = n->n_items;
		for (size_t i = 0; i < n->n_items; i++)
			c->items[i] = spec_node_clone(n->items[i]);
		c->n_items = n->n_items;
	}
	return c;
}

static ssize_t map_index(const struct spec_node *map, const char *key)
{
	if (!map || map->type != SPEC_NODE_MAP)
		return -1;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (strcmp(map->pairs[i].key->scalar, key) == 0)
			return (ssize_t)i;
	return -1;
}

const struct spec_node *spec_map_get(const struct spec_node *map, const char *key)
{
	ssize_t i = map_index(map, key);
	return i < 0 ? NULL : map->pairs[i].value;
}

bool spec_map_remove(struct spec_node *map, const char *key)
{
	ssize_t i = map_index(map, key);
	if (i < 0)
		return false;
	spec_node_free(map->pairs[i].key);
	spec_node_free(map->pairs[i].value);
	memmove(&map->pairs[i], &map->pairs[i + 1], (map->n_pairs - (size_t)i - 1) * sizeof(*map->pairs));
	map->n_pairs--;
	return true;
}

bool spec_node_is_null(const struct spec_node *n)
{
	if (!n)
		return true;
	if (n->type != SPEC_NODE_SCALAR || n->quoted)
		return false;
	const char *s = n->scalar;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

bool spec_node_bool(const struct spec_node *n, bool *out)
{
	/* YAML 1.1 also has y/n, but compose (yaml.v3) reads those as strings. */
	static const char *const truthy[] = {"true", "yes", "on"};
	static const char *const falsy[] = {"false", "no", "off"};
	if (!n || n->type != SPEC_NODE_SCALAR || n->quoted)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(truthy); i++)
		if (!strcasecmp(n->scalar, truthy[i])) {
			*out = true;
			return true;
		}
	for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
		if (!strcasecmp(n->scalar, falsy[i])) {
			*out = false;
			return true;
		}
	return false;
}

const char *spec_node_type_name(const struct spec_node *n)
{
	if (!n || spec_node_is_null(n))
		return "null";
	switch (n->type) {
	case SPEC_NODE_MAP:
		return "a mapping";
	case SPEC_NODE_SEQ:
		return "a list";
	case SPEC_NODE_SCALAR:
		break;
	}
	bool b;
	if (spec_node_bool(n, &b))
		return "a boolean";
	if (!n->quoted) {
		char *end = NULL;
		const char *s = n->scalar;
		strtod(s, &end);
		if (end && end != s && !*end)
			return "a number";
	}
	return "a string";
}
