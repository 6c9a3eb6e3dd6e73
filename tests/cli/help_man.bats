#!/usr/bin/env bats
# stack(1), as scripts/gen-man.sh makes it from the --help texts (and as
# the build does): every command and every option of every --help is in
# it, and man formats it without warnings.

bats_require_minimum_version 1.5.0

setup_file() {
	: "${STACK_BIN:?STACK_BIN must name the stack binary}"
	: "${STACK_SRC:?STACK_SRC must name the source tree}"
	export MAN_PAGE="$BATS_FILE_TMPDIR/stack.1"
	bash "$STACK_SRC/scripts/gen-man.sh" "$STACK_BIN" >"$MAN_PAGE"
}

# Rendered as text, hyphens as typed.
rendered() {
	MANWIDTH=200 man -l "$MAN_PAGE" 2>/dev/null | col -b | sed 's/‐/-/g'
}

@test "man: a stack(1) page with the usual sections" {
	command -v man >/dev/null || skip "man is not installed"
	run -0 rendered
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS ENVIRONMENT "EXIT STATUS" "SEE ALSO"; do
		grep -qx "$s" <<<"$output" || { echo "no section $s" >&2; return 1; }
	done
	run -0 --separate-stderr man --warnings -l "$MAN_PAGE"
	[ -z "$stderr" ]
}

@test "man: every command's usage and every option of its --help" {
	command -v man >/dev/null || skip "man is not installed"
	page=$(rendered)
	top=$("$STACK_BIN" --help)
	cmds=$(awk '$0 == "Commands:" { on = 1; next } on && /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }' <<<"$top")
	[ -n "$cmds" ]
	bad=0
	for c in "" $cmds; do
		help=$("$STACK_BIN" $c --help)
		usage=$(head -n1 <<<"$help" | sed 's/^Usage: //')
		grep -qF -- "$usage" <<<"$page" || { echo "man: no '$usage'" >&2; bad=1; }
		for o in $(grep -Eo -- '(^|[ ,])--[a-zA-Z][a-zA-Z0-9-]*' <<<"$(grep -E '^ +-' <<<"$help")" | tr -d ' ,' | sort -u); do
			grep -qF -- "$o" <<<"$page" || { echo "man: stack $c: no $o" >&2; bad=1; }
		done
	done
	[ "$bad" -eq 0 ]
}

@test "man: the build made the same page" {
	# The page the build installs (docs/CMakeLists.txt) next to the binary's
	# build tree, when this is a build tree with one.
	built="$(dirname "$(dirname "$STACK_BIN")")/docs/stack.1"
	[ -f "$built" ] || skip "no $built (not a CMake build tree)"
	diff <(grep -v '^\.TH' "$built") <(grep -v '^\.TH' "$MAN_PAGE")
}
