#!/usr/bin/env bats
# `stack run` and terminals, as `docker compose run`: a TTY when stdin and
# stdout are terminals (or with -t), none with -T or when piped; keys typed
# reach the container's shell, the window size follows, the exit status is
# the container's.  `script` gives the tests a real terminal.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	stack_file <<-'EOF'
	services:
	  s: {image: bb}
	EOF
}
teardown() { run_env_teardown; }

# in_terminal CMD: run CMD (a string) in a new pty of 30 rows x 100 columns;
# its output with the terminal's \r removed.
in_terminal() {
	script -qec "stty rows 30 cols 100; $1" /dev/null </dev/null | tr -d '\r'
}

stack_cmd() {
	# --foreground: a timeout in its own process group could not use the terminal.
	printf '%q ' timeout --foreground -k 5 60 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" "$@"
}

@test "in a terminal the payload gets a TTY of its own, TERM, and the window size" {
	run in_terminal "$(stack_cmd run --rm s sh -c 'tty; echo TERM=$TERM; stty size; exit 5'); echo rc=\$?"
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"TERM=xterm"* ]]
	[[ "$output" == *"30 100"* ]]
	[[ "$output" == *"rc=5"* ]]
	assert_no_leftovers
}

@test "-T in a terminal: no TTY" {
	run in_terminal "$(stack_cmd run --rm -T s sh -c 'tty; exit 6'); echo rc=\$?"
	[[ "$output" == *"not a tty"* ]]
	[[ "$output" == *"rc=6"* ]]
	assert_no_leftovers
}

@test "piped: no TTY, output and status pass through" {
	run --separate-stderr stack run --rm s sh -c 'tty; echo piped-out; exit 4' </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"not a tty"* ]]
	[[ "$output" == *"piped-out"* ]]
}

@test "-t without a terminal still gives the payload a TTY" {
	run --separate-stderr stack run --rm -t s tty </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
}

@test "typed input reaches an interactive shell in the container" {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/helpers/pty_session.py" \
		--expect '# ' --send 'echo typed-$((40+2))' \
		--expect 'typed-42' --send 'exit 3' \
		-- timeout --foreground -k 5 60 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" run --rm s sh
	[ "$status" -eq 0 ]
	[[ "$output" == *"typed-42"* ]]
	[[ "$output" == *"rc=3"* ]]
	assert_no_leftovers
}

@test "-t with more input than the pty holds: none of it is lost" {
	# 300 KB arrive before the payload reads any: the pty fills, and the
	# rest must wait in stack, not be dropped.
	run --separate-stderr bash -c "seq 1 50000 | $(stack_cmd run --rm -t s sh -c 'stty -echo; sleep 2; head -n 3000 | tail -n 1')"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3000"* ]]
	assert_no_leftovers
}
