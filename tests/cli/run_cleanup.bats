#!/usr/bin/env bats
# Nothing outlives `stack run`: after a success, a failure, a signal, an OOM
# kill or a failed start, the host has no new mount, no cgroup below our
# parent in any hierarchy, no process of the container (not even one it
# left in the background) and no container state dir under STACK_RUN.
# Failed starts say which step failed and on what path; exit codes are 2
# for an invalid stack file or command line, 1 for runtime failures.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	# A token in every payload's command line, to look for leftovers.
	TOKEN="stack-bats-token-$$-$BATS_TEST_NUMBER"
	MOUNTS_BEFORE=$(host_mounts)
	stack_file <<-'EOF'
	services:
	  s: {image: bb}
	  oom: {image: bb, mem_limit: 32m}
	  nobind:
	    image: bb
	    volumes:
	      - {type: bind, source: /nonexistent/stack-bats-missing-src, target: /data}
	  nouser: {image: bb, user: nosuchuser}
	  secret:
	    image: bb
	    secrets: [gone]
	secrets:
	  gone: {file: ./no-such-secret-file}
	EOF
}
teardown() { run_env_teardown; }

# The host's mount count, leaving out the network namespace files other
# test files' stacks hold under their own temp dirs (every `stack up` now
# makes one, and ctest -j runs those files beside this one); ours count.
host_mounts() {
	awk -v ours="$BATS_FILE_TMPDIR" '$0 !~ / - nsfs / || index($0, ours) { n++ } END { print n + 0 }' /proc/self/mountinfo
}

# The payload's helper process with TOKEN in its command line.
token_procs() {
	pgrep -f -- "$TOKEN" || true
}

# assert_clean: everything assert_no_leftovers checks, plus the host's
# mount count is what it was before the test and no process carries TOKEN.
assert_clean() {
	assert_no_leftovers
	local after
	after=$(host_mounts)
	if [ "$after" -ne "$MOUNTS_BEFORE" ]; then
		echo "host mount count changed: $MOUNTS_BEFORE → $after" >&2
		cat /proc/self/mountinfo >&2
		return 1
	fi
	local p
	p=$(token_procs)
	if [ -n "$p" ]; then
		echo "processes left behind:" >&2
		ps -o pid,args -p "$(echo $p | tr ' ' ,)" >&2 || true
		return 1
	fi
}

# bg_token_then CMD: a payload (sh -c text) that leaves a process in the
# background (sh with TOKEN in its argv, running sleep), then runs CMD.
bg_token_then() {
	echo "sh -c 'sleep 30; :' $TOKEN & $1"
}

@test "after a successful run (payload left a background process)" {
	run --separate-stderr stack run --rm s sh -c "$(bg_token_then "exit 0")"
	[ "$status" -eq 0 ]
	assert_clean
}

@test "after a failing run (exit 3)" {
	run --separate-stderr stack run --rm s sh -c "$(bg_token_then "exit 3")"
	[ "$status" -eq 3 ]
	assert_clean
}

@test "after a run without --rm (mounts, cgroups and processes are gone all the same)" {
	run --separate-stderr stack run s sh -c "$(bg_token_then "exit 0")"
	[ "$status" -eq 0 ]
	[ -z "$(mountinfo_ours)" ]
	[ -z "$(run_env_cgroup_pids)" ]
	[ -z "$(token_procs)" ]
	[ "$(host_mounts)" -eq "$MOUNTS_BEFORE" ]
}

@test "after the payload dies of a signal (143)" {
	run --separate-stderr stack run --rm s sh -c "$(bg_token_then 'kill -TERM $$')"
	[ "$status" -eq 143 ]
	assert_clean
}

@test "after an OOM kill (137)" {
	run --separate-stderr stack run --rm oom sh -c "$(bg_token_then 'syscall-probe memhog 200')"
	[ "$status" -eq 137 ]
	[[ "$stderr" == *OOMKilled* ]]
	assert_clean
}

@test "after SIGTERM to stack run while the container runs" {
	stack_bg out err run --rm --name "cl-term-$$" s sh -c "$(bg_token_then 'echo ready; while :; do sleep 0.1; done')"
	wait_for 20 grep -q ready out
	[ -n "$(token_procs)" ] # the background process does exist while it runs
	[ -n "$(run_env_cgroup_pids)" ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 143 ]
	assert_clean
}

@test "after SIGKILL to stack run: the container dies with it, the next stack run sweeps what it left" {
	stack_bg out err run --rm --name "cl-kill-$$" s sh -c "$(bg_token_then 'echo ready; while :; do sleep 0.1; done')"
	wait_for 20 grep -q ready out
	[ -n "$(token_procs)" ]
	kill -KILL "$BG_PID"
	wait_exit "$BG_PID" 20
	# no process of the container outlives its starter (die-with-parent)
	wait_for 20 test -z "$(token_procs)"
	# the cgroup and the state dir are what a crash leaves: still there ...
	[ -d "/sys/fs/cgroup/memory/$STACK_CGROUP_PARENT/cl-kill-$$" ]
	[ -d "$STACK_RUN/t/cl-kill-$$" ]
	# ... until the next stack run of the project sweeps them
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 0 ]
	assert_clean
}

