/* Merging the trees of several -f files, as docker compose does.
 *
 * Mappings merge key by key; scalars and mismatched types: the later file
 * wins; sequences are appended.  Exceptions follow compose (compose-go's
 * override package, which implements the spec's merge.md):
 *   - command, entrypoint, healthcheck.test: replaced, not appended;
 *   - environment, labels, extra_hosts, build.args, sysctls, ...: merged as
 *     maps by key, whichever of the list ("K=V") or map form each file uses;
 *   - ports (by full value), volumes and devices (by container path),
 *     secrets/configs (by target), cap_add, dns, profiles, ... (by value):
 *     an entry of the later file replaces an equal one, others are appended;
 *   - depends_on / networks: list and map forms mix;
 *   - build: a string is `{context: STRING}`;
 *   - x-* extension keys: replaced whole;
 *   - `!reset` removes the earlier value, `!override` replaces it whole.
 * The winning node keeps its position, so errors point to the file that set it. */
#include "spec/node.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#define MERGE_MAX_PATH 8 /* deeper than any rule below */

enum rule {
	RULE_DEFAULT,
	RULE_REPLACE,
	RULE_KV,         /* list or map of key/value: merged as a map */
	RULE_KV_HOSTS,   /* the same, list items "host:ip" or "host=ip" */
	RULE_BY_VALUE,   /* unique entries */
	RULE_PORTS,      /* unique by the whole mapping */
	RULE_VOLUMES,    /* unique by container path */
	RULE_DEVICES,    /* unique by container path (HOST[:CONTAINER][:PERMS]) */
	RULE_SECRETS,    /* unique by target (/run/secrets/NAME by default) */
	RULE_CONFIGS,    /* unique by target (/NAME by default) */
	RULE_ENV_FILE,   /* unique by path */
	RULE_DEPENDS_ON, /* list or map of services */
	RULE_NETWORKS,   /* list or map of networks */
	RULE_BUILD,      /* string or mapping */
	RULE_LOGGING,    /* a different driver drops the old options */
};

static const struct {
	const char *pattern;
	enum rule rule;
} rules[] = {
	{"services.*.command", RULE_REPLACE},
	{"services.*.entrypoint", RULE_REPLACE},
	{"services.*.healthcheck.test", RULE_REPLACE},
	{"services.*.environment", RULE_KV},
	{"services.*.labels", RULE_KV},
	{"services.*.annotations", RULE_KV},
	{"services.*.sysctls", RULE_KV},
	{"services.*.deploy.labels", RULE_KV},
	{"services.*.build.args", RULE_KV},
	{"services.*.build.labels", RULE_KV},
	{"services.*.build.additional_contexts", RULE_KV},
	{"services.*.extra_hosts", RULE_KV_HOSTS},
	{"services.*.build.extra_hosts", RULE_KV_HOSTS},
	{"images.*.args", RULE_KV},
	{"images.*.labels", RULE_KV},
	{"networks.*.labels", RULE_KV},
	{"volumes.*.labels", RULE_KV},
	{"secrets.*.labels", RULE_KV},
	{"services.*.ports", RULE_PORTS},
	{"services.*.volumes", RULE_VOLUMES},
	{"services.*.devices", RULE_DEVICES},
	{"services.*.secrets", RULE_SECRETS},
	{"services.*.configs", RULE_CONFIGS},
	{"services.*.env_file", RULE_ENV_FILE},
	{"services.*.cap_add", RULE_BY_VALUE},
	{"services.*.cap_drop", RULE_BY_VALUE},
	{"services.*.dns", RULE_BY_VALUE},
	{"services.*.dns_opt", RULE_BY_VALUE},
	{"services.*.dns_search", RULE_BY_VALUE},
	{"services.*.expose", RULE_BY_VALUE},
	{"services.*.links", RULE_BY_VALUE},
	{"services.*.profiles", RULE_BY_VALUE},
	{"services.*.tmpfs", RULE_BY_VALUE},
	{"services.*.security_opt", RULE_BY_VALUE},
	{"services.*.networks.*.aliases", RULE_BY_VALUE},
	{"services.*.depends_on", RULE_DEPENDS_ON},
	{"services.*.networks", RULE_NETWORKS},
	{"services.*.build", RULE_BUILD},
	{"services.*.logging", RULE_LOGGING},
};

