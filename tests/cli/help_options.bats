#!/usr/bin/env bats
# Every command's --help against the parser it documents.
#
# The commands come from `stack --help` (main.c's table), subcommands from a
# command's own "Commands:" section, and the options each parser accepts
# from the binary itself: helpers/optdump.c, preloaded, records the table
# and optstring each getopt_long call is handed and ends the process there,
# before the command does anything.  So a new command, or a new option in a
# getopt table, is checked here with no edit to this file.

bats_require_minimum_version 1.5.0

setup_file() {
	: "${STACK_BIN:?STACK_BIN must name the stack binary}"
	: "${STACK_SRC:?STACK_SRC must name the source tree}"
	export OPTDUMP_SO="$BATS_FILE_TMPDIR/optdump.so"
	cc -shared -fPIC -O2 -o "$OPTDUMP_SO" "$STACK_SRC/tests/cli/helpers/optdump.c" -ldl
	# Nothing here should touch a store, but if a command ran, it would be
	# this file's.
	export STACK_ROOT="$BATS_FILE_TMPDIR/root" STACK_RUN="$BATS_FILE_TMPDIR/run"
	export STACK_CGROUP_PARENT="stack-bats-help-$$"
	mkdir -p "$STACK_ROOT" "$STACK_RUN"
	# An empty project dir: no stack file to find.
	export WORK="$BATS_FILE_TMPDIR/work"
	mkdir -p "$WORK"
}

# section TITLE: the lines of a --help text (stdin) under "TITLE:".
section() {
	awk -v t="$1:" '$0 == t { on = 1; next } on && /^[^ ]/ { on = 0 } on && NF' 
}

# commands: every command, and "CMD SUB" for a command with subcommands.
commands() {
	local c s
	for c in $("$STACK_BIN" --help | section Commands | awk '/^  [a-z]/ { print $1 }'); do
		subs=$("$STACK_BIN" "$c" --help | section Commands | awk '/^  [a-z]/ { print $1 }')
		if [ -n "$subs" ]; then
			for s in $subs; do echo "$c $s"; done
		else
			echo "$c"
		fi
	done
}