@test "two containers at once in the same cgroup parent: both cleaned, the parent removed" {
	stack_bg out1 err1 run --rm --name "cl-a-$$" s sh -c 'echo ready; exec sleep 30'
	pid_a=$BG_PID
	stack_bg out2 err2 run --rm --name "cl-b-$$" s sh -c 'echo ready; exec sleep 30'
	pid_b=$BG_PID
	wait_for 20 grep -q ready out1
	wait_for 20 grep -q ready out2
	[ -d "/sys/fs/cgroup/memory/$STACK_CGROUP_PARENT/cl-a-$$" ]
	[ -d "/sys/fs/cgroup/memory/$STACK_CGROUP_PARENT/cl-b-$$" ]
	kill -TERM "$pid_a"
	wait_exit "$pid_a" 20
	[ "$BG_STATUS" -eq 143 ]
	# b is untouched by a's cleanup
	[ -d "/sys/fs/cgroup/memory/$STACK_CGROUP_PARENT/cl-b-$$" ]
	kill -0 "$pid_b"
	kill -TERM "$pid_b"
	wait_exit "$pid_b" 20
	[ "$BG_STATUS" -eq 143 ]
	assert_clean
	for h in /sys/fs/cgroup/*/; do
		[ ! -d "$h$STACK_CGROUP_PARENT" ] || { echo "cgroup parent left: $h$STACK_CGROUP_PARENT" >&2; false; }
	done
}

# start_fails [STACK-RUN-ARGS...] SERVICE: `stack run --rm ... SERVICE` of a
# payload that prints TOKEN must exit 1 (a runtime failure) before the
# payload runs; its stderr in $stderr.
start_fails() {
	run --separate-stderr stack run --rm "$@" echo "payload-ran-$TOKEN"
	[ "$status" -eq 1 ] || { echo "exit $status, want 1; stderr: $stderr" >&2; return 1; }
	[[ "$output" != *payload-ran* ]]
}

@test "start failure: missing bind source names the step and the path, exit 1, nothing left" {
	start_fails nobind
	[[ "$stderr" == *bind* ]]
	[[ "$stderr" == */nonexistent/stack-bats-missing-src* ]]
	[[ "$stderr" == *"No such file or directory"* ]]
	[ ! -e /nonexistent/stack-bats-missing-src ]
	assert_clean
}

@test "start failure: unknown user names the user, exit 1, nothing left" {
	start_fails nouser
	[[ "$stderr" == *nosuchuser* ]]
	[[ "$stderr" == */etc/passwd* ]]
	assert_clean
}

@test "start failure: a command that does not exist exits 127 (as a shell and docker run), names exec and the path, nothing left" {
	run -127 --separate-stderr stack run --rm s /no/such/command "$TOKEN"
	[[ "$stderr" == *exec* ]]
	[[ "$stderr" == */no/such/command* ]]
	[[ "$stderr" == *"No such file or directory"* ]]
	assert_clean
}

@test "start failure: a command that is not executable exits 126, nothing left" {
	run --separate-stderr stack run --rm s /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$stderr" == *"exec \`/etc/passwd\`"* ]]
	[[ "$stderr" == *"Permission denied"* ]]
	assert_clean
}

@test "start failure: a working directory that is a file names the path, nothing left" {
	start_fails -w /etc/passwd s
	[[ "$stderr" == */etc/passwd* ]]
	assert_clean
}

@test "start failure: a missing secret file names the secret and the file, exit 1, nothing left" {
	start_fails secret
	[[ "$stderr" == *gone* ]]
	[[ "$stderr" == *no-such-secret-file* ]]
	assert_clean
}

@test "invalid stack file: exit 2, FILE:LINE:COL errors, nothing started" {
	cat >bad.yaml <<-'EOF'
	name: t
	services:
	  s: {image: bb, mem_limit: lots}
	  t: {imag: bb}
	EOF
	run --separate-stderr timeout 30 "$STACK_BIN" -f bad.yaml run --rm s echo "payload-ran-$TOKEN"
	[ "$status" -eq 2 ]
	[[ "$output" != *payload-ran* ]]
	[[ "$stderr" == *"bad.yaml:3:"*mem_limit* ]]
	[[ "$stderr" == *"bad.yaml:4:"*imag* ]]
	assert_clean
}

@test "unknown service: exit 2 and the services are listed" {
	run --separate-stderr stack run --rm nosuch true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *nosuch* ]]
	[[ "$stderr" == *nouser* ]]
	assert_clean
}

@test "usage errors exit 2: no SERVICE, unknown option" {
	# (Exited 0 until the lead's fix in cmd_run.c, found by this test.)
	run --separate-stderr stack run
	[[ "$stderr" == *"missing SERVICE"* ]]
	[ "$status" -eq 2 ]
	run --separate-stderr stack run --no-such-option s true
	[[ "$stderr" == *no-such-option* ]]
	[ "$status" -eq 2 ]
	assert_clean
}

@test "--help exits 0 and prints the usage on stdout" {
	run --separate-stderr stack run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: stack run"* ]]
}

@test "many runs in a row leave the host's mount table and cgroups as they were" {
	for i in 1 2 3 4 5; do
		run --separate-stderr stack run --rm s true
		[ "$status" -eq 0 ]
		run --separate-stderr stack run --rm nouser true
		[ "$status" -eq 1 ]
	done
	assert_clean
}

@test "a cpuset cgroup parent left empty (a start killed between its mkdir and filling it, or a second start racing the first) does not fail the next start" {
	local cs=/sys/fs/cgroup/cpuset
	[ -f "$cs/cpuset.cpus" ] || skip "no v1 cpuset hierarchy on this host"
	# what the race leaves: the parent made, its cpus and mems not yet set
	mkdir "$cs/$STACK_CGROUP_PARENT"
	[ -z "$(tr -d ' \n' <"$cs/$STACK_CGROUP_PARENT/cpuset.cpus")" ] || skip "this host's cpuset has clone_children on"
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
	rmdir "$cs/$STACK_CGROUP_PARENT" 2>/dev/null || true # removed with the container, as a parent it made
	assert_clean
}
