#!/usr/bin/env bats
# stack up -d / ps / down with a supervisor, and the supervisor's death:
# up -d returns with every service started, ps shows each container with
# its effective security settings, down leaves no process, mount, cgroup,
# pid file, socket or log of the project; after kill -9 of the supervisor
# its containers are gone with it, ps says so, up brings the stack back
# and down removes everything.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	stack_file <<-EOF
	services:
	  web:
	    image: bb
	    command: [httpd, -f, -p, "127.0.0.1:$((UP_PORT_BASE + 1))", -h, /etc]
	    cap_drop: [NET_RAW]
	  worker:
	    image: bb
	    user: earl
	    command: [sh, -c, "echo worker up; exec sleep 1000"]
	EOF
}
teardown() { up_env_teardown; }

@test "up -d starts every service under one supervisor and returns" {
	run -0 stack up -d
	[[ "$output" == *"t-web-1  Started"* ]]
	[[ "$output" == *"t-worker-1  Started"* ]]
	sup_alive
	state_is web running
	state_is worker running
	# the containers are real processes in their cgroups
	pid=$(ps_field web pid)
	kill -0 "$pid"
	[ -n "$(run_env_cgroup_pids)" ]
	# compose's names
	run -0 stack ps -q
	[ "${lines[0]}" = t-web-1 ] || [ "${lines[1]}" = t-web-1 ]
	[[ "$output" == *t-worker-1* ]]
}

@test "ps shows the effective user, capabilities, seccomp and no_new_privs" {
	stack up -d
	[ "$(ps_field worker user)" = "1000:1000" ]
	[ "$(ps_field web user)" = "0:0" ]
	[ "$(ps_field web seccomp)" = filter ]
	[ "$(ps_field web no_new_privs)" = True ]
	# NET_RAW dropped from Docker's default set, as /proc says
	[ "$(ps_field web cap_eff)" = "$(cap_mask $(docker_caps_minus NET_RAW))" ]
	run -0 stack ps
	[[ "$output" == *"NAME"*"STATE"*"PID"*"EXIT"*"OOM"*"RESTARTS"*"UPTIME"*"USER"*"CAPEFF"*"SECCOMP"*"NNP"* ]]
	[[ "$output" == *"t-worker-1"*"running"*"1000:1000"* ]]
}

@test "down leaves no process, mount, cgroup, state, pid file, socket or log of the project" {
	before=$(project_leftovers)
	[ "$before" -eq 0 ]
	stack up -d
	[ "$(project_leftovers)" -gt 0 ]
	spid=$(sup_pid)
	[ -S "$STACK_RUN/t/supervisor.sock" ]
	run -0 stack down
	[[ "$output" == *"t-web-1  Removed"* ]]
	proc_gone "$spid"
	[ "$(project_leftovers)" -eq 0 ]
	[ ! -e "$STACK_RUN/t" ]
	[ ! -e "$STACK_ROOT/logs/t" ]
	assert_no_leftovers
}

@test "the control socket and the run dir are root-only" {
	stack up -d
	[ "$(stat -c %a "$STACK_RUN/t/supervisor.sock")" = 600 ]
	[ "$(stat -c %a "$STACK_RUN/t")" = 700 ]
	# uid 1000 cannot talk to it
	run ! setpriv --reuid 1000 --regid 1000 --clear-groups python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
' "$STACK_RUN/t/supervisor.sock"
}

@test "kill -9 of the supervisor: containers die with it; ps says so; up restarts; down cleans up" {
	stack up -d
	spid=$(sup_pid)
	wpid=$(ps_field web pid)
	kill -KILL "$spid"
	wait_for 10 eval '! kill -0 '"$wpid"' 2>/dev/null'
	run -0 stack ps -a
	[[ "$output" == *"supervisor of project \`t\` is not running"* ]]
	[[ "$output" == *"t-web-1"*"exited"* ]]
	[[ "$output" != *"running"*"1000:1000"* ]]
	run -0 stack ps -a --format json
	[[ "$output" == *'"note": "died with its supervisor"'* ]]
	# up sweeps what the dead one left and starts the stack again
	run -0 stack up -d
	[[ "$output" == *"cleaned up 2 containers"* ]]
	sup_alive
	[ "$(sup_pid)" != "$spid" ]
	state_is web running
	state_is worker running
	[ "$(ps_field web pid)" != "$wpid" ]
	# and once more, then down without the supervisor's help
	kill -KILL "$(sup_pid)"
	wait_for 10 eval '! sup_alive'
	run -0 stack down
	[ "$(project_leftovers)" -eq 0 ]
	assert_no_leftovers
}

