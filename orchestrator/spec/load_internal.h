/* Shared by the loader's files (load*.c): the loading context and the small
 * typed accessors that turn a node into a value or a diagnostic.  Every
 * accessor reports at the node's FILE:LINE:COL and keeps going, so one run
 * shows every problem of every file. */
#ifndef STACK_SPEC_LOAD_INTERNAL_H
#define STACK_SPEC_LOAD_INTERNAL_H

#include "spec/interp.h"
#include "spec/model.h"
#include "spec/node.h"
#include "spec/spec.h"
#include "spec/units.h"
#include "util/diag.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct spec_loader {
	struct spec_stack *stack;
	struct diag_list *diags;
	const struct spec_load_opts *opts;
	struct spec_env env;
	char *home; /* for ~ in paths */
};

/* The position of n, with the file name interned in stack->file_names. */
struct spec_pos ld_pos(struct spec_loader *ld, const struct spec_node *n);
struct diag *ld_error(struct spec_loader *ld, const struct spec_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct diag *ld_error_at(struct spec_loader *ld, const struct spec_pos *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Report an errmsg from units.h/ref.h at n and free it. */
void ld_error_take(struct spec_loader *ld, const struct spec_node *n, char *errmsg);

/* A mapping's value for key, or NULL when absent or null (null resets a key,
 * which is how an override file removes what an earlier file set). */
static inline const struct spec_node *ld_get(const struct spec_node *map, const char *key)
{
	const struct spec_node *v = spec_map_get(map, key);
	return v && !spec_node_is_null(v) ? v : NULL;
}

/* The key node of a mapping entry (for errors about the key itself). */
static inline const struct spec_node *ld_key(const struct spec_node *map, const char *key)
{
	for (size_t i = 0; i < map->n_pairs; i++)
		if (strcmp(map->pairs[i].key->scalar, key) == 0)
			return map->pairs[i].key;
	return NULL;
}

/* Type checks: false (and an error "`what`: expected a mapping, got a string") on mismatch. */
bool ld_is_map(struct spec_loader *ld, const struct spec_node *n, const char *what);
bool ld_is_seq(struct spec_loader *ld, const struct spec_node *n, const char *what);
bool ld_is_scalar(struct spec_loader *ld, const struct spec_node *n, const char *what);

/* Unknown keys of a mapping (x-* always allowed): one error each, with a
 * did-you-mean hint drawn from `keys`. */
void ld_check_keys(struct spec_loader *ld, const struct spec_node *map, const char *const *keys, size_t n,
		   const char *where);
/* The same, and the compose keys stack does not implement said plainly
 * ("`KEY` is not supported by stack", with the hint, or "remove it" when it
 * is NULL) rather than as unknown keys with an unhelpful did-you-mean. */
struct ld_unsupported_key {
	const char *key, *hint;
};
void ld_check_keys_unsupported(struct spec_loader *ld, const struct spec_node *map, const char *const *keys, size_t n,
				const struct ld_unsupported_key *unsupported, size_t n_unsupported, const char *where);

/* Scalars.  Each returns false after reporting when the node is not usable;
 * *out is left untouched then. */
bool ld_string(struct spec_loader *ld, const struct spec_node *n, const char *what, const char **out);
bool ld_dup_string(struct spec_loader *ld, const struct spec_node *n, const char *what, char **out);
bool ld_bool(struct spec_loader *ld, const struct spec_node *n, const char *what, bool *out);
bool ld_int(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t min, int64_t max,
	    int64_t *out);
/* ld_int, with `hint` (what the range means) attached to its error. */
bool ld_int_hint(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t min, int64_t max,
		 const char *hint, int64_t *out);
/* A scalar run through one of units.h's int64 parsers; its message is
 * reported at the node as "`what`: MESSAGE". */
typedef int (*spec_int64_parser)(const char *s, int64_t *out, char **errmsg);
bool ld_parsed_int64(struct spec_loader *ld, const struct spec_node *n, const char *what, spec_int64_parser parse,
		     int64_t *out);
static inline bool ld_duration(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t *out)
{
	return ld_parsed_int64(ld, n, what, spec_parse_duration, out);
}
static inline bool ld_size(struct spec_loader *ld, const struct spec_node *n, const char *what, int64_t *out)
{
	return ld_parsed_int64(ld, n, what, spec_parse_size, out);
}
bool ld_double(struct spec_loader *ld, const struct spec_node *n, const char *what, double *out);

/* A path relative to the project directory (~ is $HOME), made absolute. */
char *ld_abs_path(struct spec_loader *ld, const char *path);
/* An absolute path inside the container, or an error. */
bool ld_container_path(struct spec_loader *ld, const struct spec_node *n, const char *what, char **out);

/* A string or a list of strings. */
bool ld_string_list(struct spec_loader *ld, const struct spec_node *n, const char *what, struct strv *out);
/* command/entrypoint: a string split as a shell would (no expansion), or a list. */
bool ld_command(struct spec_loader *ld, const struct spec_node *n, const char *what, struct strv *out);
/* A mapping KEY: VALUE or a list "KEY=VALUE" / "KEY".  A key without a value
 * takes `from_env` lookups when from_env is set, else is stored as NULL. */
bool ld_kvlist(struct spec_loader *ld, const struct spec_node *n, const char *what, bool from_env,
	       struct spec_kvlist *out);

/* labels: as ld_kvlist, a key without a value is the empty string. */
bool ld_labels(struct spec_loader *ld, const struct spec_node *n, struct spec_kvlist *out);
/* A service, volume or secret name (the mapping key) as spec_name_valid()
 * wants it; else an error "invalid KIND name" with the rule as the hint. */
void ld_check_name(struct spec_loader *ld, const struct spec_node *key, const char *kind);

/* spec_shell_split() is public: spec/spec.h */

/* Sections (load_*.c). */
void ld_bases(struct spec_loader *ld, const struct spec_node *n);
void ld_images(struct spec_loader *ld, const struct spec_node *n);
/* A service's build: → a spec_image named `name`. */
void ld_service_build(struct spec_loader *ld, const struct spec_node *n, const char *service, const char *name);
void ld_secrets(struct spec_loader *ld, const struct spec_node *n);
void ld_volumes(struct spec_loader *ld, const struct spec_node *n);
void ld_services(struct spec_loader *ld, const struct spec_node *n);
void ld_service_mounts(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map);
void ld_service_limits(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map);
void ld_service_security(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map);
void ld_service_devices(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map);
void ld_service_env(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map);
void ld_healthcheck(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n);
void ld_depends_on(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n);
/* networks (load_networks.c): the top-level section, a service's list,
 * and after all services (and profiles) the references between them. */
void ld_networks(struct spec_loader *ld, const struct spec_node *n);
void ld_service_networks(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n);
void ld_check_networks(struct spec_loader *ld);
/* After all services: references between them (depends_on targets, cycles);
 * false if a target is unknown or the service itself. */
bool ld_check_depends(struct spec_loader *ld);
/* Then, if those are sound: drop the services --profile does not enable
 * (load_profiles.c). */
void ld_apply_profiles(struct spec_loader *ld);

#endif
