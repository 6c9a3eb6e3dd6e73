/* libFuzzer target: any bytes through df_parse, and on success through
 * df_to_json (which must then produce valid JSON strings), then freed.
 * ASan/UBSan find the memory errors; the asserts find broken invariants. */
#include "builder/dockerfile.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = {0};
	struct df_file *f = NULL;
	int r = df_parse("fuzz", (const char *)data, size, &f, &diags);
	/* success and failure are exclusive: a parse is returned iff no error */
	if ((r == 0) != (f != NULL) || (r == 0) != (diags.n == 0))
		abort();
	if (f) {
		json_t *j = df_to_json(f);
		char *s = json_dumps(j, JSON_COMPACT);
		/* every string was valid UTF-8: the dump never fails */
		if (!s)
			abort();
		free(s);
		json_decref(j);
		df_free(f);
	}
	diag_free(&diags);
	return 0;
}
