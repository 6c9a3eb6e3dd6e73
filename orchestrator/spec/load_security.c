/* A service's capabilities and security_opt. */
#include "spec/load_internal.h"
#include "spec/units.h"
#include "util/mem.h"

#include <string.h>

static void load_caps(struct spec_loader *ld, const struct spec_node *n, const char *what, struct strv *out)
{
	if (!ld_is_seq(ld, n, what))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s;
		char *cap = NULL, *err = NULL;
		if (!ld_string(ld, n->items[i], what, &s))
			continue;
		if (spec_parse_capability(s, &cap, &err) < 0) {
			ld_error_take(ld, n->items[i], err);
			continue;
		}
		if (strv_contains(out, cap))
			free(cap); /* listed twice: harmless, keep one */
		else
			strv_push_take(out, cap);
	}
}

/* no-new-privileges[:true|false] or =true|false; seccomp=PATH|unconfined or
 * seccomp:PATH; label/apparmor are refused: the runtime has neither. */
static void load_security_opt(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *n)
{
	if (!ld_is_seq(ld, n, "security_opt"))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct spec_node *it = n->items[i];
		const char *s;
		if (!ld_string(ld, it, "security_opt", &s))
			continue;
		size_t klen = strcspn(s, ":=");
		const char *val = s[klen] ? s + klen + 1 : NULL;
		if (klen == 17 && strncmp(s, "no-new-privileges", 17) == 0) {
			if (!val || strcmp(val, "true") == 0) {
				sv->no_new_privileges = true;
			} else if (strcmp(val, "false") == 0) {
				sv->no_new_privileges = false;
			} else {
				ld_error(ld, it, "`security_opt`: `%s`: expected no-new-privileges:true or :false", s);
			}
		} else if (klen == 7 && strncmp(s, "seccomp", 7) == 0) {
			if (!val || !val[0]) {
				struct diag *d = ld_error(ld, it, "`security_opt`: `%s` names no profile", s);
				diag_hint(d, "use seccomp=unconfined or seccomp=PATH to a JSON profile");
			} else if (strcmp(val, "unconfined") == 0) {
				sv->seccomp = SPEC_SECCOMP_UNCONFINED;
				free(sv->seccomp_profile);
				sv->seccomp_profile = NULL;
			} else {
				sv->seccomp = SPEC_SECCOMP_PROFILE;
				free(sv->seccomp_profile);
				sv->seccomp_profile = ld_abs_path(ld, val);
			}
		} else if ((klen == 5 && strncmp(s, "label", 5) == 0) || (klen == 8 && strncmp(s, "apparmor", 8) == 0)) {
			struct diag *d = ld_error(ld, it, "`security_opt`: `%.*s` is not supported by stack's runtime",
						  (int)klen, s);
			diag_hint(d, "stack confines containers with capabilities, seccomp and no-new-privileges; remove it");
		} else {
			struct diag *d = ld_error(ld, it, "`security_opt`: unknown option `%s`", s);
			diag_hint(d, "use no-new-privileges:true|false, seccomp=unconfined or seccomp=PATH");
		}
	}
}

void ld_service_security(struct spec_loader *ld, struct spec_service *sv, const struct spec_node *map)
{
	const struct spec_node *v;
	if ((v = ld_get(map, "cap_add")))
		load_caps(ld, v, "cap_add", &sv->cap_add);
	if ((v = ld_get(map, "cap_drop")))
		load_caps(ld, v, "cap_drop", &sv->cap_drop);
	if ((v = ld_get(map, "security_opt")))
		load_security_opt(ld, sv, v);
}
