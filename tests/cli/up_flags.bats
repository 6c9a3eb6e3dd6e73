#!/usr/bin/env bats
# The compose flags of issue 8: `logs --since/--until`, `ps --status` (and
# `--filter status=`), `down -v` and `down --rmi local|all`, on real
# stacks of busybox services, with hostile input for each.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() {
	run_env_setup_file
	export STACK_CGROUP_PARENT="stack-flags-$$"
}
teardown_file() { up_env_teardown_file; }
setup() { up_env_setup; }
teardown() {
	# a filesystem a test mounted on a volume dir (down -v leaves it there)
	if [ -n "${TEST_MOUNT:-}" ] && mountpoint -q "$TEST_MOUNT"; then umount "$TEST_MOUNT"; fi
	up_env_teardown
}

# log_rec TIME LINE: one record of a service's log file.
log_rec() {
	printf '{"time": "%s", "stream": "stdout", "line": "%s"}\n' "$1" "$2"
}

# A stack that never ran, with log files of known times for service s:
# s.log.1 (rotated, older) then s.log; and one line of service u between.
fake_logs() {
	printf 'services:\n  s: {image: bb}\n  u: {image: bb}\n' | stack_file
	mkdir -p "$STACK_ROOT/logs/t"
	{
		log_rec 2026-01-01T10:00:00.000000000Z r1
		log_rec 2026-01-01T11:00:00.000000000Z r2
	} >"$STACK_ROOT/logs/t/s.log.1"
	{
		log_rec 2026-01-01T12:00:00.000000000Z c1
		log_rec 2026-01-01T13:00:00.500000000Z c2
		log_rec 2026-01-01T14:00:00.000000000Z c3
	} >"$STACK_ROOT/logs/t/s.log"
	log_rec 2026-01-01T12:30:00.000000000Z u1 >"$STACK_ROOT/logs/t/u.log"
}

