/* PLACEHOLDER: replaced by the spec module. */
#include "spec/spec.h"

int spec_load(const struct spec_load_opts *opts, struct spec_stack **out, struct diag_list *diags)
{
	(void)opts;
	*out = NULL;
	diag_add(diags, NULL, 0, 0, "stack file loading is not implemented yet");
	return -1;
}