struct merger {
	const char *path[MERGE_MAX_PATH];
	size_t depth; /* may exceed MERGE_MAX_PATH; then no rule matches */
};

static bool pattern_matches(const struct merger *m, const char *pattern)
{
	size_t i = 0;
	const char *p = pattern;
	while (*p) {
		if (i >= m->depth || i >= MERGE_MAX_PATH)
			return false;
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!(len == 1 && *p == '*') && (strlen(m->path[i]) != len || strncmp(m->path[i], p, len)))
			return false;
		i++;
		p += len;
		if (*p == '.')
			p++;
	}
	return i == m->depth;
}

static enum rule rule_for(const struct merger *m)
{
	if (m->depth > MERGE_MAX_PATH)
		return RULE_DEFAULT;
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (pattern_matches(m, rules[i].pattern))
			return rules[i].rule;
	return RULE_DEFAULT;
}

static struct spec_node *merge(struct merger *m, struct spec_node *base, struct spec_node *over);
static struct spec_node *merge_generic(struct merger *m, struct spec_node *base, struct spec_node *over);

/* ---- key/value lists as maps ---- */

/* The empty mapping a list of strings turns into, at the list's position
 * and with its tag; NULL if an item is not a string (such a list is merged
 * as a list, and its errors are the loader's to report). */
static struct spec_node *map_for_string_list(const struct spec_node *seq)
{
	for (size_t i = 0; i < seq->n_items; i++)
		if (seq->items[i]->type != SPEC_NODE_SCALAR)
			return NULL;
	struct spec_node *map = spec_node_new(SPEC_NODE_MAP, seq->file, seq->line, seq->col);
	map->tag = seq->tag;
	return map;
}

/* A list of "K=V" (or "host:ip") strings → a mapping.  NULL (and the list
 * untouched) if an item is not a string. */
static struct spec_node *kv_list_to_map(struct spec_node *seq, bool hosts)
{
	struct spec_node *map = map_for_string_list(seq);
	if (!map)
		return NULL;
	for (size_t i = 0; i < seq->n_items; i++) {
		struct spec_node *it = seq->items[i];
		const char *s = it->scalar;
		const char *sep = strchr(s, '=');
		if (!sep && hosts)
			sep = strchr(s, ':');
		_cleanup_free_ char *k = xstrndup(s, sep ? (size_t)(sep - s) : strlen(s));
		struct spec_node *key = spec_node_new_scalar(it->file, it->line, it->col, k, true);
		struct spec_node *val;
		if (sep)
			/* The value of "K=V" is text, never a number or boolean. */
			val = spec_node_new_scalar(it->file, it->line, it->col + (int)(sep - s) + 1, sep + 1, true);
		else
			val = spec_node_new_scalar(it->file, it->line, it->col, "", false); /* "K": no value */
		spec_map_remove(map, k); /* a key repeated within one list: the last wins */
		spec_map_add(map, key, val);
	}
	spec_node_free(seq);
	return map;
}

static struct spec_node *as_kv_map(struct spec_node *n, bool hosts)
{
	if (n->type == SPEC_NODE_SEQ) {
		struct spec_node *map = kv_list_to_map(n, hosts);
		return map ? map : n;
	}
	return n;
}

static struct spec_node *merge_kv(struct spec_node *base, struct spec_node *over, bool hosts)
{
	base = as_kv_map(base, hosts);
	over = as_kv_map(over, hosts);
	if (base->type != SPEC_NODE_MAP || over->type != SPEC_NODE_MAP) {
		spec_node_free(base);
		return over;
	}
	for (size_t i = 0; i < over->n_pairs; i++) {
		struct spec_pair *op = &over->pairs[i];
		spec_map_remove(base, op->key->scalar);
		if (op->value && op->value->tag == SPEC_TAG_RESET) {
			spec_node_free(op->key);
			spec_node_free(op->value);
		} else {
			spec_map_add(base, op->key, op->value);
		}
		op->key = op->value = NULL;
	}
	over->n_pairs = 0;
	spec_node_free(over);
	return base;
}