@test "up -d of an unknown service fails before anything starts; service_healthy on a service without a check is an error naming it" {
	run -2 stack up -d nosuch
	[[ "$output" == *"no service \`nosuch\`"* ]]
	stack_file <<-'EOF'
	services:
	  db: {image: bb, command: [sleep, "1000"]}
	  app:
	    image: bb
	    command: [sleep, "1000"]
	    depends_on: {db: {condition: service_healthy}}
	EOF
	run -1 stack up -d
	[[ "$output" == *"dependency \`db\` has no health check (condition service_healthy)"* ]]
	[ "$(ps_field app state)" = exited ]
	run -0 stack down
	[ "$(project_leftovers)" -eq 0 ]
}

@test "foreground up streams prefixed logs; Ctrl-C stops the stack and keeps it listed as exited" {
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" up --no-color
	wait_for 20 grep -q "worker | worker up" "$BATS_TEST_TMPDIR/out"
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 30
	[ "$BG_STATUS" -eq 130 ]
	grep -q "Gracefully stopping" "$BATS_TEST_TMPDIR/err"
	! sup_alive || false
	[ -z "$(run_env_cgroup_pids)" ]
	run -0 stack ps -a
	[[ "$output" == *"t-worker-1"*"exited"* ]]
	run -0 stack logs --no-log-prefix worker
	[ "$output" = "worker up" ]
}

@test "stop does not restart; start brings it back" {
	stack_file <<-'EOF'
	services:
	  s: {image: bb, command: [sleep, "1000"], restart: always}
	EOF
	stack up -d
	run -0 stack stop -t 1 s
	state_is s exited
	sleep 1
	state_is s exited
	[ "$(ps_field s restarts)" = 0 ]
	run -0 stack start s
	state_is s running
	run -0 stack kill s
	wait_for 10 state_is s exited
	sleep 1
	state_is s exited
}

@test "a second Ctrl-C kills what the first asked to stop gracefully" {
	stack_file <<-'EOF'
	services:
	  stubborn:
	    image: bb
	    command: [sh, -c, "trap '' TERM; echo ignoring TERM; while :; do sleep 1; done"]
	    stop_grace_period: 10m
	EOF
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" up --no-color
	wait_for 20 grep -q "ignoring TERM" "$BATS_TEST_TMPDIR/out"
	kill -INT "$BG_PID"
	wait_for 10 state_is stubborn stopping
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 30
	[ "$BG_STATUS" -eq 130 ]
	! sup_alive || false
	[ -z "$(run_env_cgroup_pids)" ]
	[ "$(ps_field stubborn exit_code)" = 137 ]
}

@test "down -t kills an app that ignores SIGTERM after the timeout" {
	stack_file <<-'EOF'
	services:
	  stubborn:
	    image: bb
	    command: [sh, -c, "trap '' TERM; while :; do sleep 1; done"]
	    stop_grace_period: 10m
	EOF
	stack up -d
	run -0 stack down -t 1
	[ "$(project_leftovers)" -eq 0 ]
}

@test "foreground up ends by itself once every service has ended" {
	stack_file <<-'EOF'
	services:
	  one: {image: bb, command: [sh, -c, "echo one done"]}
	  two: {image: bb, command: [sh, -c, "sleep 1; echo two done; exit 3"]}
	EOF
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" up --no-color
	wait_exit "$BG_PID" 60
	[ "$BG_STATUS" -eq 0 ]
	grep -q "one | one done" "$BATS_TEST_TMPDIR/out"
	grep -q "two | two done" "$BATS_TEST_TMPDIR/out"
	! sup_alive || false
	[ "$(ps_field two exit_code)" = 3 ]
}
