#!/usr/bin/env bats
# Faults at the supervisor's edges found in review: a reader of `stack
# logs -f` or of the foreground `stack up` that leaves (`| head -1`), and a
# control client that sends requests and never reads the replies.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	one_service '{image: bb, command: [sh, -c, "i=0; while :; do echo line $$i; i=$$((i+1)); sleep 0.1; done"]}'
}
teardown() { up_env_teardown; }

logs_have() { stack logs | grep -qF "$1"; }
sup_gone() { ! sup_alive; }

# piped_to_head ARGS...: `stack ARGS | head -1`, bounded in time (124: it
# hung); the status is stack's (pipefail), head's line the output.
piped_to_head() {
	bash -c 'set -o pipefail; timeout -k 5 30 "$@" | head -1' _ "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" "$@"
}

@test "stack logs -f | head -1 ends when head does (SIGPIPE status); the stack runs on" {
	stack up -d
	wait_for 20 logs_have "line 1"
	run -141 piped_to_head logs -f
	[ "$output" = "s | line 0" ]
	state_is s running
}

@test "the foreground stack up | head -1 stops the stack, as Ctrl-C does" {
	run -141 --separate-stderr piped_to_head up
	[ "$output" = "s | line 0" ]
	[[ "$stderr" == *"Gracefully stopping"* ]]
	wait_for 20 sup_gone
	state_is s exited
}
