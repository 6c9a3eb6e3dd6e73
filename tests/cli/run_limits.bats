#!/usr/bin/env bats
# `stack run` resource limits, enforced on real containers: pids_limit holds
# a fork bomb, mem_limit OOM-kills a hog (exit 137, "OOMKilled"), the cgroup
# files on the host carry the stack file's values while the container runs,
# and ulimits reach the process.  Every test also checks that the cgroup is
# gone once `stack run` returned.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

# cg CONTROLLER NAME FILE: a v1 cgroup file of container NAME on the host.
cg() {
	cat "/sys/fs/cgroup/$1/$STACK_CGROUP_PARENT/$2/$3"
}

# running_in_cgroup NAME: the container's memory cgroup holds the payload
# as well as init (cgroup files have size 0: read them, do not test -s).
running_in_cgroup() {
	local n
	n=$(wc -l <"/sys/fs/cgroup/memory/$STACK_CGROUP_PARENT/$1/cgroup.procs" 2>/dev/null) && [ "$n" -ge 2 ]
}

# start_sleeper NAME: `stack run --name NAME s sleep 60` in the background,
# returning once its payload runs inside the cgroup.
start_sleeper() {
	stack_bg out err run --rm --name "$1" s sleep 60
	wait_for 20 running_in_cgroup "$1" || { cat err >&2; return 1; }
}

# stop_sleeper NAME: SIGTERM to `stack run` (forwarded to the payload), then
# it must exit 143 and leave no cgroup behind.
stop_sleeper() {
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 143 ] || { echo "stack run exited $BG_STATUS, want 143; stderr: $(cat err)" >&2; return 1; }
	assert_no_leftovers
}

@test "pids_limit 32 holds a fork bomb: forks fail with EAGAIN, the host stays responsive, the cgroup is gone" {
	one_service '{image: bb, pids_limit: 32}'
	# The inner shell starts 100 sleeps (it dies on the first failed
	# fork); the outer one then counts the container's processes with
	# builtins only, since no fork is left.  (Counting comm == sleep
	# would race with children that have not exec'd yet.)
	run --separate-stderr stack run --rm s sh -c '
		sh -c "i=0; while [ \$i -lt 100 ]; do sleep 5 & i=\$((i+1)); done; echo started=\$i"
		n=0
		for f in /proc/[0-9]*; do n=$((n+1)); done
		echo "tasks=$n"'
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"can't fork"* ]]
	[[ "$output" != *started=100* ]]
	n=${output##*tasks=}
	echo "tasks in the container: $n"
	# init, the outer shell and the sleeps, at most 32; well above a
	# handful, or the bomb never went off.
	[ "$n" -le 32 ]
	[ "$n" -ge 24 ]
	assert_no_leftovers
}

@test "pids_limit: pids.max on the host while the container runs" {
	one_service '{image: bb, pids_limit: 32}'
	name=lim-pids-$$
	start_sleeper "$name"
	[ "$(cg pids "$name" pids.max)" = 32 ]
	# init + sleep
	[ "$(cg pids "$name" pids.current)" -ge 2 ]
	stop_sleeper "$name"
}

@test "mem_limit 32m: a memory hog is OOM-killed, exit 137, stderr says OOMKilled" {
	one_service '{image: bb, mem_limit: 32m}'
	run --separate-stderr stack run --rm s syscall-probe memhog 200
	[ "$status" -eq 137 ]
	[[ "$stderr" == *OOMKilled* ]]
	[[ "$output" != *OK* ]]
	assert_no_leftovers
}

@test "mem_limit 32m: busybox head|tail hog is OOM-killed as well" {
	one_service '{image: bb, mem_limit: 32m}'
	run --separate-stderr stack run --rm s sh -c 'head -c 200m /dev/zero | tail; echo survived'
	# tail is killed, not the shell; the run itself still ends in an OOM kill report
	[[ "$stderr" == *OOMKilled* ]]
	[ "$status" -eq 137 ]
	assert_no_leftovers
}

@test "a hog below mem_limit is not killed (the limit is not simply tiny)" {
	one_service '{image: bb, mem_limit: 64m}'
	run --separate-stderr stack run --rm s syscall-probe memhog 16
	[ "$status" -eq 0 ]
	[ "$output" = OK ]
	[[ "$stderr" != *OOMKilled* ]]
}

@test "mem_limit, memsw (= mem_limit when memswap_limit is unset), cpu_shares, cpus in the host's cgroup files" {
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    mem_limit: 48m
	    cpu_shares: 512
	    cpus: 0.5
	    pids_limit: 64
	EOF
	name=lim-files-$$
	start_sleeper "$name"
	[ "$(cg memory "$name" memory.limit_in_bytes)" = $((48 * 1024 * 1024)) ]
	if [ -e "/sys/fs/cgroup/memory/$STACK_CGROUP_PARENT/$name/memory.memsw.limit_in_bytes" ]; then
		[ "$(cg memory "$name" memory.memsw.limit_in_bytes)" = $((48 * 1024 * 1024)) ]
	fi
	[ "$(cg cpu "$name" cpu.shares)" = 512 ]
	[ "$(cg cpu "$name" cpu.cfs_period_us)" = 100000 ]
	[ "$(cg cpu "$name" cpu.cfs_quota_us)" = 50000 ]
	[ "$(cg pids "$name" pids.max)" = 64 ]
	# The payload itself (not only init) is in those cgroups.
	found=
	for p in $(cg memory "$name" cgroup.procs); do
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline")" = "sleep 60 " ] && found=$p
	done
	[ -n "$found" ]
	for c in memory pids cpu; do
		grep -E "^[0-9]+:([a-z]+,)*$c(,[a-z]+)*:/$STACK_CGROUP_PARENT/$name\$" "/proc/$found/cgroup"
	done
	stop_sleeper "$name"
}

@test "memswap_limit set: memsw carries it" {
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting on this host"
	one_service '{image: bb, mem_limit: 32m, memswap_limit: 64m}'
	name=lim-memsw-$$
	start_sleeper "$name"
	[ "$(cg memory "$name" memory.limit_in_bytes)" = $((32 * 1024 * 1024)) ]
	[ "$(cg memory "$name" memory.memsw.limit_in_bytes)" = $((64 * 1024 * 1024)) ]
	stop_sleeper "$name"
}

@test "ulimits nofile soft/hard reach the process (ulimit -n, -Hn)" {
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    ulimits:
	      nofile: {soft: 1024, hard: 2048}
	      nproc: 512
	EOF
	run --separate-stderr stack run --rm s sh -c 'echo "$(ulimit -n) $(ulimit -Hn) $(ulimit -u)"; grep "Max open files" /proc/self/limits'
	[ "$status" -eq 0 ]
	[[ "$output" == "1024 2048 512"* ]]
	[[ "$output" == *"Max open files"*1024*2048* ]]
}

@test "ulimits nofile: more descriptors than the soft limit cannot be opened" {
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    ulimits:
	      nofile: {soft: 16, hard: 16}
	EOF
	# fd 15 (below the limit) opens, so a refusal of fd 20 is the limit's
	run --separate-stderr stack run --rm s sh -c 'exec 15</dev/null && echo opened-fd-15; exec 20</dev/null && echo opened-fd-20'
	[ "$status" -ne 0 ]
	[ "$output" = opened-fd-15 ]
}
