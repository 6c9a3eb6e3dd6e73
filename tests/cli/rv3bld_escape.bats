#!/usr/bin/env bats
# What a failing build prints about the step reaches the user's terminal
# escaped: a Dockerfile (anyone's, a cloned repository's) whose RUN holds
# terminal controls (ESC sequences, BEL, C1 CSI raw or as UTF-8) cannot
# set the title, move the cursor or clear the screen through the error
# message, while its valid UTF-8 text still reads as written.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	mkdir -p "$BATS_TEST_TMPDIR/ctx"
	# A literal ESC, BEL and a UTF-8 C1 CSI (U+009B) in the instruction,
	# and "é" (valid UTF-8) to keep.  (A raw 0x9b is not UTF-8: the
	# Dockerfile parser refuses it before any step runs.)
	printf 'FROM bb\nRUN echo \033]0;pwned\007 \302\233 caf\303\251; exit 3\n' >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
	build_stack_file <<-'EOF2'
	images:
	  bad: {context: ctx}
	EOF2
}
teardown() { run_env_teardown; }

# no_controls FILE: FILE has no ESC, BEL, raw C1 byte nor UTF-8 C1.
no_controls() {
	! LC_ALL=C grep -qP '[\x1b\x07\x80-\x9f]' "$1" || {
		echo "controls in $1:" >&2
		od -c "$1" >&2
		return 1
	}
}

@test "escape: a failing RUN's error shows its ESC/BEL/C1 bytes escaped, its UTF-8 text kept (plain and quiet)" {
	for mode in plain quiet; do
		run -1 --separate-stderr stack build --progress="$mode"
		printf '%s' "$stderr" >"$BATS_TEST_TMPDIR/err"
		no_controls "$BATS_TEST_TMPDIR/err"
		grep -qF 'exit status 3' "$BATS_TEST_TMPDIR/err"
		grep -qF '\x1b]0;pwned\x07' "$BATS_TEST_TMPDIR/err"
		grep -qF '\x07 \xc2\x9b' "$BATS_TEST_TMPDIR/err"
		grep -qF 'café' "$BATS_TEST_TMPDIR/err"
	done
}

@test "escape: in tty mode the live view and the error show the instruction's controls escaped" {
	run -1 --separate-stderr stack build --progress=tty
	printf '%s%s' "$output" "$stderr" >"$BATS_TEST_TMPDIR/all"
	# Our own cursor moves and clears are ESC [ ... : take those out first.
	LC_ALL=C sed -E 's/\x1b\[[0-9]*[AJK]//g' "$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/err"
	no_controls "$BATS_TEST_TMPDIR/err"
	grep -qF 'exit status 3' "$BATS_TEST_TMPDIR/err"
	grep -qF '\xc2\x9b' "$BATS_TEST_TMPDIR/err"
}