# dump_opts [CMD...]: "short OPTSTRING" and "long NAME HAS_ARG" lines of
# the option table CMD's parser uses (no CMD: the global options).
dump_opts() {
	local out="$BATS_TEST_TMPDIR/dump.$RANDOM" stop=2
	[ $# -eq 0 ] && set -- --help && stop=1
	(cd "$WORK" && STACK_OPTDUMP="$out" STACK_OPTDUMP_STOP=$stop LD_PRELOAD="$OPTDUMP_SO" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$STACK_BIN" "$@" </dev/null >/dev/null 2>&1) || true
	[ -s "$out" ] || { echo "no getopt_long table recorded for: stack $*" >&2; return 1; }
	awk -v want="table $stop" '/^table / { on = ($0 == want); next } on' "$out"
}

# check_help HELP_TEXT DUMP: each option of DUMP is in the help's Options
# section, and each option the Options section names is in DUMP.
check_help() {
	local what="$1" help="$2" dump="$3" opts name flag short_opts c bad=0
	opts=$(printf '%s\n' "$help" | section Options)
	[ -n "$opts" ] || { echo "stack $what --help: no Options: section" >&2; return 1; }
	while read -r kind name _; do
		[ "$kind" = long ] || continue
		grep -Eq -- "(^|[ ,])--$name([ =,]|$)" <<<"$opts" ||
			{ echo "stack $what: the parser takes --$name, --help does not list it" >&2; bad=1; }
	done <<<"$dump"
	short_opts=$(awk '$1 == "short" { print $2 }' <<<"$dump" | tr -d '+:')
	for ((i = 0; i < ${#short_opts}; i++)); do
		c=${short_opts:i:1}
		grep -Eq -- "^ +-$c[ ,]" <<<"$opts" ||
			{ echo "stack $what: the parser takes -$c, --help does not list it" >&2; bad=1; }
	done
	# The converse: what --help lists, the parser takes.
	for flag in $(grep -Eo -- "(^|[ ,])--[A-Za-z][A-Za-z0-9-]*" <<<"$(grep -E '^ +-' <<<"$opts")" | tr -d ' ,' | sort -u); do
		grep -q "^long ${flag#--} " <<<"$dump" ||
			{ echo "stack $what: --help lists $flag, the parser does not take it" >&2; bad=1; }
	done
	for flag in $(grep -Eo -- '^ +-[A-Za-z0-9][ ,]' <<<"$opts" | tr -d ' ,'); do
		[[ "$short_opts" == *"${flag#-}"* ]] ||
			{ echo "stack $what: --help lists $flag, the parser does not take it" >&2; bad=1; }
	done
	return $bad
}

@test "help: the global options are all in stack --help, and only they" {
	run -0 "$STACK_BIN" --help
	help=$output
	[[ "${lines[0]}" == "Usage: stack "* ]]
	dump=$(dump_opts)
	check_help "" "$help" "$dump"
}

@test "help: the command list has every command, and more than a handful" {
	n=$(commands | wc -l)
	[ "$n" -ge 15 ]
	commands | grep -qx "up"
	commands | grep -qx "image save"
}

@test "help: every command's --help exits 0, on stdout only, starting with its usage line" {
	while read -r cmd; do
		# shellcheck disable=SC2086
		run --separate-stderr "$STACK_BIN" $cmd --help
		[ "$status" -eq 0 ] || { echo "stack $cmd --help: exit $status" >&2; return 1; }
		[ -z "$stderr" ] || { echo "stack $cmd --help wrote to stderr: $stderr" >&2; return 1; }
		[[ "${lines[0]}" == "Usage: stack $cmd"* ]] || [[ "$cmd" == "image ls" && "${lines[0]}" == "Usage: stack images"* ]] ||
			{ echo "stack $cmd --help: first line is '${lines[0]}'" >&2; return 1; }
		# A blank line, then a description ($lines has no empty lines).
		second=$(printf '%s\n' "$output" | sed -n 2p)
		[ -z "$second" ] || [[ "$second" == " "* ]] || { echo "stack $cmd --help: no blank line after the usage" >&2; return 1; }
		[ "${#lines[@]}" -ge 4 ] || { echo "stack $cmd --help: no description" >&2; return 1; }
		# -h works as --help does.
		# shellcheck disable=SC2086
		run -0 "$STACK_BIN" $cmd -h
	done < <(commands)
}

@test "help: every option each command's parser accepts is in its --help, and only those" {
	bad=0
	while read -r cmd; do
		# shellcheck disable=SC2086
		help=$("$STACK_BIN" $cmd --help)
		# shellcheck disable=SC2086
		dump=$(dump_opts $cmd) || { bad=1; continue; }
		check_help "$cmd" "$help" "$dump" || bad=1
	done < <(commands)
	[ "$bad" -eq 0 ]
}

@test "help: the check finds an option missing from a help text" {
	# The same check on a help text with a line cut out must fail: the
	# test above cannot pass by matching nothing.
	help=$("$STACK_BIN" logs --help | grep -v -- '--tail')
	dump=$(dump_opts logs)
	run check_help logs "$help" "$dump"
	[ "$status" -ne 0 ]
	[[ "$output" == *"the parser takes --tail"* ]]
	[[ "$output" == *"the parser takes -n"* ]]
	run check_help logs "$("$STACK_BIN" logs --help)
  -Z, --zebra   not an option" "$dump"
	[ "$status" -ne 0 ]
	[[ "$output" == *"lists --zebra"* ]]
}

@test "help: an unknown command and a bad option point at --help" {
	run -2 --separate-stderr "$STACK_BIN" frobnicate
	[[ "$stderr" == *"unknown command \`frobnicate\`"* ]]
	[[ "$stderr" == *"stack --help"* ]]
	run -2 --separate-stderr "$STACK_BIN" ps --frobnicate
	[[ "$stderr" == *"stack ps --help"* ]]
}
