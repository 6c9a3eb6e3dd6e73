#!/usr/bin/env bats
# `stack events`: what the supervisor records of its containers (create,
# start, die, oom, health_status, restart, kill, stop, destroy), followed
# live while the stack runs and shown from the record once it is down; a
# damaged events file costs the damaged lines (with a warning), nothing
# else.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
# STACK_ROOT is the file's: each test starts without a record
setup() {
	up_env_setup
	rm -f "$STACK_ROOT"/events/t.jsonl*
}
teardown() { up_env_teardown; }

events_file() { echo "$STACK_ROOT/events/t.jsonl"; }

# every recorded event so far, as JSON lines (the supervisor alive or not)
recorded() {
	stack events --json --since 0 --until "$(date -u +%s.%N)" "$@"
}

# "ACTION SERVICE [ATTR=VALUE]" per recorded event, in order
actions() {
	recorded "$@" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    a = e["attributes"]
    extra = ""
    if e["action"] == "die":
        extra = " exit=%d" % a["exit_code"]
    elif e["action"] == "kill":
        extra = " " + a["signal"]
    elif e["action"] == "health_status":
        extra = " " + a["health_status"]
    print(e["action"], e["service"] + extra)
'
}

has_action() {
	actions | grep -qx -- "$1"
}

@test "a crasher's life: create, start, die with its exit code, restart by the policy; each record names service and container" {
	stack_file <<-'EOF'
	services:
	  crash:
	    image: bb
	    command: [sh, -c, "exit 3"]
	    restart: on-failure:2
	EOF
	run -0 stack up -d
	wait_for 30 state_is crash exited
	run -0 actions
	echo "$output"
	[ "${lines[0]}" = "create crash" ]
	[ "${lines[1]}" = "start crash" ]
	[ "${lines[2]}" = "die crash exit=3" ]
	[ "${lines[3]}" = "start crash" ]
	[ "${lines[4]}" = "restart crash" ]
	# two restarts, then the policy gives up: three deaths
	[ "$(grep -cx 'die crash exit=3' <<<"$output")" -eq 3 ]
	[ "$(grep -cx 'restart crash' <<<"$output")" -eq 2 ]
	run --separate-stderr -0 recorded
	python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    assert e["type"] == "container" and e["service"] == "crash" and e["container"] == "t-crash-1", e
    assert e["time"].endswith("Z"), e
' <<<"$output"
}

@test "kill, stop and restart by the user; destroy at down; the record stays after down" {
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    command: [sleep, "1000"]
	EOF
	run -0 stack up -d
	run -0 stack kill -s KILL s
	wait_for 20 state_is s exited
	run -0 stack start s
	run -0 stack restart -t 5 s
	run -0 stack stop -t 5 s
	run -0 stack down -t 1
	run -0 actions
	echo "$output"
	want=(
		"create s" "start s" "kill s SIGKILL" "die s exit=137"
		"start s"
		"kill s SIGTERM" "die s exit=143" "stop s" "start s" "restart s"
		"kill s SIGTERM" "die s exit=143" "stop s"
		"destroy s"
	)
	[ "${#lines[@]}" -eq "${#want[@]}" ]
	for i in "${!want[@]}"; do
		[ "${lines[$i]}" = "${want[$i]}" ]
	done
	# down is over: what was recorded is shown, and the user is told
	run --separate-stderr -0 stack events
	[[ "$stderr" == *"project \`t\` is not running"* ]]
	[[ "$output" == *"container destroy t-s-1 (service=s)"* ]]
	[[ "$output" == *"container die t-s-1 (exit_code=137"* ]]
}

