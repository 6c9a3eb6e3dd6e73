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

# The page's text without roff: escapes and font changes undone, one
# line per input line (no man needed).
plain() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/^\\&//' -e 's/^\.S[HS] //' -e 's/^"\(.*\)"$/\1/' "$MAN_PAGE"
}

@test "man: a stack(1) page with the usual sections" {
	run -0 plain
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS ENVIRONMENT "EXIT STATUS" "SEE ALSO"; do
		grep -q "^\.SH $s\$" "$MAN_PAGE" || { echo "no section $s" >&2; return 1; }
	done
	grep -q '^\.TH STACK 1 ' "$MAN_PAGE"
}

@test "man: man formats it without a warning" {
	command -v man >/dev/null || skip "man is not installed (man-db)"
	run -0 --separate-stderr man --warnings -l "$MAN_PAGE"
	[ -z "$stderr" ]
	[[ "$output" == *"STACK(1)"* ]]
}

@test "man: every command's usage and every option of its --help" {
	page=$(plain)
	top=$("$STACK_BIN" --help)
	names() { awk '$0 == "Commands:" { on = 1; next } on && /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }'; }
	cmds=$(names <<<"$top")
	[ -n "$cmds" ]
	# Subcommands too ("image save"), but not aliases of another command
	# (`stack image ls` is `stack images`, which has its own section).
	all=$(for c in $cmds; do
		echo "$c"
		for s in $("$STACK_BIN" "$c" --help | names); do
			"$STACK_BIN" "$c" "$s" --help | head -n1 | grep -q "^Usage: stack $c $s" && echo "$c $s"
		done
	done)
	[[ "$all" == *"image save"* ]]
	bad=0
	while read -r c; do
		# shellcheck disable=SC2086
		help=$("$STACK_BIN" $c --help)
		usage=$(head -n1 <<<"$help" | sed 's/^Usage: //')
		grep -qF -- "$usage" <<<"$page" || { echo "man: no '$usage'" >&2; bad=1; }
		for o in $(grep -Eo -- '(^|[ ,])--[a-zA-Z][a-zA-Z0-9-]*' <<<"$(grep -E '^ +-' <<<"$help")" | tr -d ' ,' | sort -u); do
			grep -qF -- "$o" <<<"$page" || { echo "man: stack $c: no $o" >&2; bad=1; }
		done
	done < <(printf '\n%s\n' "$all")
	[ "$bad" -eq 0 ]
}

@test "man: the build made the same page" {
	# The page the build installs (docs/CMakeLists.txt) next to the binary's
	# build tree, when this is a build tree with one.
	built="$(dirname "$(dirname "$STACK_BIN")")/docs/stack.1"
	[ -f "$built" ] || skip "no $built (not a CMake build tree)"
	diff <(grep -v '^\.TH' "$built") <(grep -v '^\.TH' "$MAN_PAGE")
}