/* ---- sequences of unique entries ---- */

static const char *map_str(const struct spec_node *map, const char *key)
{
	const struct spec_node *v = spec_map_get(map, key);
	return v && v->type == SPEC_NODE_SCALAR ? v->scalar : NULL;
}

/* The identity of an entry; NULL: no identity (always appended). */
static char *entry_key(enum rule rule, const struct spec_node *n)
{
	if (n->type == SPEC_NODE_SCALAR) {
		const char *s = n->scalar;
		switch (rule) {
		case RULE_VOLUMES: {
			/* SRC:DST[:MODE] or just DST (anonymous volume). */
			const char *c = strchr(s, ':');
			if (!c)
				return xstrdup(s);
			const char *e = strchr(c + 1, ':');
			return xstrndup(c + 1, e ? (size_t)(e - c - 1) : strlen(c + 1));
		}
		case RULE_DEVICES: {
			/* HOST alone is also the container path; HOST:PERMS
			 * (all of r, w, m) too, as docker's --device reads it. */
			const char *c = strchr(s, ':');
			if (!c)
				return xstrdup(s);
			const char *e = strchr(c + 1, ':');
			size_t len = e ? (size_t)(e - c - 1) : strlen(c + 1);
			if (!e && len > 0 && strspn(c + 1, "rwm") == len)
				return xstrndup(s, (size_t)(c - s));
			return xstrndup(c + 1, len);
		}
		case RULE_SECRETS:
			return xasprintf("/run/secrets/%s", s);
		case RULE_CONFIGS:
			return xasprintf("/%s", s);
		default:
			return xstrdup(s);
		}
	}
	if (n->type != SPEC_NODE_MAP)
		return NULL;
	const char *target = map_str(n, "target"), *source = map_str(n, "source");
	switch (rule) {
	case RULE_VOLUMES:
		return target ? xstrdup(target) : NULL;
	case RULE_DEVICES:
		return target ? xstrdup(target) : source ? xstrdup(source) : NULL;
	case RULE_SECRETS:
		if (target)
			return target[0] == '/' ? xstrdup(target) : xasprintf("/run/secrets/%s", target);
		return source ? xasprintf("/run/secrets/%s", source) : NULL;
	case RULE_CONFIGS:
		if (target)
			return xstrdup(target);
		return source ? xasprintf("/%s", source) : NULL;
	case RULE_ENV_FILE:
		return map_str(n, "path") ? xstrdup(map_str(n, "path")) : NULL;
	case RULE_PORTS: {
		const char *ip = map_str(n, "host_ip"), *pub = map_str(n, "published"), *proto = map_str(n, "protocol");
		return xasprintf("%s:%s:%s/%s", ip ? ip : "", pub ? pub : "", target ? target : "",
				 proto ? proto : "tcp");
	}
	default:
		return NULL;
	}
}

/* `dns: 1.1.1.1` is the list [1.1.1.1] (compose accepts both for these). */
static struct spec_node *as_list(struct spec_node *n)
{
	if (n->type != SPEC_NODE_SCALAR || spec_node_is_null(n))
		return n;
	struct spec_node *seq = spec_node_new(SPEC_NODE_SEQ, n->file, n->line, n->col);
	seq->tag = n->tag;
	n->tag = SPEC_TAG_NONE;
	spec_seq_add(seq, n);
	return seq;
}

static struct spec_node *merge_unique(enum rule rule, struct spec_node *base, struct spec_node *over)
{
	if (rule == RULE_BY_VALUE || rule == RULE_ENV_FILE) {
		base = as_list(base);
		over = as_list(over);
	}
	if (base->type != SPEC_NODE_SEQ || over->type != SPEC_NODE_SEQ) {
		spec_node_free(base);
		return over;
	}
	char **keys = xcalloc(base->n_items + over->n_items, sizeof(*keys));
	size_t nb = base->n_items;
	for (size_t i = 0; i < nb; i++)
		keys[i] = entry_key(rule, base->items[i]);
	for (size_t i = 0; i < over->n_items; i++) {
		struct spec_node *it = over->items[i];
		over->items[i] = NULL;
		char *k = entry_key(rule, it);
		size_t j = 0;
		while (k && j < base->n_items && !(keys[j] && !strcmp(keys[j], k)))
			j++;
		if (k && j < base->n_items) {
			spec_node_free(base->items[j]);
			base->items[j] = it;
			free(k);
		} else {
			keys[base->n_items] = k;
			spec_seq_add(base, it);
		}
	}
	for (size_t i = 0; i < base->n_items; i++)
		free(keys[i]);
	free(keys);
	over->n_items = 0;
	spec_node_free(over);
	return base;
}

