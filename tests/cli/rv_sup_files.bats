#!/usr/bin/env bats
# Hostile files where the supervisor keeps its record: a FIFO or a
# symlink planted (by anyone who can write STACK_ROOT) at the events file
# or at a log file.  A FIFO must not hang the supervisor's loop (open and
# write block on one with no reader), a symlink must not carry a write or
# a read elsewhere; the supervisor goes on without that file, and `stack
# logs` / `stack events` refuse it with a clear error instead of hanging
# or following it.  Every stack command is bounded by `timeout` (the
# `stack` helper): a hang fails the test with 124.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	rm -rf "$STACK_ROOT"/events/t.jsonl* "$STACK_ROOT/logs/t"
	mkdir -p "$STACK_ROOT/events" "$STACK_ROOT/logs/t"
	one_service '{image: bb, command: [sh, -c, "echo out-line; exec sleep 1000"]}'
	# what a symlink points at: outside STACK_ROOT, and a log line of
	# its own (a reader that follows the link would print it)
	OUTSIDE="$BATS_TEST_TMPDIR/outside"
	printf '{"time":"2026-01-01T00:00:00Z","stream":"stdout","line":"outside-secret"}\n' >"$OUTSIDE"
	touch -d '2020-01-01 00:00:00' "$OUTSIDE"
	OUTSIDE_SUM=$(stat -c '%s %Y' "$OUTSIDE")$(sha256sum <"$OUTSIDE")
}
# A supervisor stuck opening a FIFO (the bug these tests are for) has not
# taken its pid file, so up_env_teardown cannot find it; it still holds
# bats' output, which would hang the suite: found by its stack file.
kill_stuck() {
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$BATS_TEST_TMPDIR/stack.yaml"; then
			kill -KILL "${p#/proc/}" 2>/dev/null || true
		fi
	done
}
teardown() {
	local rc=0
	up_env_teardown || rc=$?
	kill_stuck
	rm -f "$STACK_ROOT"/events/t.jsonl*
	return $rc
}

outside_untouched() {
	[ "$(stat -c '%s %Y' "$OUTSIDE")$(sha256sum <"$OUTSIDE")" = "$OUTSIDE_SUM" ]
}

# stack up -d, its output in a file, not a pipe of bats (nor bats' fd 3):
# a supervisor stuck in an open (the old bug) would hold a pipe open and
# hang the test past every timeout
up_d() {
	local rc=0
	RUN_TIMEOUT=30 stack up -d >"$BATS_TEST_TMPDIR/up.out" 2>&1 3>&- || rc=$?
	cat "$BATS_TEST_TMPDIR/up.out"
	return $rc
}

# up -d with the file planted: the supervisor comes up and answers, the
# service runs; RUN_TIMEOUT bounds each command
up_answers() {
	up_d
	wait_for 10 state_is s running
	RUN_TIMEOUT=10 run -0 stack ps
	[[ "$output" == *t-s-1* ]]
}

# refuses FILE KIND ARGS...: `stack ARGS` exits 1 at once, saying FILE is
# not a regular file but a KIND, and shows nothing of what is behind it
refuses() {
	local file=$1 kind=$2
	shift 2
	RUN_TIMEOUT=10 run --separate-stderr -1 stack "$@"
	[[ "$stderr" == *"$file"*"not a regular file (a $kind)"* ]]
	[[ "$output$stderr" != *outside-secret* ]]
}

# ... and down ends it all
down_works() {
	RUN_TIMEOUT=30 run -0 stack down -t 1
	! sup_alive
}

@test "a FIFO at the events file: the supervisor runs without it; stack events refuses it, no hang" {
	mkfifo "$STACK_ROOT/events/t.jsonl"
	up_answers
	# the supervisor said why it has no record
	grep -q 'events.*t.jsonl.*not a regular file (a FIFO)' "$STACK_ROOT/logs/t/_supervisor.log"
	refuses "t.jsonl" "FIFO" events
	down_works
	[ -p "$STACK_ROOT/events/t.jsonl" ] # left as it was: not ours to remove
	refuses "t.jsonl" "FIFO" events
}

@test "a symlink at the events file: not followed by the supervisor nor by stack events" {
	ln -s "$OUTSIDE" "$STACK_ROOT/events/t.jsonl"
	up_answers
	down_works
	outside_untouched
	[ -L "$STACK_ROOT/events/t.jsonl" ]
	refuses "t.jsonl" "symbolic link" events --json --since 0
	outside_untouched
}

@test "a FIFO at a service's log file: the service runs without a log; stack logs refuses it, no hang" {
	mkfifo "$STACK_ROOT/logs/t/s.log"
	up_answers
	grep -q 's.log.*not a regular file (a FIFO)' "$STACK_ROOT/logs/t/_supervisor.log"
	refuses "s.log" "FIFO" logs
	refuses "s.log" "FIFO" logs -f
	down_works
}

@test "a symlink at a service's log file: not written through, not read through" {
	ln -s "$OUTSIDE" "$STACK_ROOT/logs/t/s.log"
	up_answers
	refuses "s.log" "symbolic link" logs
	outside_untouched
	down_works
	outside_untouched
}

@test "a FIFO at the supervisor's own log: stack up -d does not hang on it" {
	mkfifo "$STACK_ROOT/logs/t/_supervisor.log"
	up_answers
	down_works
}
