/* spec_dump: the resolved stack as `stack config` prints it. */
#include "spec/dump_internal.h"
#include "spec/spec.h"

int spec_dump(const struct spec_stack *s, enum spec_dump_format fmt, FILE *out)
{
	json_t *root = spec_dump_tree(s);
	int rc;
	if (fmt == SPEC_DUMP_JSON) {
		rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (rc == 0 && fputc('\n', out) == EOF)
			rc = -1;
	} else {
		rc = spec_dump_yaml(root, out);
	}
	json_decref(root);
	return rc < 0 || ferror(out) ? -1 : 0;
}
