/* libFuzzer target for the YAML half of the stack-file loader: parse, then
 * interpolate with a fixed environment, clone, merge the clone into the
 * tree (exercising compose's merge rules on whatever shape came out), and
 * free.  ASan/UBSan catch memory errors; the limits in node.h keep every
 * input cheap (an alias bomb must fail fast, not time out). */
#include "spec/interp.h"
#include "spec/node.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char env_a[] = "A=alpha", env_empty[] = "EMPTY=", env_port[] = "PORT=8080";
static char *env_vars[] = {env_a, env_empty, env_port, NULL};

static void walk(const struct spec_node *n)
{
	bool b;
	if (!n)
		return;
	(void)spec_node_is_null(n);
	(void)spec_node_bool(n, &b);
	(void)spec_node_type_name(n);
	for (size_t i = 0; i < n->n_pairs; i++) {
		(void)spec_map_get(n, n->pairs[i].key->scalar);
		walk(n->pairs[i].value);
	}
	for (size_t i = 0; i < n->n_items; i++)
		walk(n->items[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl = {0};
	struct spec_doc *doc = NULL;
	struct spec_env env = {.environ = env_vars};

	if (spec_yaml_parse("fuzz.yaml", (const char *)data, size, &doc, &dl) == 0) {
		(void)spec_interpolate_tree(doc->root, &env, &dl);
		walk(doc->root);
		struct spec_node *copy = spec_node_clone(doc->root);
		(void)spec_node_merge(&doc->root, copy, &dl);
		walk(doc->root);
		spec_node_apply_reset(&doc->root);
		spec_doc_free(doc);
	}
	diag_free(&dl);
	return 0;
}
