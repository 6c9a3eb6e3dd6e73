#!/usr/bin/env bats
# `stack exec` and `stack run` share their -e/-u/-w/-t/-T options and
# their stdio handling (cli/run_attach.c): an exec whose stdout is a file
# on a file system that fills up fails and says so, as `stack run` does,
# and both refuse a relative --workdir and an -e without a name.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() {
	[ -z "${SMALL:-}" ] || ! mountpoint -q "$SMALL" || umount "$SMALL"
	run_env_teardown
}

payload_running() {
	[ -f "$STACK_RUN/t/t-s-1/container.json" ] &&
		[ "$(wc -l <"/sys/fs/cgroup/pids/$STACK_CGROUP_PARENT/t-s-1/cgroup.procs" 2>/dev/null)" -ge 2 ]
}

@test "exec: stdout on a file system that fills up: the exec fails and says so" {
	one_service
	stack_bg out err run --name t-s-1 s sleep 300
	wait_for 20 payload_running || { cat err >&2; return 1; }
	SMALL=$BATS_TEST_TMPDIR/small
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=1m tmpfs "$SMALL"
	local st=0 msg
	stack exec -T s head -c 3000000 /dev/zero >"$SMALL/out" 2>"$BATS_TEST_TMPDIR/xerr" || st=$?
	msg=$(cat "$BATS_TEST_TMPDIR/xerr")
	umount "$SMALL"
	[ "$st" -ne 0 ] || { echo "stack exec exited 0 with its output lost: $msg" >&2; return 1; }
	[[ "$msg" == *"t-s-1's output could not all be written"*"No space left on device"* ]] || {
		echo "no ENOSPC said: $msg" >&2
		return 1
	}
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	assert_no_leftovers
}

@test "run and exec: a relative --workdir and an -e without a name are usage errors" {
	one_service
	for cmd in run exec; do
		run --separate-stderr stack "$cmd" -T -w rel s true
		[ "$status" -eq 2 ]
		[[ "$stderr" == *'--workdir `rel`: want an absolute path'* ]]
		run --separate-stderr stack "$cmd" -T -e =x s true
		[ "$status" -eq 2 ]
		[[ "$stderr" == *'-e `=x`: want KEY=VALUE or KEY'* ]]
	done
	assert_no_leftovers
}

@test "exec: a state dir or state file planted by another local user (uid 1000) is refused, nothing runs" {
	one_service
	stack_bg out err run --name t-s-1 s sleep 300
	wait_for 20 payload_running || { cat err >&2; return 1; }
	local st=$STACK_RUN/t/t-s-1 mark=$BATS_TEST_TMPDIR/ran
	chown 1000 "$st"
	run --separate-stderr stack exec -T s touch "$mark"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"state directory"*"owned by uid 1000"*"not trusted"* ]]
	chown 0 "$st"
	chown 1000 "$st/container.json"
	run --separate-stderr stack exec -T s touch "$mark"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"state file"*"owned by uid 1000"* ]]
	chown 0 "$st/container.json"
	chown 1000 "$st/seccomp.bpf"
	run --separate-stderr stack exec -T s touch "$mark"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"seccomp program"* ]]
	chown 0 "$st/seccomp.bpf"
	[ ! -e "$mark" ]
	run --separate-stderr stack exec -T s true
	[ "$status" -eq 0 ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	assert_no_leftovers
}
