#!/usr/bin/env bats
# The compose flags of issue 8: `logs --since/--until`, `ps --status` (and
# `--filter status=`), `down -v` and `down --rmi local|all`, on real
# stacks of busybox services, with hostile input for each.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() {
	run_env_setup_file
	export STACK_CGROUP_PARENT="stack-flags-$$"
}
teardown_file() { up_env_teardown_file; }
setup() { up_env_setup; }
teardown() { up_env_teardown; }

# log_rec TIME LINE: one record of a service's log file.
log_rec() {
	printf '{"time": "%s", "stream": "stdout", "line": "%s"}\n' "$1" "$2"
}

# A stack that never ran, with log files of known times for service s:
# s.log.1 (rotated, older) then s.log; and one line of service u between.
fake_logs() {
	printf 'services:\n  s: {image: bb}\n  u: {image: bb}\n' | stack_file
	mkdir -p "$STACK_ROOT/logs/t"
	{
		log_rec 2026-01-01T10:00:00.000000000Z r1
		log_rec 2026-01-01T11:00:00.000000000Z r2
	} >"$STACK_ROOT/logs/t/s.log.1"
	{
		log_rec 2026-01-01T12:00:00.000000000Z c1
		log_rec 2026-01-01T13:00:00.500000000Z c2
		log_rec 2026-01-01T14:00:00.000000000Z c3
	} >"$STACK_ROOT/logs/t/s.log"
	log_rec 2026-01-01T12:30:00.000000000Z u1 >"$STACK_ROOT/logs/t/u.log"
}

@test "logs --since/--until select by time across rotated files, both ends included" {
	fake_logs
	run -0 stack logs --no-log-prefix s
	[ "$(echo $output)" = "r1 r2 c1 c2 c3" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T11:00:00Z s
	[ "$(echo $output)" = "r2 c1 c2 c3" ]
	run -0 stack logs --no-log-prefix --until 2026-01-01T12:00:00Z s
	[ "$(echo $output)" = "r1 r2 c1" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T10:30:00Z --until 2026-01-01T13:00:00.5Z s
	[ "$(echo $output)" = "r2 c1 c2" ]
	# zones and Unix times name the same instants
	run -0 stack logs --no-log-prefix --since 2026-01-01T11:30:00+01:00 --until 1767272400 s
	[ "$(echo $output)" = "r2 c1" ]
	# merged across services by time, the window applied to each
	run -0 stack logs --no-color --since 2026-01-01T12:00:00Z --until 2026-01-01T13:00:00Z
	[ "${lines[0]}" = "s | c1" ]
	[ "${lines[1]}" = "u | u1" ]
	[ "${#lines[@]}" -eq 2 ]
	# -t shows the times the window was taken on
	run -0 stack logs --no-log-prefix -t --since 2026-01-01T14:00:00Z s
	[ "$output" = "2026-01-01T14:00:00.000000000Z c3" ]
}

@test "logs --tail counts the lines inside the window, not the whole file" {
	fake_logs
	run -0 stack logs --no-log-prefix --until 2026-01-01T12:00:00Z --tail 2 s
	[ "$(echo $output)" = "r2 c1" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T10:00:00Z --until 2026-01-01T11:00:00Z --tail 5 s
	[ "$(echo $output)" = "r1 r2" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T12:00:00Z --tail 0 s
	[ -z "$output" ]
}

@test "logs --since a duration on a running stack; -f --until a past time ends by itself" {
	one_service '{image: bb, command: [sh, -c, "echo first-line; until [ -e /tmp/go ]; do sleep 0.1; done; echo later-line; exec sleep 1000"]}'
	stack up -d
	wait_for 10 grep -q first-line "$STACK_ROOT/logs/t/s.log"
	run -0 stack logs --no-log-prefix --since 1h
	[ "$output" = first-line ]
	# an hour ago nothing had been written yet
	run -0 stack logs --no-log-prefix --until 1h
	[ -z "$output" ]
	# the line was written before now: a --since of now hides it
	now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	run -0 stack logs --no-log-prefix --since "$now"
	[ -z "$output" ]
	# the supervisor is alive, yet a follow bounded by the past returns
	sup_alive
	run -0 stack logs -f --no-log-prefix --until "$now"
	[ "$output" = first-line ]
	# a follow from a time on shows what comes after it, then ends with the stack
	stack_bg "$BATS_TEST_TMPDIR/follow" "$BATS_TEST_TMPDIR/follow.err" logs -f --no-log-prefix --since "$now"
	stack exec s touch /tmp/go
	wait_for 10 grep -q later-line "$BATS_TEST_TMPDIR/follow"
	! grep -q first-line "$BATS_TEST_TMPDIR/follow"
	stack down -t 1
	wait_exit "$BG_PID" 10
	[ "$BG_STATUS" -eq 0 ]
}

@test "hostile --since/--until: garbage, negative, too far, terminal escapes are usage errors" {
	fake_logs
	for t in yesterday "" -10m -1 10mm "2026-13-01" "2026-02-30T00:00:00Z" "10000-01-01" \
		"2026-01-01T12:00:00Z; rm -rf /" 99999999999999999999 "9999999999h" "1.5"x; do
		run -2 stack logs --since "$t"
		[[ "$output" == *"--since"*"RFC 3339"*"duration back from now"* ]]
		run -2 stack logs --until "$t"
		[[ "$output" == *"--until"* ]]
	done
	run -2 stack logs --since -10m
	[[ "$output" == *"cannot be negative"* ]]
	# an escape sequence in the argument is shown, not played to the terminal
	run -2 stack logs --since $'\e[2J\e]0;owned\a'
	[[ "$output" != *$'\e'* ]]
	[[ "$output" == *'\x1b[2J'* ]]
	# far future and far past are valid: nothing, everything
	run -0 stack logs --no-log-prefix --since 9999-12-31T23:59:59Z s
	[ -z "$output" ]
	run -0 stack logs --no-log-prefix --since 1900-01-01T00:00:00Z s
	[ "$(echo $output)" = "r1 r2 c1 c2 c3" ]
	run -0 stack logs --no-log-prefix --since 2000000h s
	[ "$(echo $output)" = "r1 r2 c1 c2 c3" ]
	# the log files are untouched by any of it
	[ "$(wc -l <"$STACK_ROOT/logs/t/s.log")" -eq 3 ]
}
