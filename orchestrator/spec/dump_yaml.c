/* A jansson tree → YAML through libyaml's emitter (which does the quoting
 * and escaping; we only pick a style where plain text would change type). */
#include "spec/dump_internal.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* A plain scalar that a YAML 1.1 or 1.2 reader would take for something
 * other than a string: null, a boolean, a number (also octal 0444 and
 * sexagesimal 1:30). */
static bool looks_typed(const char *s)
{
	static const char *const words[] = {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
					    ".inf", "-.inf", "+.inf", ".nan"};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	if (!strchr("0123456789+-.", s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789:._+-eExXoObBabcdefABCDEF", *p))
			return false;
	return true;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev) { return yaml_emitter_emit(e, ev) ? 0 : -1; }

static int emit_scalar(yaml_emitter_t *e, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1, style))
		return -1;
	return emit(e, &ev);
}

static int emit_node(yaml_emitter_t *e, json_t *j)
{
	yaml_event_t ev;
	char buf[64];
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		bool empty = json_object_size(j) == 0;
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE) ||
		    emit(e, &ev) < 0)
			return -1;
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
		{
			if (emit_scalar(e, k, looks_typed(k) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE) < 0 ||
			    emit_node(e, v) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(e, &ev);
	}
	case JSON_ARRAY: {
		bool empty = json_array_size(j) == 0;
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  empty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) ||
		    emit(e, &ev) < 0)
			return -1;
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
		{
			if (emit_node(e, v) < 0)
				return -1;
		}
		yaml_sequence_end_event_initialize(&ev);
		return emit(e, &ev);
	}
	case JSON_STRING: {
		const char *s = json_string_value(j);
		yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
		if (looks_typed(s))
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		else if (strchr(s, '\n'))
			style = YAML_LITERAL_SCALAR_STYLE; /* Dockerfiles stay readable */
		return emit_scalar(e, s, style);
	}
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return emit_scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(j));
		return emit_scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE:
		return emit_scalar(e, "true", YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return emit_scalar(e, "false", YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
		return emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
	}
	return -1;
}

int spec_dump_yaml(json_t *root, FILE *out)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int rc = -1;
	if (!yaml_emitter_initialize(&e))
		return -1;
	yaml_emitter_set_output_file(&e, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(&e, &ev) < 0)
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || emit(&e, &ev) < 0)
		goto out;
	if (emit_node(&e, root) < 0)
		goto out;
	if (!yaml_document_end_event_initialize(&ev, 1) || emit(&e, &ev) < 0)
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || emit(&e, &ev) < 0)
		goto out;
	rc = yaml_emitter_flush(&e) ? 0 : -1;
out:
	yaml_emitter_delete(&e);
	return rc;
}
