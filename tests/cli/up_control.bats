#!/usr/bin/env bats
# The control socket under hostile input: malformed JSON, a line longer
# than the limit, a message cut off by the end of the connection, one that
# never ends, too many clients, unknown commands and arguments.  Each gets
# an error reply (or is turned away), and the supervisor and its services
# live on: `stack ps` still answers and the container is the same one.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	one_service '{image: bb, command: [sleep, "1000"]}'
	stack up -d
	SOCK="$STACK_RUN/t/supervisor.sock"
	SPID=$(sup_pid)
	CPID=$(ps_field s pid)
}
teardown() { up_env_teardown; }

ctl() {
	python3 "$STACK_SRC/tests/cli/helpers/ctl.py" "$SOCK" "$@"
}

# The supervisor and its container are the ones from setup, and it answers.
assert_lives() {
	kill -0 "$SPID"
	[ "$(sup_pid)" = "$SPID" ]
	state_is s running
	[ "$(ps_field s pid)" = "$CPID" ]
}

# reply_is REQUEST PATTERN: the one request (its newline added) gets a reply
# matching the glob PATTERN.
reply_is() {
	run -0 ctl send "$1"'\n'
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == $2 ]]
}

@test "malformed JSON gets an error reply; the next request on the same stream is served" {
	reply_is '{"cmd": "ps"' '*"ok":false*malformed request*'
	reply_is 'not json at all' '*malformed request*'
	reply_is '\xff\xfe\x00garbage' '*malformed request*'
	reply_is '[1,2,3]' '*a request is an object with a string `cmd`*'
	reply_is '{"cmd": 42}' '*`cmd`*'
	reply_is '{"cmd":"ps","cmd":"down"}' '*malformed*duplicate*'
	# one stream: garbage, then a good request, then garbage again
	run -0 ctl send 'garbage\n{"cmd":"ps","id":"second"}\n}{\n'
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"malformed request"* ]]
	[[ "${lines[1]}" == *'"ok":true'* && "${lines[1]}" == *'"id":"second"'* ]]
	[[ "${lines[2]}" == *"malformed request"* ]]
	assert_lives
}

@test "unknown commands and bad arguments are refused with what was wrong" {
	reply_is '{"cmd":"format-disk"}' '*unknown command `format-disk`*'
	reply_is '{"cmd":"stop","services":["nosuch"]}' '*no such service: `nosuch`*'
	reply_is '{"cmd":"stop","services":"s"}' '*`services` must be an array*'
	reply_is '{"cmd":"stop","timeout":-5}' '*`timeout` must be*'
	reply_is '{"cmd":"kill","signal":"SIGNOPE"}' '*`signal`*'
	reply_is '{"cmd":"kill","signal":999}' '*is not a signal*'
	reply_is '{"cmd":"up"}' '*"ok":false*'
	assert_lives
}

@test "a line longer than the limit gets an error reply and costs nothing lasting" {
	run -0 ctl huge 1000000
	[[ "$output" == *"request longer than 65536 bytes"* ]]
	assert_lives
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SPID/status")
	[ "$rss" -lt 65536 ]
}

@test "a client that sends requests and never reads the replies is cut off, not kept in memory" {
	run -0 ctl deaf 200000
	[ "$output" = "cut off" ]
	assert_lives
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SPID/status")
	[ "$rss" -lt 65536 ]
	reply_is '{"cmd":"ps","id":8}' '*"id":8*'
}

@test "a message cut off by the end of the connection gets an error reply" {
	run -0 ctl half '{"cmd":"do'
	[[ "$output" == *"incomplete request"* ]]
	assert_lives
}

@test "a message that never ends gets an error reply and the connection is closed" {
	run -0 ctl stall '{"cmd":"ps"'
	[[ "$output" == *"incomplete request: no end of line"* ]]
	assert_lives
}

@test "a message trickled a byte at a time gets no more time than one sent at once" {
	# 20 bytes at one a second: past the 5 s a line gets
	run -0 ctl trickle '{"cmd":"ps","id":123}'
	[[ "$output" == *"incomplete request: no end of line"* ]]
	assert_lives
}

@test "more clients than the limit are turned away; the supervisor serves the next one" {
	run -0 ctl many 80
	[[ "$output" == *"too many clients (at most 64 at once)"* ]]
	assert_lives
	run -0 ctl send '{"cmd":"ps","id":7}\n'
	[[ "$output" == *'"ok":true'*'"id":7'* ]] || [[ "$output" == *'"id":7'*'"ok":true'* ]]
}

@test "a client killed while its stop waits does not stop the stop" {
	python3 - "$SOCK" <<-'PY' &
	import os, socket, sys, time
	path = sys.argv[1]
	d = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY)
	s = socket.socket(socket.AF_UNIX)
	s.connect("/proc/self/fd/%d/%s" % (d, os.path.basename(path)))
	s.sendall(b'{"cmd":"stop","timeout":1}\n')
	os._exit(0)
	PY
	wait
	wait_for 20 state_is s exited
	kill -0 "$SPID"
	run -0 stack start s
	state_is s running
}
