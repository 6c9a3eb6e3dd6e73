/* `stack config`: the model as a jansson tree (dump_json.c), printed as
 * JSON or, through libyaml's emitter, as YAML (dump_yaml.c). */
#ifndef STACK_SPEC_DUMP_INTERNAL_H
#define STACK_SPEC_DUMP_INTERNAL_H

#include "spec/model.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* The normalized stack: keys in a fixed order, user maps in file order,
 * every value that would load back to the same model. */
json_t *spec_dump_tree(const struct spec_stack *s);
int spec_dump_yaml(json_t *root, FILE *out);
/* Go/compose duration text: 10s, 1m30s, 1.5s, 100ms. */
char *spec_format_duration(int64_t ns);

#endif
