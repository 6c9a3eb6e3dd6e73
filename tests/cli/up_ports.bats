#!/usr/bin/env bats
# Published ports under `stack up`: busybox httpd on 5000 published on a
# host port, reached with curl through it (an app bound to 0.0.0.0 and
# one bound to the container's 127.0.0.1 alike); kill httpd and it is
# restarted, healthy again and serving on the same port; `stack port`
# says where; a host port in use is a clear error before anything starts.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	P1=15821 P2=15822 P3=15823
	HOLDER=
}
teardown() {
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
	fi
	up_env_teardown
}

health_is() {
	stack ps --format json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["service"] == sys.argv[1]:
        sys.exit(0 if (r.get("health") or {}).get("status") == sys.argv[2] else 1)
sys.exit(1)
' "$1" "$2"
}
restarts_ge() { [ "$(ps_field "$1" restarts)" -ge "$2" ]; }
serves() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$1/index.html")" = "$2" ]; }

web_stack() {
	stack_file <<-EOF
	services:
	  web:
	    image: bb
	    restart: always
	    command: [sh, -c, 'mkdir -p /www; echo "hello from web" >/www/index.html; exec httpd -f -p 5000 -h /www']
	    ports: ["127.0.0.1:$P1:5000"]
	    healthcheck: {http: {port: 5000}, interval: 200ms, timeout: 1s, retries: 2}
	  local:
	    image: bb
	    command: [sh, -c, 'mkdir -p /www; echo "hello from local" >/www/index.html; exec httpd -f -p 127.0.0.1:5000 -h /www']
	    ports: ["127.0.0.1:$P2:5000"]
	    healthcheck: {tcp: {port: 5000}, interval: 200ms, timeout: 1s, retries: 2}
	EOF
}

@test "curl through the published port reaches httpd, on 0.0.0.0 or the container's 127.0.0.1" {
	web_stack
	run -0 stack up -d --wait
	run -0 curl -s --max-time 5 "http://127.0.0.1:$P1/index.html"
	[ "$output" = "hello from web" ]
	run -0 curl -s --max-time 5 "http://127.0.0.1:$P2/index.html"
	[ "$output" = "hello from local" ]
	# host_ip 127.0.0.1 is that address only, not every one: another
	# address of the host (127.0.0.2, on lo too) is refused
	run curl -s --max-time 2 "http://127.0.0.2:$P1/index.html"
	[ "$status" -eq 7 ]
	run -0 stack port web 5000
	[ "$output" = "127.0.0.1:$P1" ]
	run -0 stack port local 5000/tcp
	[ "$output" = "127.0.0.1:$P2" ]
	run -1 stack port web 5001
	[[ "$output" == *"no port 5001/tcp of service \`web\` is published"* ]]
	run -2 stack port web 70000
	run -0 stack ps
	[[ "$output" == *"127.0.0.1:$P1->5000/tcp"* ]]
	# down closes the listeners
	run -0 stack down
	run curl -s --max-time 2 "http://127.0.0.1:$P1/index.html"
	[ "$status" -ne 0 ]
	run -1 stack port web 5000
	[[ "$output" == *"not running"* ]]
}

@test "port of an unknown service: a usage error listing the stack's services, the name escaped" {
	web_stack
	run -2 --separate-stderr stack port nosuch 5000
	[ -z "$output" ]
	[ "$stderr" = 'stack port: no service `nosuch` in this stack; services: web local' ]
	run -2 --separate-stderr stack port $'w\e]0;owned\aeb' 5000
	[ "$stderr" = 'stack port: no service `w\x1b]0;owned\x07eb` in this stack; services: web local' ]
}

@test "kill httpd: restarted, healthy again and serving on the same port" {
	web_stack
	stack up -d --wait
	pid=$(ps_field web pid)
	kill -KILL "$pid"
	wait_for 30 restarts_ge web 1
	wait_for 30 health_is web healthy
	[ "$(ps_field web pid)" != "$pid" ]
	wait_for 10 serves "$P1" "hello from web"
}

@test "a host port in use is a clear error and nothing starts" {
	python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(300)' "$P3" "$BATS_TEST_TMPDIR/held" &
	HOLDER=$!
	wait_for 10 test -e "$BATS_TEST_TMPDIR/held"
	stack_file <<-EOF
	services:
	  first: {image: bb, command: [sleep, "1000"]}
	  web:
	    image: bb
	    command: [sleep, "1000"]
	    ports: ["127.0.0.1:$P3:5000"]
	EOF
	run --separate-stderr stack up -d
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"web"*"$P3"* ]]
	[[ "$stderr" == *"in use"* ]]
	# nothing started: no supervisor, no container, no cgroup process
	! sup_alive || false
	[ -z "$(run_env_cgroup_pids)" ]
	[ "$(ps_field first state)" != running ]
	[ "$(ps_field web state)" != running ]
}
