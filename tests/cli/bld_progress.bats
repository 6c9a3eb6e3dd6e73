#!/usr/bin/env bats
# `stack build --progress auto|tty|plain`: on a terminal (a pty from
# util-linux's `script`) a live view redraws the running steps in place
# and ends with a summary; plain lines have no escape bytes; control bytes
# of a Dockerfile's text are shown escaped, never sent to the terminal.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	run_env_setup_file
}
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$STACK_ROOT"
	# Step 4's text carries an OSC title sequence and a BEL.
	df app 'FROM bb' 'RUN echo hello from run' 'ENV A=1' "RUN true # $(printf '\033]0;pwned\007') tail" 'CMD ["sh"]'
	build_stack_file <<-'EOF2'
	images:
	  app: {context: app}
	EOF2
}
teardown() { run_env_teardown; }

# on_pty CMD...: run CMD on a pseudo-terminal; its terminal output in
# $BATS_TEST_TMPDIR/pty (CR LF as the terminal has them), status in $status.
on_pty() {
	local cmd
	printf -v cmd '%q ' "$@"
	status=0
	TERM=${TERM_FOR_PTY:-xterm} script -qfec "$cmd" /dev/null >"$BATS_TEST_TMPDIR/pty" </dev/null || status=$?
	tr -d '\r' <"$BATS_TEST_TMPDIR/pty" >"$BATS_TEST_TMPDIR/pty.txt"
}

has_esc() { grep -q $'\033' "$1"; }

@test "progress tty: steps redrawn in place with elapsed time, output and a final summary" {
	on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build --progress tty
	[ "$status" = 0 ]
	f="$BATS_TEST_TMPDIR/pty.txt"
	# Redraws: cursor up and clear; live rows with an elapsed time.
	grep -q $'\033\\[1A\033\\[J' "$f"
	grep -qE ' => \[app 2/5\] RUN echo hello from run  [0-9]+\.[0-9]s' "$f"
	# What stays: each step, the RUN's output, the image, then the summary last.
	grep -q '\[app 2/5\] RUN echo hello from run  [0-9.]*s$' "$f"
	grep -q '^app | hello from run$' <(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$f")
	grep -q '\[app\] built' "$f"
	last=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$f" | grep -v '^$' | tail -1)
	[[ "$last" =~ ^"stack build: 1 built, 0 failed in "[0-9.]+s$ ]]
	# The Dockerfile's control bytes are text, not terminal commands.
	grep -qF '# \x1b]0;pwned\x07 tail' "$f"
	run ! grep -q $'\033\\]0;pwned' "$f"
	run ! grep -q $'\007' "$f"
	assert_build_clean
}

@test "progress auto: tty on a terminal, plain with TERM=dumb or without one; plain has no escape bytes" {
	on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build
	[ "$status" = 0 ]
	has_esc "$BATS_TEST_TMPDIR/pty.txt"
	grep -q '^stack build: 1 built' <(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$BATS_TEST_TMPDIR/pty.txt")
	TERM_FOR_PTY=dumb on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build --no-cache
	[ "$status" = 0 ]
	run ! has_esc "$BATS_TEST_TMPDIR/pty.txt"
	grep -qx '\[app 1/5\] FROM bb  CACHED' "$BATS_TEST_TMPDIR/pty.txt"
	grep -qx 'app | hello from run' "$BATS_TEST_TMPDIR/pty.txt"
	on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build --no-cache --progress plain
	[ "$status" = 0 ]
	run ! has_esc "$BATS_TEST_TMPDIR/pty.txt"
	grep -qF '[app 4/5] RUN true # \x1b]0;pwned\x07 tail' "$BATS_TEST_TMPDIR/pty.txt"
	run ! grep -q $'\007' "$BATS_TEST_TMPDIR/pty.txt"
	# No terminal at all (a CI log): plain, as before.
	run -0 stack build --no-cache
	[[ "$output" != *$'\033'* ]]
	[[ "$output" == *"[app] built"* && "$output" != *"stack build: 1 built"* ]]
}

@test "progress tty: a failing step is said above the live rows and counted in the summary" {
	df app 'FROM bb' 'RUN echo about to fail; exit 3'
	on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build --progress tty
	[ "$status" = 1 ]
	f=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$BATS_TEST_TMPDIR/pty.txt")
	[[ "$f" == *"stack build: error: "*"exit status 3"* ]]
	[[ "$(grep -v '^$' <<<"$f" | tail -1)" =~ ^"stack build: 0 built, 1 failed in " ]]
	run -2 stack build --progress fancy
	[[ "$output" == *"--progress: \`fancy\` is not auto, tty, plain, quiet or json"* ]]
	assert_build_clean
}
