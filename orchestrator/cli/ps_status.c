#include "cli/ps_status.h"
#include "util/mem.h"

#include <string.h>

enum {
	ST_CREATED = 1u << 0,
	ST_RESTARTING = 1u << 1,
	ST_RUNNING = 1u << 2,
	ST_REMOVING = 1u << 3,
	ST_PAUSED = 1u << 4,
	ST_EXITED = 1u << 5,
	ST_DEAD = 1u << 6,
};

static const struct {
	const char *name;
	unsigned bit;
} statuses[] = {
	{"created", ST_CREATED}, {"restarting", ST_RESTARTING}, {"running", ST_RUNNING}, {"removing", ST_REMOVING},
	{"paused", ST_PAUSED},   {"exited", ST_EXITED},         {"dead", ST_DEAD},
};

/* the supervisor's state names, and the status each one is */
static const struct {
	const char *state;
	unsigned bit;
} states[] = {
	{"created", ST_CREATED}, {"starting", ST_RUNNING}, {"running", ST_RUNNING},   {"stopping", ST_RUNNING},
	{"exited", ST_EXITED},   {"restarting", ST_RESTARTING}, {"removed", ST_REMOVING},
};

int cli_ps_status_add(const char *s, unsigned *mask)
{
	for (size_t i = 0; i < ARRAY_SIZE(statuses); i++)
		if (strcmp(s, statuses[i].name) == 0) {
			*mask |= statuses[i].bit;
			return 0;
		}
	return -1;
}

bool cli_ps_status_match(unsigned mask, json_t *rec)
{
	const char *state = json_string_value(json_object_get(rec, "state"));
	const char *note = json_string_value(json_object_get(rec, "note"));
	unsigned have = 0;
	for (size_t i = 0; state && i < ARRAY_SIZE(states); i++)
		if (strcmp(state, states[i].state) == 0)
			have = states[i].bit;
	if (have == ST_EXITED && note && strcmp(note, CLI_PS_NOTE_DIED) == 0)
		have |= ST_DEAD;
	return (have & mask) != 0;
}