@test "following: live events as they happen, only of the services asked for, until the stack goes down" {
	stack_file <<-'EOF'
	services:
	  a:
	    image: bb
	    command: [sleep, "1000"]
	  b:
	    image: bb
	    command: [sleep, "1000"]
	EOF
	run -0 stack up -d
	stack_bg "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/ev.err" events --json a
	follower=$BG_PID
	# what happened before the follower started is not repeated
	sleep 0.3
	run -0 stack kill -s KILL a
	run -0 stack kill -s KILL b
	wait_for 20 grep -q '"action":"die"' "$BATS_TEST_TMPDIR/ev"
	kill -0 "$follower" # still following
	run -0 stack down -t 1
	wait_exit "$follower" 20
	[ "$BG_STATUS" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/ev"
	run -0 python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acts = [e["action"] for e in ev]
assert all(e["service"] == "a" for e in ev), ev
assert "create" not in acts and acts[0] == "kill", acts
assert acts[-1] == "destroy", acts
' "$BATS_TEST_TMPDIR/ev"
}

@test "Ctrl-C ends a follower (exit 130); the stack runs on" {
	one_service '{image: bb, command: [sleep, "1000"]}'
	run -0 stack up -d
	stack_bg "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/ev.err" events
	sleep 0.3
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 10
	[ "$BG_STATUS" -eq 130 ]
	sup_alive
	state_is s running
}

@test "an OOM kill: oom then die 137, and OOMKilled in ps" {
	one_service '{image: bb, mem_limit: 32m, command: [syscall-probe, memhog, "200"]}'
	run -0 stack up -d
	wait_for 30 state_is s exited
	[ "$(ps_field s oom_killed)" = True ]
	[ "$(ps_field s exit_code)" = 137 ]
	run -0 stack ps -a
	[[ "$output" == *"137"*"yes"* ]] # the OOM column
	run -0 actions
	echo "$output"
	grep -n . <<<"$output" | grep -q 'oom s'
	oom=$(grep -nx 'oom s' <<<"$output" | cut -d: -f1)
	die=$(grep -nx 'die s exit=137' <<<"$output" | cut -d: -f1)
	[ -n "$oom" ]
	[ -n "$die" ]
	[ "$oom" -lt "$die" ]
	run --separate-stderr -0 recorded
	[[ "$output" == *'"action":"die"'*'"oom_killed":true'* ]]
}

@test "health_status: healthy, then unhealthy" {
	stack_file <<-'EOF'
	services:
	  h:
	    image: bb
	    command: [sleep, "1000"]
	    healthcheck: {test: [CMD-SHELL, "test ! -e /tmp/sick"], interval: 200ms, timeout: 1s, retries: 1}
	EOF
	run -0 stack up -d
	wait_for 30 has_action "health_status h healthy"
	run -0 stack exec -T h touch /tmp/sick
	wait_for 30 has_action "health_status h unhealthy"
}

@test "hostile: a project never started, an unknown service, a bad --since" {
	one_service '{image: bb, command: [sleep, "1000"]}'
	run --separate-stderr -0 stack events
	[ -z "$output" ]
	[[ "$stderr" == *"project \`t\` is not running; no recorded events"* ]]
	run --separate-stderr -2 stack events nosuch
	[[ "$stderr" == *"no service \`nosuch\`"* ]]
	run --separate-stderr -2 stack events --since yesterday-ish
	[[ "$stderr" == *"--since: \`yesterday-ish\` is neither a time nor a duration; use an RFC 3339 time"* ]]
	# a negative duration is a time to come, not one back: refused, as by `stack logs`
	run --separate-stderr -2 stack events --until -10m
	[[ "$stderr" == *"--until: "*"-10m"* ]]
	# the argument comes back escaped: no terminal control from a typo'd paste
	run --separate-stderr -2 stack events --since $'2026\e]0;pwned\a'
	! grep -q $'\e' <<<"$stderr"
	[[ "$stderr" == *'\x1b]0;pwned\x07'* ]]
	[ ! -e "$(events_file)" ] # nothing made
}

@test "hostile: garbage, a cut line and an over-long line in the events file are skipped with a warning" {
	one_service '{image: bb, command: [sleep, "1000"]}'
	run -0 stack up -d
	run -0 stack down -t 1
	f=$(events_file)
	n=$(wc -l <"$f")
	{
		echo 'this is not JSON'
		echo '{"time": "yesterday", "action": "start", "service": "s", "container": "t-s-1"}'
		echo '[1, 2, 3]'
		head -c 70000 /dev/zero | tr '\0' x
		echo
		echo '{"time":"2026-01-01T00:00:00Z","type":"container","action":"start","service":"s","container":"t-s-1","attributes":{}}'
		printf '{"time":"2026-01-01T00:00:01Z","action":"di'
	} >>"$f"
	run --separate-stderr -0 stack events --json
	echo "$stderr"
	[ "${#lines[@]}" -eq $((n + 1)) ] # the good ones, the appended good one too
	[[ "${lines[-1]}" == *'"time":"2026-01-01T00:00:00Z"'* ]]
	[ "$(grep -c 'warning:.*skipped' <<<"$stderr")" -eq 5 ]
	[[ "$stderr" == *"t.jsonl:$((n + 1)): skipped: not JSON"* ]]
	[[ "$stderr" == *"t.jsonl:$((n + 2)): skipped: \`time\` \`yesterday\` is not an RFC 3339 UTC time"* ]]
	[[ "$stderr" == *"line longer than 64 KiB"* ]]
	[[ "$stderr" == *"incomplete last line"* ]]
	# a truncated (empty) file: nothing to show, no error
	: >"$f"
	run --separate-stderr -0 stack events
	[ -z "$output" ]
}

@test "the rotated file is read first: history across a rotation, in order" {
	one_service '{image: bb, command: [sleep, "1000"]}'
	mkdir -p "$STACK_ROOT/events"
	rec() { printf '{"time":"%s","type":"container","action":"%s","service":"s","container":"t-s-1","attributes":{}}\n' "$1" "$2"; }
	{ rec 2026-01-01T00:00:00Z create; rec 2026-01-01T00:00:01Z start; } >"$STACK_ROOT/events/t.jsonl.1"
	rec 2026-01-01T00:00:02Z die >"$STACK_ROOT/events/t.jsonl"
	run --separate-stderr -0 stack events --json
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *create* && "${lines[1]}" == *start* && "${lines[2]}" == *die* ]]
	run --separate-stderr -0 stack events --json --since 2026-01-01T00:00:01Z --until 2026-01-01T00:00:01.5Z
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *start* ]]
	# the same instant written in another zone selects the same event
	run --separate-stderr -0 stack events --json --since 2026-01-01T02:00:01+02:00 --until 2025-12-31T23:00:01.5-01:00
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *start* ]]
}

