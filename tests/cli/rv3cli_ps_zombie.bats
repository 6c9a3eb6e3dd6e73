#!/usr/bin/env bats
# `stack ps` without a supervisor judges each container from its state
# file: a recorded pid that is now a zombie (an init killed, not reaped) or
# a process of another start time (a reused pid) is not running.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() {
	run_env_setup_file
	export STACK_CGROUP_PARENT="stack-zombie-$$"
}
teardown_file() { up_env_teardown_file; }
setup() { up_env_setup; }
teardown() { up_env_teardown; }

# proc_field PID N: field N of /proc/PID/stat (counted after the comm).
proc_field() {
	sed 's/.*) //' "/proc/$1/stat" | awk -v n="$(($2 - 2))" '{ print $n }'
}

# point_state PID START: the state file of service s records PID and START.
point_state() {
	python3 - "$1" "$2" "$STACK_RUN"/t/*.state <<-'EOF'
	import json, sys
	pid, start, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
	rec = json.load(open(path))
	rec["pid"], rec["pid_start_time"] = pid, start
	json.dump(rec, open(path, "w"))
	EOF
}

@test "ps without a supervisor: a zombie or a reused pid in a state file is not running" {
	one_service '{image: bb, command: [sleep, "1000"]}'
	stack up -d
	wait_for 10 state_is s running
	# the supervisor and its container die; the state file stays
	kill -KILL "$(sup_pid)"
	wait_for 10 eval '! sup_alive'
	[ "$(ls "$STACK_RUN"/t/*.state | wc -l)" -eq 1 ]

	# a live process of the recorded start time: shown running (orphaned)
	sleep 1000 &
	live=$!
	RUN_BG_PIDS+=("$live")
	point_state "$live" "$(proc_field "$live" 22)"
	run -0 --separate-stderr stack ps -q --status running
	[ "$output" = t-s-1 ]

	# the same pid with another start time: a reused pid, not running
	point_state "$live" "$(($(proc_field "$live" 22) + 1))"
	run -0 --separate-stderr stack ps -q --status running
	[ -z "$output" ]

	# a zombie of the recorded start time: a parent that never reaps it
	python3 -c 'import os, time
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
time.sleep(1000)' >"$BATS_TEST_TMPDIR/zombie" &
	RUN_BG_PIDS+=("$!")
	wait_for 10 test -s "$BATS_TEST_TMPDIR/zombie"
	zombie=$(cat "$BATS_TEST_TMPDIR/zombie")
	wait_for 10 eval '[ "$(proc_field "$zombie" 3)" = Z ]'
	point_state "$zombie" "$(proc_field "$zombie" 22)"
	run -0 --separate-stderr stack ps -q --status running
	[ -z "$output" ]
	run -0 --separate-stderr stack ps --format json
	[[ "$output" != *'"state": "running"'* ]]
	run -0 --separate-stderr stack ps -a --format json
	[[ "$output" == *'"state": "exited"'* ]]
}
