#!/usr/bin/env bats
# Restart policies with Docker's backoff, as a user sees them in `stack
# ps`: a killed main process comes back; a crasher comes back after delays
# that grow (measured from its restart history: the time from each exit to
# the next start); on-failure:N gives up after N; exit 0 is not a failure;
# `no` never restarts; stop and kill never trigger a restart.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() { up_env_setup; }
teardown() { up_env_teardown; }

restarts_at_least() {
	[ "$(ps_field "$1" restarts)" -ge "$2" ]
}

@test "killing the main process from the host: restarted, a new process, restarts counted" {
	stack_file <<-EOF
	services:
	  web:
	    image: bb
	    command: [httpd, -f, -p, "127.0.0.1:$((UP_PORT_BASE + 10))", -h, /etc]
	    restart: always
	EOF
	stack up -d
	pid=$(ps_field web pid)
	kill -KILL "$pid"
	wait_for 20 restarts_at_least web 1
	wait_for 20 state_is web running
	new=$(ps_field web pid)
	[ "$new" != "$pid" ]
	kill -0 "$new"
	[ "$(ps_field web exit_code)" = "" ] # running: no exit code of its own
	run -0 stack ps -a --format json
	[[ "$output" == *'"exit_code": 137'* ]] # the last exit, in its history
}

@test "a crasher is restarted after delays that grow" {
	stack_file <<-'EOF'
	services:
	  crash:
	    image: bb
	    command: [sh, -c, "echo crashing; exit 3"]
	    restart: always
	EOF
	stack up -d
	wait_for 60 restarts_at_least crash 5
	# exit → next start, as measured by the supervisor's clock, per restart
	run -0 python3 -c '
import json, sys
recs = [r for r in json.load(sys.stdin) if r["service"] == "crash"]
h = [x for x in recs[0]["restart_history"] if x["started_at"]]
gaps = [x["started_at"] - x["exited_at"] for x in h]
delays = [x["delay_ms"] for x in h]
print("gaps", gaps, "delays", delays)
assert all(x["exit_code"] == 3 for x in h), h
assert all(b > a for a, b in zip(gaps, gaps[1:])), gaps
assert all(b == 2 * a for a, b in zip(delays, delays[1:])), delays
assert all(g >= d for g, d in zip(gaps, delays)), (gaps, delays)
' < <(stack ps -a --format json)
	echo "$output"
}

@test "on-failure:2 gives up after two restarts; the last exit is kept" {
	stack_file <<-'EOF'
	services:
	  crash: {image: bb, command: [sh, -c, "exit 7"], restart: "on-failure:2"}
	EOF
	stack up -d
	wait_for 30 eval '[ "$(ps_field crash restarts)" = 2 ] && state_is crash exited'
	sleep 1
	state_is crash exited
	[ "$(ps_field crash restarts)" = 2 ]
	[ "$(ps_field crash exit_code)" = 7 ]
	run -0 stack ps
	[[ "$output" != *t-crash-1* ]] # not running: only with -a
	run -0 stack ps -a
	[[ "$output" == *"t-crash-1"*"exited"*" 7 "* ]]
}

@test "on-failure does not restart an exit 0; no never restarts" {
	stack_file <<-'EOF'
	services:
	  ok: {image: bb, command: [true], restart: on-failure}
	  never: {image: bb, command: [sh, -c, "exit 9"], restart: "no"}
	EOF
	stack up -d
	wait_for 20 state_is ok exited
	wait_for 20 state_is never exited
	sleep 1
	[ "$(ps_field ok restarts)" = 0 ]
	[ "$(ps_field ok exit_code)" = 0 ]
	[ "$(ps_field never restarts)" = 0 ]
	[ "$(ps_field never exit_code)" = 9 ]
}

@test "stop, kill and down never trigger a restart, whatever the policy" {
	stack_file <<-'EOF'
	services:
	  a: {image: bb, command: [sleep, "1000"], restart: always}
	  b: {image: bb, command: [sleep, "1000"], restart: unless-stopped}
	  c: {image: bb, command: [sleep, "1000"], restart: on-failure}
	EOF
	stack up -d
	run -0 stack stop -t 1 a
	run -0 stack kill -s TERM b
	run -0 stack kill c
	wait_for 20 state_is b exited
	wait_for 20 state_is c exited
	sleep 1
	for s in a b c; do
		state_is $s exited
		[ "$(ps_field $s restarts)" = 0 ]
	done
	[ "$(ps_field c exit_code)" = 137 ]
	# restart starts a stopped one again
	run -0 stack restart a
	state_is a running
	spid=$(sup_pid)
	run -0 stack down -t 1
	proc_gone "$spid"
	[ -z "$(run_env_cgroup_pids)" ]
}

@test "stop of a service waiting for its backoff cancels the restart" {
	stack_file <<-'EOF'
	services:
	  crash: {image: bb, command: [sh, -c, "exit 1"], restart: always}
	EOF
	stack up -d
	wait_for 30 restarts_at_least crash 4
	run -0 stack stop crash
	n=$(ps_field crash restarts)
	sleep 2
	state_is crash exited
	[ "$(ps_field crash restarts)" = "$n" ]
}

@test "depends_on: service_completed_successfully waits for the exit; a failed one blocks its dependent" {
	stack_file <<-'EOF'
	services:
	  init: {image: bb, command: [sh, -c, "sleep 1; echo init done"]}
	  app:
	    image: bb
	    command: [sleep, "1000"]
	    depends_on: {init: {condition: service_completed_successfully}}
	  bad: {image: bb, command: [sh, -c, "exit 4"]}
	  blocked:
	    image: bb
	    command: [sleep, "1000"]
	    depends_on: {bad: {condition: service_completed_successfully}}
	EOF
	run stack up -d
	wait_for 20 state_is app running
	# app started after init ended
	init_end=$(ps_field init finished_at)
	app_start=$(ps_field app started_at)
	[ "$app_start" -ge "$init_end" ]
	wait_for 20 state_is blocked exited
	[[ "$(ps_field blocked error)" == *"dependency \`bad\` did not complete successfully (exit 4)"* ]]
	[ "$(ps_field blocked pid)" = 0 ]
}

@test "down -t 1 cuts short a stop that is waiting out a long grace period" {
	stack_file <<-'EOF'
	services:
	  stubborn:
	    image: bb
	    command: [sh, -c, "trap '' TERM; while :; do sleep 1; done"]
	    stop_grace_period: 10m
	EOF
	stack up -d
	stack_bg "$BATS_TEST_TMPDIR/stop.out" "$BATS_TEST_TMPDIR/stop.err" stop
	wait_for 10 state_is stubborn stopping
	run -0 stack down -t 1
	[ "$(project_leftovers)" -eq 0 ]
	wait_exit "$BG_PID" 10
}
