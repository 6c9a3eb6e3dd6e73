#!/usr/bin/env bats
# `stack exec SERVICE CMD...` into a running container PROJECT-SERVICE-N,
# started here by a background `stack run --name t-s-1` (the supervisor
# names its containers so).  The exec'd process is the payload's twin:
# same user (unless -u), working dir (unless -w), CapEff, NoNewPrivs and
# Seccomp, in the container's cgroup and pid namespace, blind to the
# host's processes; its exit code is ours.  A container that is gone
# (its state left behind), a reused pid, or a state dir tampered with
# (symlinks, a host process's pid) is refused: nothing runs on the host.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	MARK="$BATS_TEST_TMPDIR/ran-on-host"
}
teardown() { run_env_teardown; }

STATE() { echo "$STACK_RUN/t/t-s-${1:-1}"; }

payload_running() {
	local f
	f="/sys/fs/cgroup/pids/$STACK_CGROUP_PARENT/t-s-${1:-1}/cgroup.procs"
	[ -f "$f" ] || f="/sys/fs/cgroup/unified/$STACK_CGROUP_PARENT/t-s-${1:-1}/cgroup.procs"
	[ -f "$(STATE "$1")/container.json" ] && [ "$(wc -l <"$f" 2>/dev/null)" -ge 2 ]
}

# start_service MAPPING [N]: service `s` with MAPPING, its container
# t-s-N (default 1) running `sleep 300` in the background.
start_service() {
	one_service "$1"
	stack_bg "out${2:-1}" "err${2:-1}" run --name "t-s-${2:-1}" s sleep 300
	wait_for 20 payload_running "${2:-1}" || { cat "err${2:-1}" >&2; return 1; }
}

stop_service() {
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 143 ]
}

ex() {
	run --separate-stderr stack exec -T "$@"
}

@test "exit codes pass through; a missing command is 127; a service without a running container is a clear error" {
	start_service '{image: bb}'
	ex s sh -c 'exit 7'
	[ "$status" -eq 7 ]
	ex s true
	[ "$status" -eq 0 ]
	ex s /no/such/command
	[ "$status" -eq 127 ]
	[[ "$stderr" == *'`/no/such/command`'*'No such file or directory'* ]]
	ex s /etc/passwd
	[ "$status" -eq 126 ]
	ex --index 2 s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"service \`s\` has no running container 2"* ]]
	ex nosuch true
	[ "$status" -eq 2 ]
	stop_service
	assert_no_leftovers
}

@test "-u, -e, -w; by default the service's user, working dir and environment" {
	start_service '{image: bb, user: earl, working_dir: /tmp, environment: {FOO: svc, BAR: keep}}'
	ex s sh -c 'id -un; pwd; echo $FOO $BAR'
	[ "$output" = $'earl\n/tmp\nsvc keep' ]
	ex -u 0 -w /etc -e FOO=exec -e NEW=1 s sh -c 'id -u; pwd; echo $FOO $BAR $NEW'
	[ "$output" = $'0\n/etc\nexec keep 1' ]
	ex -u 1000:50 s sh -c 'id -u; id -g'
	[ "$output" = $'1000\n50' ]
	ex -u mallory s true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *mallory* ]]
	stop_service
	assert_no_leftovers
}

@test "CapEff, NoNewPrivs and Seccomp of the exec'd process are the payload's (as root, with cap_drop, as uid 1000)" {
	for spec in '{image: bb}' '{image: bb, cap_drop: [NET_RAW, CHOWN], cap_add: [SYS_ADMIN]}' '{image: bb, user: "1000"}'; do
		start_service "$spec"
		# The payload is PID 2 (our init is 1); compare from inside.
		ex s sh -c 'for p in self 2; do grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/$p/status | tr "\n" " "; echo; done'
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 2 ]
		[ "${lines[0]}" = "${lines[1]}" ]
		[[ "${lines[0]}" == *"NoNewPrivs:	1"* ]]
		[[ "${lines[0]}" == *"Seccomp:	2"* ]]
		stop_service
	done
	assert_no_leftovers
}

@test "the exec'd process is in the container's cgroup and pid namespace and sees none of the host's processes" {
	start_service '{image: bb, pids_limit: 50}'
	# ps, not in a pipeline: the container holds init, the payload, our
	# shell and ps, and nothing else.
	ex s sh -c 'cat /sys/fs/cgroup/pids/pids.max; cut -d: -f3 /proc/self/cgroup | sort -u
		ps -o pid,comm >/tmp/ps.txt; while read -r pid comm; do echo "$pid $comm"; done </tmp/ps.txt'
	[ "${lines[0]}" = 50 ]
	[ "${lines[1]}" = / ]
	[ "${lines[2]}" = "PID COMMAND" ]
	[ "${lines[3]}" = "1 stack-init" ]
	[ "${lines[4]}" = "2 sleep" ]
	[[ "${lines[5]}" == *" sh" ]]
	[[ "${lines[6]}" == *" ps" ]]
	[ "${#lines[@]}" -eq 7 ]
	# From the host: a detached exec runs in the container's cgroup.
	run stack exec -d s sleep 123
	[ "$status" -eq 0 ]
	local procs="/sys/fs/cgroup/pids/$STACK_CGROUP_PARENT/t-s-1/cgroup.procs" p found=0
	wait_for 10 grep -q . "$procs"
	for p in $(cat "$procs"); do
		[ "$(cat /proc/$p/cmdline 2>/dev/null | tr '\0' ' ')" = "sleep 123 " ] && found=1
	done
	[ "$found" = 1 ]
	stop_service
	assert_no_leftovers
}

