#!/usr/bin/env bats
# Logs: per service JSON-lines files (time, stream, line), read by `stack
# logs` with or without a supervisor; -f follows across restarts; --tail
# and -t; kept after stop, removed by down; rotation at max-size keeps
# max-file files while a service floods, and the flood neither stalls the
# supervisor (it answers) nor grows its memory.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() { up_env_setup; }
teardown() { up_env_teardown; }

@test "the log file is JSON lines of time, stream and line; logs shows both streams" {
	# the unfinished last line is written when the output ends
	one_service '{image: bb, command: [sh, -c, "echo to-out; echo to-err >&2; printf \"no newline\""]}'
	stack up -d
	wait_for 10 state_is s exited
	wait_for 10 grep -q "no newline" "$STACK_ROOT/logs/t/s.log"
	run -0 python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert all(set(r) == {"time", "stream", "line"} for r in recs), recs
assert {"stream": "stdout", "line": "to-out"} in [{k: r[k] for k in ("stream", "line")} for r in recs]
assert {"stream": "stderr", "line": "to-err"} in [{k: r[k] for k in ("stream", "line")} for r in recs]
assert all(r["time"].endswith("Z") for r in recs)
' "$STACK_ROOT/logs/t/s.log"
	run -0 stack logs --no-color
	[[ "$output" == *"s | to-out"* ]]
	[[ "$output" == *"s | to-err"* ]]
	run -0 stack logs --no-log-prefix --tail 2 s
	[ "${#lines[@]}" -eq 2 ]
	run -0 stack logs -t --no-log-prefix --tail 1
	[[ "$output" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z\ (to-out|to-err|no\ newline)$ ]]
}

@test "bytes that are not UTF-8 and over-long lines reach the log intact as far as JSON allows" {
	one_service '{image: bb, command: [sh, -c, "printf \"bad \\377\\376 bytes\\n\"; head -c 40000 /dev/zero | tr \"\\0\" a; echo; exec sleep 1000"]}'
	stack up -d
	wait_for 10 eval '[ "$(wc -l <"$STACK_ROOT/logs/t/s.log")" -ge 4 ]'
	run -0 stack logs --no-log-prefix
	[[ "${lines[0]}" == "bad "*" bytes" ]]
	# 40000 bytes: split at 16 KiB, nothing lost
	[ "${#lines[1]}" -eq 16384 ]
	[ "${#lines[2]}" -eq 16384 ]
	[ "${#lines[3]}" -eq 7232 ]
}

@test "logs -f follows the service across a restart, and ends with the supervisor" {
	one_service '{image: bb, command: [sh, -c, "echo run-$$(date +%s%N); sleep 1; exit 1"], restart: always}'
	stack up -d
	stack_bg "$BATS_TEST_TMPDIR/follow" "$BATS_TEST_TMPDIR/follow.err" logs -f --no-log-prefix
	wait_for 30 eval '[ "$(grep -c ^run- "$BATS_TEST_TMPDIR/follow")" -ge 3 ]'
	[ "$(sort -u "$BATS_TEST_TMPDIR/follow" | grep -c ^run-)" -ge 3 ]
	stack down -t 1
	wait_exit "$BG_PID" 10
	[ "$BG_STATUS" -eq 0 ]
}

@test "logs are kept after stop and after the supervisor is gone, and removed by down" {
	one_service '{image: bb, command: [sh, -c, "echo kept-line; exec sleep 1000"]}'
	stack up -d
	wait_for 10 grep -q kept-line "$STACK_ROOT/logs/t/s.log"
	stack stop -t 1
	run -0 stack logs --no-log-prefix
	[ "$output" = kept-line ]
	kill -KILL "$(sup_pid)"
	wait_for 10 eval '! sup_alive'
	run -0 stack logs --no-log-prefix
	[ "$output" = kept-line ]
	run -0 stack logs -f --no-log-prefix
	[ "$output" = kept-line ]
	stack down
	[ ! -e "$STACK_ROOT/logs/t" ]
	run -0 stack logs
	[ -z "$output" ]
}

@test "a flood is rotated at max-size into max-file files; the supervisor answers and its memory stays flat" {
	one_service '{image: bb, command: [sh, -c, "exec yes flooding-the-log-with-this-line"], logging: {options: {max-size: 64k, max-file: "3"}}}'
	# Under AddressSanitizer freed memory waits in its quarantine (256 MB):
	# what is measured here is ours, so keep that small.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" stack up -d
	spid=$(sup_pid)
	wait_for 20 test -e "$STACK_ROOT/logs/t/s.log.2"
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$spid/status")
	for i in $(seq 10); do
		run -0 stack ps
		[[ "$output" == *"t-s-1"*"running"* ]]
	done
	sleep 2
	rss2=$(awk '/^VmRSS/ { print $2 }' "/proc/$spid/status")
	# three files at most, none much above max-size (one line over)
	[ ! -e "$STACK_ROOT/logs/t/s.log.3" ]
	# (the rotation is under way as we look: a file may be between names)
	for f in "$STACK_ROOT"/logs/t/s.log*; do
		size=$(stat -c %s "$f" 2>/dev/null) || continue
		[ "$size" -le $((64 * 1024 + 200)) ]
	done
	echo "rss before $rss1 kB, after $rss2 kB"
	[ "$rss2" -le $((rss1 + 2048)) ]
	# the rotated files are whole JSON lines, oldest first
	run -0 stack logs --no-log-prefix --tail 3
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[2]}" = flooding-the-log-with-this-line ]
	stack stop -t 1
}

@test "logging: an unsupported driver or a bad size is a clear error at load" {
	one_service '{image: bb, logging: {driver: syslog}}'
	run -2 stack config
	[[ "$output" == *"logging.driver"*"syslog"*"not supported"* ]]
	one_service '{image: bb, logging: {options: {max-size: lots}}}'
	run -2 stack config
	[[ "$output" == *"max-size"* ]]
	one_service '{image: bb, logging: {options: {max-file: "0"}}}'
	run -2 stack config
	[[ "$output" == *"max-file"* ]]
	one_service '{image: bb, logging: {driver: json-file, options: {max-size: 1m, max-file: "2"}}}'
	run -0 stack config --format json
	[[ "$output" == *'"max-size": 1048576'* ]]
}

@test "on a terminal the prefixes are coloured, unless NO_COLOR or --no-color" {
	stack_file <<-'EOF'
	services:
	  a: {image: bb, command: [sh, -c, "echo from-a"]}
	  bee: {image: bb, command: [sh, -c, "echo from-bee"]}
	EOF
	stack up -d
	wait_for 10 eval 'state_is a exited && state_is bee exited'
	pty() { python3 "$STACK_SRC/tests/cli/helpers/pty_session.py" -- "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" "$@"; }
	run -0 pty logs
	[[ "$output" == *$'\e[36ma   |\e[0m from-a'* ]]
	[[ "$output" == *$'\e[33mbee |\e[0m from-bee'* ]]
	NO_COLOR=1 run -0 pty logs
	[[ "$output" != *$'\e['* ]]
	[[ "$output" == *"a   | from-a"* ]]
	run -0 pty logs --no-color
	[[ "$output" != *$'\e['* ]]
	run -0 pty logs --no-log-prefix bee
	[[ "$output" == *"from-bee"* && "$output" != *"|"* ]]
}