@test "logs --since/--until select by time across rotated files, both ends included" {
	fake_logs
	run -0 stack logs --no-log-prefix s
	[ "$(echo $output)" = "r1 r2 c1 c2 c3" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T11:00:00Z s
	[ "$(echo $output)" = "r2 c1 c2 c3" ]
	run -0 stack logs --no-log-prefix --until 2026-01-01T12:00:00Z s
	[ "$(echo $output)" = "r1 r2 c1" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T10:30:00Z --until 2026-01-01T13:00:00.5Z s
	[ "$(echo $output)" = "r2 c1 c2" ]
	# zones and Unix times name the same instants
	run -0 stack logs --no-log-prefix --since 2026-01-01T11:30:00+01:00 --until 1767272400 s
	[ "$(echo $output)" = "r2 c1" ]
	# merged across services by time, the window applied to each
	run -0 stack logs --no-color --since 2026-01-01T12:00:00Z --until 2026-01-01T13:00:00Z
	[ "${lines[0]}" = "s | c1" ]
	[ "${lines[1]}" = "u | u1" ]
	[ "${#lines[@]}" -eq 2 ]
	# -t shows the times the window was taken on
	run -0 stack logs --no-log-prefix -t --since 2026-01-01T14:00:00Z s
	[ "$output" = "2026-01-01T14:00:00.000000000Z c3" ]
}

@test "logs --tail counts the lines inside the window, not the whole file" {
	fake_logs
	run -0 stack logs --no-log-prefix --until 2026-01-01T12:00:00Z --tail 2 s
	[ "$(echo $output)" = "r2 c1" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T10:00:00Z --until 2026-01-01T11:00:00Z --tail 5 s
	[ "$(echo $output)" = "r1 r2" ]
	run -0 stack logs --no-log-prefix --since 2026-01-01T12:00:00Z --tail 0 s
	[ -z "$output" ]
}

@test "logs --since a duration on a running stack; -f --until a past time ends by itself" {
	one_service '{image: bb, command: [sh, -c, "echo first-line; until [ -e /tmp/go ]; do sleep 0.1; done; echo later-line; exec sleep 1000"]}'
	stack up -d
	wait_for 10 grep -q first-line "$STACK_ROOT/logs/t/s.log"
	run -0 stack logs --no-log-prefix --since 1h
	[ "$output" = first-line ]
	# an hour ago nothing had been written yet
	run -0 stack logs --no-log-prefix --until 1h
	[ -z "$output" ]
	# the line was written before now: a --since of now hides it
	now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	run -0 stack logs --no-log-prefix --since "$now"
	[ -z "$output" ]
	# the supervisor is alive, yet a follow bounded by the past returns
	sup_alive
	run -0 stack logs -f --no-log-prefix --until "$now"
	[ "$output" = first-line ]
	# a follow from a time on shows what comes after it, then ends with the stack
	stack_bg "$BATS_TEST_TMPDIR/follow" "$BATS_TEST_TMPDIR/follow.err" logs -f --no-log-prefix --since "$now"
	stack exec s touch /tmp/go
	wait_for 10 grep -q later-line "$BATS_TEST_TMPDIR/follow"
	! grep -q first-line "$BATS_TEST_TMPDIR/follow" || false
	stack down -t 1
	wait_exit "$BG_PID" 10
	[ "$BG_STATUS" -eq 0 ]
}

@test "hostile --since/--until: garbage, negative, too far, terminal escapes are usage errors" {
	fake_logs
	for t in yesterday "" -10m -1 10mm "2026-13-01" "2026-02-30T00:00:00Z" "10000-01-01" \
		"2026-01-01T12:00:00Z; rm -rf /" 99999999999999999999 "9999999999h" "1.5"x; do
		run -2 stack logs --since "$t"
		[[ "$output" == *"--since"*"RFC 3339"*"duration back from now"* ]]
		run -2 stack logs --until "$t"
		[[ "$output" == *"--until"* ]]
	done
	run -2 stack logs --since -10m
	[[ "$output" == *"cannot be negative"* ]]
	# an escape sequence in the argument is shown, not played to the terminal
	run -2 stack logs --since $'\e[2J\e]0;owned\a'
	[[ "$output" != *$'\e'* ]]
	[[ "$output" == *'\x1b[2J'* ]]
	# far future and far past are valid: nothing, everything
	run -0 stack logs --no-log-prefix --since 9999-12-31T23:59:59Z s
	[ -z "$output" ]
	run -0 stack logs --no-log-prefix --since 1900-01-01T00:00:00Z s
	[ "$(echo $output)" = "r1 r2 c1 c2 c3" ]
	run -0 stack logs --no-log-prefix --since 2000000h s
	[ "$(echo $output)" = "r1 r2 c1 c2 c3" ]
	# the log files are untouched by any of it
	[ "$(wc -l <"$STACK_ROOT/logs/t/s.log")" -eq 3 ]
}

# ps_services ARGS...: the services `stack ps ARGS --format json` lists, sorted, on one line.
ps_services() {
	stack ps --format json "$@" | python3 -c '
import json, sys
print(" ".join(sorted(r["service"] for r in json.load(sys.stdin))))'
}

# ps_services_are WANT ARGS...: ps_services ARGS says WANT (for wait_for).
ps_services_are() {
	local want=$1
	shift
	[ "$(ps_services "$@")" = "$want" ]
}

@test "ps --status maps docker's statuses onto the supervisor's states; repeated ones OR" {
	stack_file <<-'EOF'
	services:
	  run: {image: bb, command: [sleep, "1000"]}
	  done: {image: bb, command: [true]}
	  crash: {image: bb, command: [sh, -c, "exit 3"], restart: always}
	  gate:
	    image: bb
	    command: [sleep, "1000"]
	    healthcheck: {test: [CMD, "false"], interval: 1h, start_period: 1h}
	  waiter:
	    image: bb
	    command: [sleep, "1000"]
	    depends_on: {gate: {condition: service_healthy}}
	EOF
	# up -d waits for `waiter`, which never starts: it runs on in the background
	stack_bg "$BATS_TEST_TMPDIR/up.out" "$BATS_TEST_TMPDIR/up.err" up -d
	wait_for 30 state_is waiter created
	wait_for 10 state_is done exited
	# crash flaps between restarting and running: each view is waited for,
	# not sampled once
	wait_for 30 ps_services_are "gate run" --status running
	wait_for 10 ps_services_are done --status exited
	wait_for 10 ps_services_are waiter --status created
	wait_for 30 ps_services_are crash --status restarting
	# a status filter needs no -a: exited ones are shown
	wait_for 10 ps_services_are "done waiter" --status exited --status created
	wait_for 30 ps_services_are "done gate run" --filter status=exited --status running
	[ -z "$(ps_services --status paused)" ]
	[ -z "$(ps_services --status dead)" ]
	[ -z "$(ps_services --status removing)" ]
	# with SERVICE names, the intersection
	wait_for 10 ps_services_are run --status running run
	[ -z "$(ps_services --status exited run)" ]
	# the table and -q filter alike
	run -0 stack ps -q --status exited
	[ "$output" = "t-done-1" ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
}

@test "ps --status dead: the containers a killed supervisor took along" {
	stack_file <<-'EOF'
	services:
	  run: {image: bb, command: [sleep, "1000"]}
	  done: {image: bb, command: [true]}
	EOF
	stack up -d
	wait_for 10 state_is done exited
	wait_for 10 state_is run running
	kill -KILL "$(sup_pid)"
	wait_for 10 eval '! sup_alive'
	wait_for 10 eval '[ "$(ps_services --status dead 2>/dev/null)" = run ]'
	[ "$(ps_services --status exited 2>/dev/null)" = "done run" ]
	[ -z "$(ps_services --status running 2>/dev/null)" ]
}

@test "hostile ps --status / --filter: unknown or injected values are usage errors listing the valid ones" {
	one_service '{image: bb, command: [sleep, "1000"]}'
	stack up -d
	for s in "" Running "running " run stopping removed "running,exited" 'running;id' '$(id)' \
		"running"$'\n'"exited" "../../etc/passwd"; do
		run -2 stack ps --status "$s"
		[[ "$output" == *"unknown status"*"created, restarting, running, removing, paused, exited, dead"* ]]
		run -2 stack ps --filter "status=$s"
		[[ "$output" == *"unknown status"* ]]
	done
	run -2 stack ps --status $'\e]0;owned\a'
	[[ "$output" != *$'\e'* ]]
	[[ "$output" == *'\x1b]0;owned\x07'* ]]
	run -2 stack ps --filter name=s
	[[ "$output" == *"not status=STATUS"* ]]
	run -2 stack ps --filter status
	run -2 stack ps --status
	# nothing was disturbed
	state_is s running
}

# image_names: the names in the store (`stack images --format json`), sorted, one line.
image_names() {
	"$STACK_BIN" images --format json | python3 -c '
import json, sys
print(" ".join(sorted(r.get("name", "") for r in json.load(sys.stdin))))'
}

# A stack with a named volume `data` and a bind mount ./bind, whose
# service writes into both.
volume_stack() {
	mkdir -p "$BATS_TEST_TMPDIR/bind"
	stack_file <<-'EOF'
	volumes: {data: {}}
	services:
	  s:
	    image: bb
	    volumes: [data:/data, ./bind:/bind]
	    command: [sh, -c, "echo v >>/data/f; echo b >>/bind/f; exec sleep 1000"]
	EOF
}

@test "down keeps named volumes; down -v removes them and never a bind mount's source" {
	volume_stack
	stack up -d
	vol=$STACK_ROOT/volumes/t_data
	wait_for 10 test -s "$vol/f"
	run -0 stack down -t 1
	[[ "$output" != *"Volume"* ]]
	[ "$(cat "$vol/f")" = v ]
	# up again: the data is still there
	stack up -d
	wait_for 10 eval '[ "$(wc -l <"$vol/f")" -eq 2 ]'
	run -0 stack exec s cat /data/f
	[ "$(echo $output)" = "v v" ]
	run -0 stack down -t 1 -v
	[[ "$output" == *" Volume t_data  Removed"* ]]
	[ ! -e "$vol" ]
	[ "$(echo $(cat "$BATS_TEST_TMPDIR/bind/f"))" = "b b" ]
	# again: nothing to remove, no error
	run -0 stack down -v
	[[ "$output" != *"Volume"* ]]
}

@test "hostile down -v: a symlinked volume dir or a symlink inside it is not followed" {
	volume_stack
	stack up -d
	vol=$STACK_ROOT/volumes/t_data
	wait_for 10 test -s "$vol/f"
	stack down -t 1
	outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside/deep"
	echo keep >"$outside/precious"
	echo keep >"$outside/deep/precious"
	# a symlink inside the volume
	ln -s "$outside" "$vol/link"
	ln -s "$outside/precious" "$vol/file-link"
	run -0 stack down -v
	[ ! -e "$vol" ]
	[ ! -L "$vol" ]
	[ -f "$outside/precious" ]
	[ -f "$outside/deep/precious" ]
	# the volume dir itself a symlink to outside
	ln -s "$outside" "$vol"
	run -0 stack down -v
	[ ! -L "$vol" ]
	[ -f "$outside/precious" ]
	[ -f "$outside/deep/precious" ]
	# the volumes dir a symlink: refused, nothing removed through it
	mv "$STACK_ROOT/volumes" "$BATS_TEST_TMPDIR/real-volumes"
	mkdir -p "$outside/t_data"
	echo keep >"$outside/t_data/precious"
	ln -s "$outside" "$STACK_ROOT/volumes"
	run -1 stack down -v
	[[ "$output" == *"is a symlink or not a directory"* ]]
	[ -f "$outside/t_data/precious" ]
	rm "$STACK_ROOT/volumes"
	mv "$BATS_TEST_TMPDIR/real-volumes" "$STACK_ROOT/volumes"
}

@test "hostile down -v: a volume dir that is a mount point is left whole, the rest of down is done" {
	mkdir -p "$BATS_TEST_TMPDIR/bind"
	stack_file <<-'EOF'
	volumes: {data: {}, other: {}}
	services:
	  s:
	    image: bb
	    volumes: [data:/data, other:/other]
	    command: [sh, -c, "echo v >/data/f; echo o >/other/f; exec sleep 1000"]
	EOF
	stack up -d
	vol=$STACK_ROOT/volumes/t_data
	wait_for 10 test -s "$STACK_ROOT/volumes/t_other/f"
	# someone mounted a disk (a tmpfs here) on the volume's directory
	TEST_MOUNT=$vol
	mount -t tmpfs -o size=1m stack-test-vol "$vol"
	echo keep >"$vol/marker"
	mkdir "$vol/sub"
	echo keep >"$vol/sub/marker"
	run -1 stack down -t 1 -v
	# what is kept, why, and what to do
	[[ "$output" == *"volume \`data\`: \`$vol\` is a mount point"* ]]
	[[ "$output" == *"unmount it (\`umount $vol\`) and run again"* ]]
	[[ "$output" != *"Volume t_data  Removed"* ]]
	[ "$(cat "$vol/marker")" = keep ]
	[ "$(cat "$vol/sub/marker")" = keep ]
	mountpoint -q "$vol"
	# the rest of down is done: the other volume, the container, the supervisor
	[[ "$output" == *" Volume t_other  Removed"* ]]
	[ ! -e "$STACK_ROOT/volumes/t_other" ]
	! sup_alive || false
	# unmounted (the only mount left), the volume's own data goes as any other's
	[ "$(mountinfo_ours | wc -l)" -eq 1 ]
	umount "$vol"
	[ "$(project_leftovers)" -eq 0 ]
	[ "$(cat "$vol/f")" = v ]
	run -0 stack down -v
	[[ "$output" == *" Volume t_data  Removed"* ]]
	[ ! -e "$vol" ]
}

@test "hostile down -v: volume names with dots remove only their own dir; '..' is refused by the loader" {
	mkdir -p "$STACK_ROOT/volumes/t_a" "$STACK_ROOT/volumes/u_data" "$STACK_ROOT/volumes/t_a..b"
	touch "$STACK_ROOT/volumes/t_a/f" "$STACK_ROOT/volumes/u_data/f" "$STACK_ROOT/volumes/t_a..b/f"
	printf 'volumes: {"a..b": {}}\nservices:\n  s: {image: bb, volumes: ["a..b:/d"]}\n' | stack_file
	run -0 stack down -v
	[[ "$output" == *" Volume t_a..b  Removed"* ]]
	[ ! -e "$STACK_ROOT/volumes/t_a..b" ]
	[ -f "$STACK_ROOT/volumes/t_a/f" ]
	[ -f "$STACK_ROOT/volumes/u_data/f" ]
	for bad in .. ../u_data . ../../etc "a/b"; do
		printf 'volumes: {"%s": {}}\nservices:\n  s: {image: bb}\n' "$bad" | stack_file
		run -2 stack down -v
		[[ "$output" == *"volume"* ]]
	done
	[ -f "$STACK_ROOT/volumes/t_a/f" ]
	[ -f "$STACK_ROOT/volumes/u_data/f" ]
	[ -d "$STACK_ROOT/volumes" ]
}

# A stack with one image of each kind: `chain` (images:), `t-built` (a
# service's build: without image:), `mytag` (a build: with image:) and
# the base bb (an imported rootfs).
rmi_stack() {
	local d
	for d in ctx ctx2 ctx3; do
		mkdir -p "$BATS_TEST_TMPDIR/$d"
		printf 'FROM bb\nCOPY f /f\n' >"$BATS_TEST_TMPDIR/$d/Dockerfile"
		echo "$d" >"$BATS_TEST_TMPDIR/$d/f"
	done
	stack_file <<-'EOF'
	images:
	  chain: {context: ctx}
	services:
	  built: {build: ctx2, command: [sleep, "1000"]}
	  tagged: {build: ctx3, image: mytag, command: [sleep, "1000"]}
	  fromchain: {image: chain, command: [sleep, "1000"]}
	EOF
}

@test "down --rmi local removes the builds without image:, --rmi all every image of the stack" {
	rmi_stack
	run -0 stack build
	stack up -d
	wait_for 10 state_is built running
	before=$(image_names)
	[[ " $before " == *" chain:latest "* && " $before " == *" t-built:latest "* && " $before " == *" mytag:latest "* ]]
	[[ "$before" == *"rootfs@"* ]]
	run -0 stack down -t 1 --rmi local
	[[ "$output" == *" Image t-built  Removed"* ]]
	[[ "$output" != *"Image mytag"* && "$output" != *"Image chain"* && "$output" != *"Image bb"* ]]
	after=$(image_names)
	[[ " $after " != *" t-built:latest "* ]]
	[[ " $after " == *" chain:latest "* && " $after " == *" mytag:latest "* && "$after" == *"rootfs@"* ]]
	run -0 stack build
	run -0 stack down --rmi all
	[[ "$output" == *" Image chain  Removed"* && "$output" == *" Image mytag  Removed"* ]]
	[[ "$output" == *" Image t-built  Removed"* && "$output" == *" Image bb  Removed"* ]]
	[ -z "$(image_names)" ]
	# nothing left to remove: no error
	run -0 stack down --rmi all
	run -2 stack down --rmi none
	[[ "$output" == *"neither local nor all"* ]]
	run -2 stack down --rmi $'\e[2Jall'
	[[ "$output" != *$'\e'* ]]
}

@test "hostile down --rmi all: an image another running stack uses is kept, and said so" {
	rmi_stack
	run -0 stack build
	# project u runs the same base, and the image `chain` (of the store,
	# where image names are global, as docker's) built on it
	mkdir -p "$BATS_TEST_TMPDIR/u"
	printf 'name: u\nbases:\n  bb: {rootfs: %s}\nimages:\n  chain: {context: ../ctx}\nservices:\n  s: {image: bb, command: [sleep, "1000"]}\n  c: {image: chain, command: [sleep, "1000"]}\n' \
		"$ROOTFS" >"$BATS_TEST_TMPDIR/u/stack.yaml"
	ustack() { timeout -k 5 60 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/u/stack.yaml" "$@"; }
	ustack up -d
	wait_for 10 eval 'ustack ps --format json | grep -q "\"state\": \"running\""'
	run -0 stack down --rmi all
	[[ "$output" == *" Image bb  Kept: container u-"?"-1 of project \`u\`"* ]]
	[[ "$output" == *" Image chain  Kept: container u-c-1 of project \`u\`"* ]]
	[[ "$output" == *" Image t-built  Removed"* && "$output" == *" Image mytag  Removed"* ]]
	[[ " $(image_names) " == *" chain:latest "* && "$(image_names)" == *"rootfs@"* ]]
	# u still runs, and starts again from what it kept
	ustack restart s
	wait_for 10 eval 'ustack ps --format json --status running | grep -q u-s-1'
	ustack down -t 1
	run -0 stack down --rmi all
	[[ "$output" == *" Image bb  Removed"* && "$output" == *" Image chain  Removed"* ]]
	[ -z "$(image_names)" ]
}