@test "an OOM kill of a child while the container lives on: oom, and the container keeps running" {
	one_service '{image: bb, mem_limit: 32m, command: [sh, -c, "syscall-probe memhog 200; echo hog-gone; sleep 1000"]}'
	run -0 stack up -d
	wait_for 30 has_action "oom s"
	state_is s running
	run -0 actions
	! grep -q '^die' <<<"$output" || false
	run --separate-stderr -0 recorded
	[[ "$output" == *'"action":"oom"'*'"oom_kills":1'* ]]
	wait_for 20 eval 'stack logs s | grep -q hog-gone'
}

@test "OOM kills of children a moment apart: one oom event each (told by the kernel, not seen by a poll each second)" {
	# three kills within well under a second: a look at the count each
	# second sees at most two of its rises
	one_service '{image: bb, mem_limit: 32m, command: [sh, -c, "for i in 1 2 3; do syscall-probe memhog 200; sleep 0.1; done; echo hogs-gone; exec sleep 1000"]}'
	run -0 stack up -d
	wait_for 20 eval 'stack logs s | grep -q hogs-gone'
	sleep 0.5
	run --separate-stderr -0 recorded
	echo "$output"
	[ "$(grep -c '"action":"oom"' <<<"$output")" -eq 3 ]
	for n in 1 2 3; do
		[[ "$output" == *'"action":"oom"'*'"oom_kills":'$n'}'* ]]
	done
	state_is s running
}
