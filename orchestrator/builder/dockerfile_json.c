/* `stack dockerfile`: the parse as JSON, keys in a fixed order so the
 * output is stable and diffable. */
#include "builder/dockerfile_int.h"

#include <string.h>

/* The parser only lets valid UTF-8 through, so json_string cannot fail;
 * null rather than a crash if that ever stops being true. */
static json_t *str(const char *s)
{
	json_t *j = json_string(s);
	return j ? j : json_null();
}

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, str(sv->v[i]));
	return a;
}

static json_t *instr_json(const struct df_instr *in)
{
	json_t *o = json_object();
	json_object_set_new(o, "cmd", str(df_cmd_name(in->cmd)));
	json_object_set_new(o, "flags", strv_json(&in->flags));
	json_object_set_new(o, "args", strv_json(&in->args));
	json_object_set_new(o, "json", json_boolean(in->json));
	json_object_set_new(o, "line", json_integer(in->line));
	json_object_set_new(o, "end_line", json_integer(in->end_line));
	if (in->n_heredocs > 0) {
		json_t *hs = json_array();
		for (size_t i = 0; i < in->n_heredocs; i++) {
			const struct df_heredoc *h = &in->heredocs[i];
			json_t *ho = json_object();
			json_object_set_new(ho, "name", str(h->name));
			json_object_set_new(ho, "content", str(h->content));
			json_object_set_new(ho, "expand", json_boolean(h->expand));
			json_object_set_new(ho, "chomp", json_boolean(h->chomp));
			json_array_append_new(hs, ho);
		}
		json_object_set_new(o, "heredocs", hs);
	}
	if (in->next)
		json_object_set_new(o, "next", instr_json(in->next));
	return o;
}

json_t *df_to_json(const struct df_file *f)
{
	json_t *a = json_array();
	for (size_t i = 0; f && i < f->n; i++)
		json_array_append_new(a, instr_json(&f->v[i]));
	return a;
}