/* ---- list-or-map sections ---- */

/* depends_on: [a, b] → {a: {condition: service_started}, b: ...};
 * networks: [a, b] → {a: null, b: null}. */
static struct spec_node *name_list_to_map(struct spec_node *seq, bool depends)
{
	struct spec_node *map = map_for_string_list(seq);
	if (!map)
		return seq;
	for (size_t i = 0; i < seq->n_items; i++) {
		struct spec_node *it = seq->items[i];
		struct spec_node *val;
		if (depends) {
			val = spec_node_new(SPEC_NODE_MAP, it->file, it->line, it->col);
			spec_map_add(val, spec_node_new_scalar(it->file, it->line, it->col, "condition", false),
				     spec_node_new_scalar(it->file, it->line, it->col, "service_started", false));
		} else {
			val = spec_node_new_scalar(it->file, it->line, it->col, "", false);
		}
		spec_map_remove(map, it->scalar);
		spec_map_add(map, spec_node_new_scalar(it->file, it->line, it->col, it->scalar, it->quoted), val);
	}
	spec_node_free(seq);
	return map;
}

static struct spec_node *merge_names(struct merger *m, struct spec_node *base, struct spec_node *over, bool depends)
{
	if (base->type == SPEC_NODE_SEQ && over->type == SPEC_NODE_SEQ)
		return merge_unique(RULE_BY_VALUE, base, over);
	if (base->type == SPEC_NODE_SEQ && over->type == SPEC_NODE_MAP)
		base = name_list_to_map(base, depends);
	else if (base->type == SPEC_NODE_MAP && over->type == SPEC_NODE_SEQ)
		over = name_list_to_map(over, depends);
	return merge_generic(m, base, over);
}

/* ---- the generic merge ---- */

static struct spec_node *merge_maps(struct merger *m, struct spec_node *base, struct spec_node *over)
{
	for (size_t i = 0; i < over->n_pairs; i++) {
		struct spec_pair *op = &over->pairs[i];
		struct spec_node *key = op->key, *val = op->value;
		op->key = op->value = NULL;
		if (val->tag == SPEC_TAG_RESET) {
			spec_map_remove(base, key->scalar);
			spec_node_free(key);
			spec_node_free(val);
			continue;
		}
		struct spec_pair *bp = NULL;
		for (size_t j = 0; j < base->n_pairs; j++)
			if (!strcmp(base->pairs[j].key->scalar, key->scalar))
				bp = &base->pairs[j];
		if (!bp) {
			spec_map_add(base, key, val);
			continue;
		}
		if (!strncmp(key->scalar, "x-", 2)) {
			/* Extensions are the user's own data: replaced whole, as compose does. */
			spec_node_free(bp->key);
			spec_node_free(bp->value);
			bp->key = key;
			bp->value = val;
			continue;
		}
		if (m->depth < MERGE_MAX_PATH)
			m->path[m->depth] = key->scalar;
		m->depth++;
		struct spec_node *res = merge(m, bp->value, val);
		m->depth--;
		bp->value = res;
		if (res == val) {
			/* The later file's value replaced the earlier: its key is where it was set. */
			spec_node_free(bp->key);
			bp->key = key;
		} else {
			spec_node_free(key);
		}
	}
	over->n_pairs = 0;
	spec_node_free(over);
	return base;
}

static struct spec_node *merge_generic(struct merger *m, struct spec_node *base, struct spec_node *over)
{
	if (base->type == SPEC_NODE_MAP && over->type == SPEC_NODE_MAP)
		return merge_maps(m, base, over);
	if (base->type == SPEC_NODE_SEQ && over->type == SPEC_NODE_SEQ) {
		for (size_t i = 0; i < over->n_items; i++) {
			spec_seq_add(base, over->items[i]);
			over->items[i] = NULL;
		}
		over->n_items = 0;
		spec_node_free(over);
		return base;
	}
	spec_node_free(base);
	return over;
}

