/* A YAML document as a tree of nodes that remember where they came from.
 *
 * libyaml's event stream is turned into this tree once; everything after
 * (interpolation, merging of -f files, the typed model) walks it, so every
 * later error can point at FILE:LINE:COL.  Aliases and merge keys (<<) are
 * resolved while building the tree, within limits that stop alias bombs;
 * duplicate keys are errors, as the YAML spec and compose say. */
#ifndef STACK_SPEC_NODE_H
#define STACK_SPEC_NODE_H

#include "util/diag.h"

#include <stdbool.h>
#include <stddef.h>

enum spec_node_type { SPEC_NODE_SCALAR, SPEC_NODE_MAP, SPEC_NODE_SEQ };

/* Compose's merge tags (2.24+): `!reset` drops the value an earlier -f file
 * set, `!override` replaces it instead of merging. */
enum spec_node_tag { SPEC_TAG_NONE, SPEC_TAG_RESET, SPEC_TAG_OVERRIDE };

struct spec_node;

struct spec_pair {
	struct spec_node *key; /* always a SCALAR */
	struct spec_node *value;
};

struct spec_node {
	enum spec_node_type type;
	const char *file; /* shared by every node of a document (struct spec_doc.file) */
	int line, col;    /* 1-based */
	/* SCALAR */
	char *scalar;  /* UTF-8 text (after interpolation, once it has run) */
	bool quoted;   /* single/double-quoted or block scalar: never null/bool/number */
	/* MAP: pairs in file order; SEQ: items */
	struct spec_pair *pairs;
	size_t n_pairs, cap_pairs;
	struct spec_node **items;
	size_t n_items, cap_items;
	enum spec_node_tag tag; /* consumed by spec_node_merge / spec_node_apply_reset */
};

struct spec_doc {
	char *file;             /* the path as the user named it, for messages */
	struct spec_node *root; /* NULL for an empty document */
};

/* Limits against hostile input; exceeding one is a diagnostic, not a crash. */
#define SPEC_YAML_MAX_DEPTH 64
#define SPEC_YAML_MAX_NODES 200000 /* after alias expansion */
#define SPEC_YAML_MAX_BYTES (8u << 20)

/* Limit on the scalar bytes of a tree after alias expansion (a small file
 * aliasing one big string many times must not eat memory either). */
#define SPEC_YAML_MAX_EXPANDED_BYTES (64u << 20)

/* Parse one YAML document (a stream with several documents is an error). */
int spec_yaml_parse(const char *file, const char *text, size_t len, struct spec_doc **out, struct diag_list *diags);
void spec_doc_free(struct spec_doc *doc);
void spec_node_free(struct spec_node *n);
struct spec_node *spec_node_clone(const struct spec_node *n);

const struct spec_node *spec_map_get(const struct spec_node *map, const char *key);
/* An unquoted ~, null, Null, NULL or empty scalar. */
bool spec_node_is_null(const struct spec_node *n);
/* YAML 1.1/compose booleans: true/false/yes/no/on/off (any case) when unquoted;
 * returns false if n is not a boolean. */
bool spec_node_bool(const struct spec_node *n, bool *out);
const char *spec_node_type_name(const struct spec_node *n); /* "a string", "a mapping", ... */

/* Building trees (the parser, merge, tests). */
struct spec_node *spec_node_new(enum spec_node_type type, const char *file, int line, int col);
struct spec_node *spec_node_new_scalar(const char *file, int line, int col, const char *text, bool quoted);
void spec_map_add(struct spec_node *map, struct spec_node *key, struct spec_node *value); /* takes both */
void spec_seq_add(struct spec_node *seq, struct spec_node *item);                          /* takes item */
/* Remove the pair `key` from a mapping (freeing it); false if absent. */
bool spec_map_remove(struct spec_node *map, const char *key);

/* Merge `over` into `base` (both documents' roots) as compose merges -f files:
 * mappings recursively; sequences per the compose spec (ports, volumes,
 * secrets, ... appended and de-duplicated by target; command, entrypoint,
 * healthcheck.test replaced); scalars replaced.  `over` is consumed.
 * Nodes moved from `over` keep pointing at their document's `file`, so keep
 * that spec_doc's file alive (free the doc after the merged tree). */
int spec_node_merge(struct spec_node **base, struct spec_node *over, struct diag_list *diags);

/* Apply what is left of !reset / !override in one tree: values tagged !reset
 * are removed, !override tags cleared.  spec_node_merge does this for its
 * result; call it on a tree loaded from a single file.  Idempotent. */
void spec_node_apply_reset(struct spec_node **root);

#endif
