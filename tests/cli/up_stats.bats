#!/usr/bin/env bats
# `stack stats` and `stack top` against running containers: the limits of
# the stack file as the cgroup holds them, memory usage that follows what
# a process inside holds, CPU use of a busy loop, the processes `stack
# exec` starts; and clear errors for a stack that is down, a stopped
# service, an unknown one.

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
	    command: [sleep, "1000"]
	    mem_limit: 96m
	    pids_limit: 40
	  free:
	    image: bb
	    command: [sleep, "1000"]
	EOF
}
teardown() { up_env_teardown; }

# stat_field SERVICE FIELD: FIELD of SERVICE in `stack stats --no-stream --format json`
stat_field() {
	stack stats --no-stream --format json "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["service"] == sys.argv[1]:
        v = r[sys.argv[2]]
        print("null" if v is None else v)
' "$1" "$2"
}

@test "the stack file's limits: memory 96m and pids 40; a service without them shows none" {
	run -0 stack up -d
	[ "$(stat_field s memory_limit)" = 100663296 ]
	[ "$(stat_field s memory_limit_set)" = True ]
	[ "$(stat_field s pids_limit)" = 40 ]
	# init and sleep
	[ "$(stat_field s pids)" -ge 2 ]
	[ "$(stat_field free memory_limit_set)" = False ]
	[ "$(stat_field free pids_limit)" = null ]
	run -0 stack stats --no-stream
	echo "$output"
	[[ "${lines[0]}" == *"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"PIDS / LIMIT"* ]]
	grep -E '^s +t-s-1 +[0-9.]+% +[0-9.]+[KMG]?i?B / 96MiB +[0-9.]+% +[0-9]+ / 40$' <<<"$output"
	grep -E '^free +t-free-1 .* / -$' <<<"$output"
}

@test "memory usage rises with what a process inside holds (48 MiB in /dev/shm)" {
	run -0 stack up -d
	before=$(stat_field s memory_usage)
	run -0 stack exec -T s sh -c 'head -c 48m /dev/zero >/dev/shm/hog'
	after=$(stat_field s memory_usage)
	echo "before $before after $after"
	[ $((after - before)) -ge $((40 * 1024 * 1024)) ]
	pct=$(stat_field s memory_percent)
	python3 -c 'import sys; assert float(sys.argv[1]) > 40, sys.argv[1]' "$pct"
	run -0 stack exec -T s rm /dev/shm/hog
}

@test "CPU %: a busy loop inside shows CPU use" {
	run -0 stack up -d
	run -0 stack exec -d s sh -c 'while :; do :; done'
	busy=$(stat_field s cpu_percent)
	echo "busy $busy"
	python3 -c 'import sys; assert float(sys.argv[1]) > 0, sys.argv[1]' "$busy"
}

@test "streaming: a frame each second until Ctrl-C (exit 130)" {
	run -0 stack up -d
	stack_bg "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/st.err" stats --format json s
	wait_for 30 eval '[ "$(wc -l <"$BATS_TEST_TMPDIR/st")" -ge 2 ]'
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 10
	[ "$BG_STATUS" -eq 130 ]
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert r["service"] == "s" and r["memory_limit"] == 96 * 1024 * 1024, r
' "$BATS_TEST_TMPDIR/st"
}

@test "top lists the container's processes, and one started by exec, with host pids" {
	run -0 stack up -d
	run -0 stack exec -d s sleep 4242
	wait_for 20 eval 'stack top s | grep -q "sleep 4242"'
	run -0 stack top
	echo "$output"
	[[ "$output" == *t-s-1*UID*PID*PPID*TIME*CMD* ]]
	[[ "$output" == *t-free-1* ]]
	line=$(grep 'sleep 4242$' <<<"$output")
	pid=$(awk '{ print $2 }' <<<"$line")
	[ "$(awk '{ print $1 }' <<<"$line")" = root ]
	# the pid is the host's: its cmdline there is the same
	[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" = "sleep 4242 " ]
	init=$(ps_field s pid)
	grep -qE "^root +$init " <<<"$output"
	run -0 stack top free
	[[ "$output" != *t-s-1* ]]
}

@test "hostile: a stack that is down, a stopped service, an unknown service, a bad --format" {
	run --separate-stderr -1 stack stats --no-stream
	[[ "$stderr" == *"project \`t\` is not running: start it with \`stack up -d\`"* ]]
	run --separate-stderr -1 stack top
	[[ "$stderr" == *"project \`t\` is not running: start it with \`stack up -d\`"* ]]
	run -0 stack up -d
	run -0 stack stop -t 1 free
	run --separate-stderr -1 stack stats --no-stream free
	[[ "$stderr" == *"no running container of these services: start them with \`stack up -d\`"* ]]
	run --separate-stderr -1 stack top free
	[[ "$stderr" == *"no running container of these services: start them with \`stack up -d\`"* ]]
	run --separate-stderr -2 stack stats nosuch
	[[ "$stderr" == *"no service \`nosuch\`"* ]]
	run --separate-stderr -2 stack top nosuch
	[[ "$stderr" == *"no service \`nosuch\`"* ]]
	run --separate-stderr -2 stack stats --format yaml
	[[ "$stderr" == *"--format: \`yaml\` is not \`table\` or \`json\`"* ]]
	run -0 stack down -t 1
	run --separate-stderr -1 stack stats --no-stream
	[[ "$stderr" == *"is not running"* ]]
}

@test "a dead supervisor's containers are gone with it: stats says the stack is not running" {
	run -0 stack up -d
	pid=$(sup_pid)
	kill -KILL "$pid"
	wait_for 20 eval '! sup_alive'
	wait_for 20 eval '! stack top >/dev/null 2>&1'
	run --separate-stderr -1 stack stats --no-stream
	[[ "$stderr" == *"is not running"* ]]
}