@test "-t gives a TTY as stack run does; without one, a terminal is never handed over" {
	start_service '{image: bb}'
	local cmd
	cmd=$(printf '%q ' timeout --foreground -k 5 30 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" exec s sh -c 'tty; exit 4')
	run script -qec "$cmd; echo rc=\$?" /dev/null </dev/null
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"rc=4"* ]]
	cmd=$(printf '%q ' timeout --foreground -k 5 30 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" exec -T s sh -c 'tty; exit 5')
	run script -qec "$cmd; echo rc=\$?" /dev/null </dev/null
	[[ "$output" == *"not a tty"* ]]
	[[ "$output" == *"rc=5"* ]]
	stop_service
	assert_no_leftovers
}

# A host process of ours, to plant in a state file: the exec must not
# reach it (its mount namespace is ours, so a `touch` would land here).
host_sleeper() {
	sleep 300 &
	SLEEPER=$!
	RUN_BG_PIDS+=("$SLEEPER")
}

start_time() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }

@test "a container that is gone, its state left behind (a crash), or whose pid was reused: refused with a clear error" {
	start_service '{image: bb}'
	cp "$(STATE)/container.json" saved.json
	cp "$(STATE)/seccomp.bpf" saved.bpf
	stop_service
	mkdir -p -m 700 "$(STATE)"
	cp saved.json saved.bpf "$(STATE)/" && mv "$(STATE)/saved.json" "$(STATE)/container.json" && mv "$(STATE)/saved.bpf" "$(STATE)/seccomp.bpf"
	ex s touch "$MARK"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is not running"*"is gone"* ]]
	# The pid now someone else's (a host process of ours has it, as a
	# reused pid would): its own start time tells it apart.
	host_sleeper
	sed -E "s/\"pid\":[0-9]+/\"pid\":$SLEEPER/" saved.json >"$(STATE)/container.json"
	ex s touch "$MARK"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another process has its pid now"* ]]
	[ ! -e "$MARK" ]
	rm -rf "$(STATE)"
	assert_no_leftovers
}

@test "a tampered state dir (a host process's pid and start time, symlinks, loose modes) never enters the host process" {
	start_service '{image: bb}'
	local st
	st="$(STATE)"
	cp "$st/container.json" saved.json
	host_sleeper
	# The host sleeper with its true start time: alive, but in our
	# namespaces and cgroup.
	sed -E "s/\"pid\":[0-9]+,\"start_time\":[0-9]+/\"pid\":$SLEEPER,\"start_time\":$(start_time "$SLEEPER")/" \
		saved.json >"$st/container.json"
	ex s touch "$MARK"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not the first process of a pid namespace of its own"* ]]
	# The host's init.
	sed -E "s/\"pid\":[0-9]+,\"start_time\":[0-9]+/\"pid\":1,\"start_time\":$(start_time 1)/" saved.json >"$st/container.json"
	ex s touch "$MARK"
	[ "$status" -eq 1 ]
	[ ! -e "$MARK" ]
	# container.json a symlink to a copy; then writable by all.
	cp saved.json "$BATS_TEST_TMPDIR/copy.json"
	ln -sf "$BATS_TEST_TMPDIR/copy.json" "$st/container.json"
	ex s touch "$MARK"
	[ "$status" -eq 1 ]
	rm "$st/container.json"
	cp saved.json "$st/container.json"
	chmod 666 "$st/container.json"
	ex s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"writable by others"* ]]
	chmod 600 "$st/container.json"
	# The state dir swapped for a symlink to a directory of the host.
	mv "$st" "$st.real"
	mkdir -m 700 "$BATS_TEST_TMPDIR/fake"
	cp saved.json "$BATS_TEST_TMPDIR/fake/container.json"
	ln -s "$BATS_TEST_TMPDIR/fake" "$st"
	ex s touch "$MARK"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"state directory"* ]]
	rm "$st"
	mv "$st.real" "$st"
	[ ! -e "$MARK" ]
	# Put back as it was: exec works again, the sleeper was never touched.
	ex s true
	[ "$status" -eq 0 ]
	kill -0 "$SLEEPER"
	[ "$(readlink /proc/$SLEEPER/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
	stop_service
	assert_no_leftovers
}
