#!/usr/bin/env bats
# `stack exec SERVICE CMD...` into the containers of `stack up -d`: the
# exit code is ours; the process is the payload's twin (user, CapEff,
# Seccomp, NoNewPrivs), in its cgroup and pid namespace; after a restart
# of the service exec reaches the new container, and once the service is
# stopped it is a clear error.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    user: earl
	    cap_drop: [NET_RAW, CHOWN]
	    command: [sleep, "1000"]
	  r:
	    image: bb
	    command: [sleep, "1000"]
	EOF
}
teardown() { up_env_teardown; }

ex() {
	run --separate-stderr stack exec -T "$@"
}

@test "exit codes pass through; 127 for a missing command; a stopped service is a clear error" {
	run -0 stack up -d
	ex s sh -c 'exit 7'
	[ "$status" -eq 7 ]
	ex s true
	[ "$status" -eq 0 ]
	ex s /no/such/command
	[ "$status" -eq 127 ]
	run -0 stack stop s
	ex s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"service \`s\` has no running container 1"* ]]
	# the other service still answers
	ex r true
	[ "$status" -eq 0 ]
}

@test "the exec'd process has the payload's user, CapEff, Seccomp and NoNewPrivs" {
	stack up -d
	for svc in s r; do
		# The payload is PID 2 (our init is 1); compare from inside.
		ex "$svc" sh -c 'id -u; for p in self 2; do grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/$p/status | tr "\n" " "; echo; done'
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 3 ]
		[ "${lines[1]}" = "${lines[2]}" ]
		[[ "${lines[1]}" == *"NoNewPrivs:	1"* ]]
		[[ "${lines[1]}" == *"Seccomp:	2"* ]]
		# and what ps reports of the payload
		[ "${lines[0]}" = "$(ps_field "$svc" user | cut -d: -f1)" ]
		[[ "${lines[1]}" == *"CapEff:	$(ps_field "$svc" cap_eff)"* ]]
	done
	[ "$(ps_field s user)" = "1000:1000" ]
}

@test "the exec'd process is in the container's cgroup and pid namespace, blind to the host's processes" {
	stack up -d
	pid=$(ps_field r pid)
	# ps, not in a pipeline: the container holds init, the payload, our
	# shell and ps, and nothing else.
	ex r sh -c 'readlink /proc/self/ns/pid; cut -d: -f3 /proc/self/cgroup | sort -u
		ps -o pid,comm >/tmp/ps.txt; while read -r pid comm; do echo "$pid $comm"; done </tmp/ps.txt'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/"$pid"/ns/pid)" ]
	[ "${lines[1]}" = / ]
	[ "${lines[2]}" = "PID COMMAND" ]
	[ "${lines[3]}" = "1 stack-init" ]
	[ "${lines[4]}" = "2 sleep" ]
	[[ "${lines[5]}" == *" sh" ]]
	[[ "${lines[6]}" == *" ps" ]]
	[ "${#lines[@]}" -eq 7 ]
	# From the host: a detached exec runs in the payload's cgroup.
	run -0 stack exec -d r sleep 123
	local procs p found=0
	procs="/sys/fs/cgroup/pids/$STACK_CGROUP_PARENT/t-r-1/cgroup.procs"
	[ -f "$procs" ] || procs="/sys/fs/cgroup/unified/$STACK_CGROUP_PARENT/t-r-1/cgroup.procs"
	grep -qx "$pid" "$procs"
	wait_for 10 grep -q . "$procs"
	for p in $(cat "$procs"); do
		[ "$(cat /proc/$p/cmdline 2>/dev/null | tr '\0' ' ')" = "sleep 123 " ] && found=1
	done
	[ "$found" = 1 ]
}

@test "after a restart of the service exec reaches the new container" {
	stack up -d
	ex r sh -c 'echo $$ > /tmp/old-marker'
	[ "$status" -eq 0 ]
	pid1=$(ps_field r pid)
	run -0 stack restart r
	wait_for 20 state_is r running
	pid2=$(ps_field r pid)
	[ "$pid2" != "$pid1" ]
	ex r sh -c 'test ! -e /tmp/old-marker && readlink /proc/2/ns/pid'
	# a fresh upper dir (no marker) and the new payload's pid namespace
	# (an inode number alone may be reused, so not compared to the old one)
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/"$pid2"/ns/pid)" ]
}
