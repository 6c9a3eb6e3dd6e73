#!/usr/bin/env bats
# Published ports of `stack up` on a running stack: a service added to the
# file gets its listeners, a service whose `ports:` changed is recreated
# on the new ones and its old ones are closed, an orphan removed with
# --remove-orphans frees its ports, and a host port in use fails the
# request naming it, with the running services serving as before.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() {
	run_env_setup_file
	export STACK_CGROUP_PARENT="stack-flags-$$"
}
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	P1=22101 P2=22102 P3=22103 P4=22104
	HOLDER=
}
teardown() {
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
	fi
	up_env_teardown
}

# serves PORT TEXT: GET / through the host port answers TEXT.
serves() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$1/index.html")" = "$2" ]; }
# closed PORT: nothing listens on the host port.
closed() { ! ss -Htln "sport = :$1" | grep -q .; }
# listening PORT: something does.
listening() { ss -Htln "sport = :$1" | grep -q .; }

# web NAME TEXT PORTS: a service serving TEXT with httpd on 5000 and 6000.
web() {
	printf '  %s:\n    image: bb\n    command: [sh, -c, "mkdir -p /www; echo %s >/www/index.html; httpd -p 6000 -h /www; exec httpd -f -p 5000 -h /www"]\n    ports: %s\n' "$1" "$2" "$3"
}

# hold PORT: a program of the host listening on 127.0.0.1:PORT.
hold() {
	python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(300)' "$1" "$BATS_TEST_TMPDIR/held" &
	HOLDER=$!
	wait_for 10 test -e "$BATS_TEST_TMPDIR/held"
}

@test "up on a running stack binds the ports of a service it adds" {
	{ echo services:; web a one "[\"127.0.0.1:$P1:5000\"]"; } | stack_file
	stack up -d
	wait_for 10 serves "$P1" one
	{ echo services:; web a one "[\"127.0.0.1:$P1:5000\"]"; web b two "[\"127.0.0.1:$P2:5000\"]"; } | stack_file
	run -0 stack up -d
	wait_for 10 serves "$P2" two
	serves "$P1" one
	run -0 stack port b 5000
	[ "$output" = "127.0.0.1:$P2" ]
	[ "$(ps_field a restarts)" -eq 0 ]
	stack down -t 1
	closed "$P1"
	closed "$P2"
}

@test "a service whose ports changed is recreated on the new listeners; the old ones are closed" {
	{ echo services:; web a one "[\"127.0.0.1:$P1:5000\"]"; web b two "[\"127.0.0.1:$P2:5000\"]"; } | stack_file
	stack up -d
	wait_for 10 serves "$P1" one
	wait_for 10 serves "$P2" two
	pid_b=$(ps_field b pid)
	# a: another host port; b: the same host port, another target
	{ echo services:; web a one "[\"127.0.0.1:$P3:5000\"]"; web b two "[\"127.0.0.1:$P2:6000\"]"; } | stack_file
	run -0 stack up -d
	wait_for 10 serves "$P3" one
	closed "$P1"
	wait_for 10 serves "$P2" two
	run -0 stack port b 6000
	[ "$output" = "127.0.0.1:$P2" ]
	run -1 stack port b 5000
	[ "$output" = "stack port: no port 5000/tcp of service \`b\` is published" ]
	[ "$(ps_field b pid)" != "$pid_b" ]
	run -0 stack ps
	# the PORTS column of each row, exactly (no listener on P1 left)
	[ "$(awk '$2 == "a" { print $NF }' <<<"$output")" = "127.0.0.1:$P3->5000/tcp" ]
	[ "$(awk '$2 == "b" { print $NF }' <<<"$output")" = "127.0.0.1:$P2->6000/tcp" ]
	# the same file again: nothing is recreated, the ports stay
	pid_a=$(ps_field a pid)
	run -0 stack up -d
	[ "$(ps_field a pid)" = "$pid_a" ]
	serves "$P3" one
	# ports removed from the file: closed, the service recreated without them
	{ echo services:; web a one "[]"; web b two "[\"127.0.0.1:$P2:6000\"]"; } | stack_file
	run -0 stack up -d
	wait_for 10 closed "$P3"
	wait_for 10 state_is a running
	stack down -t 1
	closed "$P2"
}

@test "an orphan removed with --remove-orphans frees its port for a new service" {
	{ echo services:; web a one "[\"127.0.0.1:$P1:5000\"]"; } | stack_file
	stack up -d
	wait_for 10 serves "$P1" one
	{ echo services:; web c three "[\"127.0.0.1:$P1:5000\"]"; } | stack_file
	# a stays (an orphan kept): its port is taken, and that is the error
	run -1 stack up -d
	[ "$output" = "stack up: service \`c\`: published port: publish 127.0.0.1:$P1->5000/tcp: host port $P1 is already in use: stop what listens on it, or publish another port (or 0 for any free one)" ]
	serves "$P1" one
	run -0 stack up -d --remove-orphans
	wait_for 10 serves "$P1" three
	stack down -t 1
	closed "$P1"
}

@test "hostile: a host port in use fails up with its name and leaves the running services serving" {
	{ echo services:; web a one "[\"127.0.0.1:$P1:5000\"]"; } | stack_file
	stack up -d
	wait_for 10 serves "$P1" one
	pid_a=$(ps_field a pid)
	hold "$P4"
	# a changed onto the held port, and a new service on a free one
	{ echo services:; web a one "[\"127.0.0.1:$P4:5000\"]"; web b two "[\"127.0.0.1:$P2:5000\"]"; } | stack_file
	run -1 stack up -d
	[ "$output" = "stack up: service \`a\`: published port: publish 127.0.0.1:$P4->5000/tcp: host port $P4 is already in use: stop what listens on it, or publish another port (or 0 for any free one)" ]
	# as it was: a on its old port, same process, b neither started nor listening
	serves "$P1" one
	[ "$(ps_field a pid)" = "$pid_a" ]
	[ "$(ps_field a restarts)" -eq 0 ]
	closed "$P2"
	[ "$(ps_field b state)" != running ]
	# a new service on the held port: the same, a untouched
	{ echo services:; web a one "[\"127.0.0.1:$P1:5000\"]"; web b two "[\"127.0.0.1:$P4:5000\"]"; } | stack_file
	run -1 stack up -d
	[ "$output" = "stack up: service \`b\`: published port: publish 127.0.0.1:$P4->5000/tcp: host port $P4 is already in use: stop what listens on it, or publish another port (or 0 for any free one)" ]
	serves "$P1" one
	[ "$(ps_field a pid)" = "$pid_a" ]
	# once the port is free, the same up works
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null || true
	HOLDER=
	wait_for 10 closed "$P4"
	run -0 stack up -d
	wait_for 10 serves "$P4" two
	serves "$P1" one
	stack down -t 1
	closed "$P1"
	closed "$P4"
}