static struct spec_node *build_as_map(struct spec_node *n)
{
	if (n->type != SPEC_NODE_SCALAR)
		return n;
	struct spec_node *map = spec_node_new(SPEC_NODE_MAP, n->file, n->line, n->col);
	map->tag = n->tag;
	n->tag = SPEC_TAG_NONE;
	spec_map_add(map, spec_node_new_scalar(n->file, n->line, n->col, "context", false), n);
	return map;
}

/* Consumes base and over; returns the merged node (one of them, or new). */
static struct spec_node *merge(struct merger *m, struct spec_node *base, struct spec_node *over)
{
	if (over->tag == SPEC_TAG_OVERRIDE) {
		over->tag = SPEC_TAG_NONE;
		spec_node_free(base);
		return over;
	}
	enum rule rule = rule_for(m);
	switch (rule) {
	case RULE_REPLACE:
		spec_node_free(base);
		return over;
	case RULE_KV:
	case RULE_KV_HOSTS:
		return merge_kv(base, over, rule == RULE_KV_HOSTS);
	case RULE_BY_VALUE:
	case RULE_PORTS:
	case RULE_VOLUMES:
	case RULE_DEVICES:
	case RULE_SECRETS:
	case RULE_CONFIGS:
	case RULE_ENV_FILE:
		return merge_unique(rule, base, over);
	case RULE_DEPENDS_ON:
	case RULE_NETWORKS:
		if (base->type == SPEC_NODE_SCALAR || over->type == SPEC_NODE_SCALAR ||
		    (base->type == SPEC_NODE_MAP && over->type == SPEC_NODE_MAP))
			break;
		return merge_names(m, base, over, rule == RULE_DEPENDS_ON);
	case RULE_BUILD:
		if (base->type != over->type && (base->type == SPEC_NODE_MAP || over->type == SPEC_NODE_MAP)) {
			base = build_as_map(base);
			over = build_as_map(over);
		}
		break;
	case RULE_LOGGING:
		if (base->type == SPEC_NODE_MAP && over->type == SPEC_NODE_MAP) {
			const char *bd = map_str(base, "driver"), *od = map_str(over, "driver");
			if (bd && od && strcmp(bd, od)) {
				spec_node_free(base);
				return over;
			}
		}
		break;
	case RULE_DEFAULT:
		break;
	}
	return merge_generic(m, base, over);
}

/* ---- !reset leftovers ---- */

static struct spec_node *apply_reset(struct spec_node *n)
{
	if (n->tag == SPEC_TAG_RESET) {
		spec_node_free(n);
		return NULL;
	}
	n->tag = SPEC_TAG_NONE;
	size_t k = 0;
	for (size_t i = 0; i < n->n_pairs; i++) {
		struct spec_node *v = apply_reset(n->pairs[i].value);
		if (!v) {
			spec_node_free(n->pairs[i].key);
			continue;
		}
		n->pairs[k].key = n->pairs[i].key;
		n->pairs[k].value = v;
		k++;
	}
	n->n_pairs = k;
	k = 0;
	for (size_t i = 0; i < n->n_items; i++) {
		struct spec_node *v = apply_reset(n->items[i]);
		if (v)
			n->items[k++] = v;
	}
	n->n_items = k;
	return n;
}

void spec_node_apply_reset(struct spec_node **root)
{
	if (*root)
		*root = apply_reset(*root);
}

int spec_node_merge(struct spec_node **base, struct spec_node *over, struct diag_list *diags)
{
	(void)diags; /* unused: no merge rule can fail yet (the fuzz target and loader pass one) */
	struct merger m = {0};
	/* A !reset in the first file has nothing to reset: drop it first, so the
	 * merge only ever sees the later file's tags. */
	spec_node_apply_reset(base);
	if (!over)
		return 0;
	if (!*base)
		*base = over;
	else
		*base = merge(&m, *base, over);
	spec_node_apply_reset(base);
	return 0;
}
