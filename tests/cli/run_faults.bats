#!/usr/bin/env bats
# `stack run` interrupted at every moment: kill -9, stop signals before and
# while the container runs, its output going away, the store filling up,
# a kernel without pidfd_open.  After each: what is left is counted (files
# under STACK_ROOT and STACK_RUN, temp and lock files included, cgroups,
# mounts, processes) and must be nothing (after a kill -9: nothing once the
# next `stack run` swept).

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() {
	run_env_setup_file
	cc -static -O2 -o "$BATS_FILE_TMPDIR/enosys-exec" "$RUN_FIX/enosys-exec.c"
}
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() {
	run_env_teardown
	if [ -n "${SMALL_ROOT:-}" ]; then
		umount "$SMALL_ROOT" 2>/dev/null || true
	fi
}

# What a run must not leave: assert_no_leftovers, and no file at all
# under STACK_RUN (the project's dir goes with its last container), no
# temp entry in STACK_ROOT/tmp, no temp or lock file anywhere.
assert_nothing_left() {
	assert_no_leftovers || return 1
	local f
	f=$(find "$STACK_RUN" -mindepth 1)
	[ -z "$f" ] || { echo "left under STACK_RUN:"$'\n'"$f" >&2; return 1; }
	f=$(find "$STACK_ROOT/tmp" -mindepth 1 -maxdepth 1)
	[ -z "$f" ] || { echo "left in STACK_ROOT/tmp:"$'\n'"$f" >&2; return 1; }
	f=$(find "$STACK_ROOT" \( -name '*.tmp.*' -o -name '*.lock*' \))
	[ -z "$f" ] || { echo "temp or lock files left:"$'\n'"$f" >&2; return 1; }
}

# assert_nothing_left_quick: the same for files and cgroups, cheap enough
# for every round of a loop (assert_nothing_left runs once at its end).
assert_nothing_left_quick() {
	local f
	f=$(find "$STACK_RUN" "$STACK_ROOT/tmp" -mindepth 1 -maxdepth 2
		find "$STACK_ROOT" -maxdepth 2 \( -name '*.tmp.*' -o -name '*.lock*' \)
		ls -d /sys/fs/cgroup/*/"$STACK_CGROUP_PARENT"/* 2>/dev/null)
	[ -z "$f" ] || { echo "left behind:"$'\n'"$f" >&2; return 1; }
}

# rand_ms MAX: a random delay of 0..MAX ms, as a sleep(1) argument.
rand_ms() {
	printf '0.%03d' $((RANDOM % ($1 + 1)))
}

# sweep_and_check: the next run sweeps what kill -9s left; then nothing.
sweep_and_check() {
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 0 ] || { echo "sweeping run failed ($status): $stderr" >&2; return 1; }
	assert_nothing_left
}

@test "kill -9 at random moments (0-20 ms, with and without a first import): the next run leaves nothing" {
	one_service
	local i
	for i in $(seq 30); do
		# every other round imports the base again (image record, layer temp dir)
		[ $((i % 2)) = 0 ] && rm -f "$STACK_ROOT/images/bb.json"
		"$STACK_BIN" -f stack.yaml run --rm s true >/dev/null 2>&1 &
		sleep "$(rand_ms 20)"
		kill -KILL $! 2>/dev/null || true
		wait $! || true
	done
	sweep_and_check
}

# killed_at SYSCALL K [SIG]: run `stack run` and deliver SIG (default KILL)
# on its K-th SYSCALL (strace's fault injection: at an exact moment rather
# than a random one); the status in $status.
killed_at() {
	status=0
	# LeakSanitizer cannot run under ptrace (an ASan build's exit would be 1)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -qq -o /dev/null -e trace="$1" -e inject="$1:signal=${3:-KILL}:when=$2" \
		"$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" run --rm s true >/dev/null 2>&1 || status=$?
}

@test "kill -9 on each step that writes a lock, an image record or a layer: the next run leaves nothing" {
	command -v strace >/dev/null || skip "strace is not installed"
	one_service
	local sc k
	# each lock, link, rename and fsync; the first makes of dirs and
	# processes; the import helper's wait
	for sc in flock linkat rename fsync mkdir clone ppoll; do
		for k in 1 2 3; do
			[ $k != 2 ] && rm -f "$STACK_ROOT/images/bb.json"
			killed_at $sc $k
		done
	done
	sweep_and_check
}

@test "SIGTERM, SIGINT, SIGHUP at each early step: exit 128+N (or the container's status) and nothing left, without a sweep" {
	command -v strace >/dev/null || skip "strace is not installed"
	one_service
	local sig num sc k
	for sig in TERM INT HUP; do
		num=$(kill -l "$sig")
		for sc in openat mkdir flock linkat clone ppoll; do
			for k in 2; do
				rm -f "$STACK_ROOT/images/bb.json"
				killed_at $sc $k $sig
				if [ "$status" -ne $((128 + num)) ] && [ "$status" -ne 0 ]; then
					echo "SIG$sig at $sc #$k: exit $status, want $((128 + num)) or 0" >&2
					return 1
				fi
				assert_nothing_left_quick || { echo "after SIG$sig at $sc #$k" >&2; return 1; }
			done
		done
	done
	assert_nothing_left
}

@test "SIGTERM, SIGINT, SIGHUP at random early moments (0-20 ms): exit 128+N or the container's, nothing left" {
	one_service
	local i sig num st
	for i in $(seq 18); do
		sig=$(echo TERM INT HUP | cut -d' ' -f$((i % 3 + 1)))
		num=$(kill -l "$sig")
		[ $((i % 2)) = 0 ] && rm -f "$STACK_ROOT/images/bb.json"
		# A background job of a script starts with SIGINT ignored (POSIX):
		# with the default, a signal before our handlers (before main) kills.
		env --default-signal=INT,QUIT "$STACK_BIN" -f stack.yaml run --rm -T s sleep 5 >/dev/null 2>&1 &
		sleep "$(rand_ms 20)"
		kill -"$sig" $! 2>/dev/null || true
		st=0
		wait $! || st=$?
		# before the container: 128+N; once it runs, the payload gets the
		# signal and dies of it (the same number); never the timeout
		[ "$st" -eq $((128 + num)) ] || { echo "round $i, SIG$sig: exit $st" >&2; return 1; }
		assert_nothing_left_quick || { echo "after round $i (SIG$sig)" >&2; return 1; }
	done
	assert_nothing_left
}

@test "^C (SIGINT) during a long import: exit 130, the import's temp dir removed at once" {
	local big=$BATS_TEST_TMPDIR/big
	cp -a "$ROOTFS" "$big"
	head -c 300000000 /dev/zero >"$big/blob"
	printf 'name: t\nbases:\n  big: {rootfs: %s}\nservices:\n  s: {image: big}\n' "$big" >stack.yaml
	stack_bg out err run --rm s true
	wait_for 30 eval 'ls "$STACK_ROOT"/tmp/import-* >/dev/null 2>&1'
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 30
	cat err
	[ "$BG_STATUS" -eq 130 ]
	[ ! -e "$STACK_ROOT/images/big.json" ]
	assert_nothing_left
}

@test "a real-time signal (SIGRTMIN+3) during a long import: exit 128+N, named in the message, nothing left" {
	local big=$BATS_TEST_TMPDIR/big
	cp -a "$ROOTFS" "$big"
	head -c 300000000 /dev/zero >"$big/blob"
	printf 'name: t\nbases:\n  big: {rootfs: %s}\nservices:\n  s: {image: big}\n' "$big" >stack.yaml
	stack_bg out err run --rm s true
	wait_for 30 eval 'ls "$STACK_ROOT"/tmp/import-* >/dev/null 2>&1'
	kill -RTMIN+3 "$BG_PID"
	wait_exit "$BG_PID" 30
	cat err
	[ "$BG_STATUS" -eq $((128 + $(kill -l RTMIN+3))) ]
	grep -q 'stopped by SIGRTMIN+3' err
	assert_nothing_left
}

@test "SIGPIPE: stack run -t ... | head -c 10 stops the container through the normal path, nothing left" {
	one_service
	local st
	"$STACK_BIN" -f stack.yaml run -t s sh -c 'while :; do echo hello; done' 2>err | head -c 10 >out
	st=${PIPESTATUS[0]}
	[ "$(cat out)" = "$(printf 'hello\r\nhel')" ]
	# the container got its stop signal (SIGTERM: 143), we did not die of SIGPIPE (141)
	[ "$st" -eq 143 ]
	assert_nothing_left
}

@test "kill -INT of stack run without a TTY is forwarded to the container (as docker run does)" {
	one_service
	stack_bg out err run --rm -T s sh -c 'trap "echo got INT; exit 7" INT; echo ready; while :; do sleep 0.1; done'
	wait_for 20 grep -q ready out
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 7 ]
	grep -q "got INT" out
	assert_nothing_left
}

@test "USR1 and USR2 are forwarded too" {
	one_service
	stack_bg out err run --rm -T s sh -c 'trap "echo got USR1" USR1; trap "echo got USR2; exit 3" USR2; echo ready; while :; do sleep 0.1; done'
	wait_for 20 grep -q ready out
	kill -USR1 "$BG_PID"
	wait_for 20 grep -q "got USR1" out
	kill -USR2 "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 3 ]
	assert_nothing_left
}

ignore_term='trap "echo ignoring TERM" TERM; echo ready; while :; do sleep 0.1; done'

@test "a payload that ignores SIGTERM is killed when stop_grace_period ends" {
	one_service '{image: bb, stop_grace_period: 1s}'
	stack_bg out err run --rm -T s sh -c "$ignore_term"
	wait_for 20 grep -q ready out
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 30
	[ "$BG_STATUS" -eq 137 ]
	grep -q "ignoring TERM" out
	assert_nothing_left
}

@test "a payload that ignores SIGTERM is killed at a second signal (default grace period)" {
	one_service
	stack_bg out err run --rm -T s sh -c "$ignore_term"
	wait_for 20 grep -q ready out
	kill -TERM "$BG_PID"
	wait_for 20 grep -q "ignoring TERM" out
	sleep 0.5 # a second request, not a repeat of the first (run_wait.c)
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 5
	[ "$BG_STATUS" -eq 137 ]
	assert_nothing_left
}

@test "ENOSPC during an import names the store that filled (STACK_ROOT) and the entry, and leaves nothing" {
	SMALL_ROOT=$BATS_TEST_TMPDIR/small
	mkdir -p "$SMALL_ROOT"
	mount -t tmpfs -o size=2m tmpfs "$SMALL_ROOT"
	local big=$BATS_TEST_TMPDIR/big
	cp -a "$ROOTFS" "$big"
	head -c 4000000 /dev/urandom >"$big/blob"
	printf 'name: t\nbases:\n  big: {rootfs: %s}\nservices:\n  s: {image: big}\n' "$big" >stack.yaml
	STACK_ROOT=$SMALL_ROOT run --separate-stderr stack run --rm s true
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"image store \`$SMALL_ROOT\` (STACK_ROOT) is full"* ]]
	[[ "$stderr" == *"\`blob\`"* ]]
	[[ "$stderr" == *"No space left on device"* ]]
	local f
	# the store's skeleton (its dirs and lock files) and nothing else
	f=$(find "$SMALL_ROOT" -mindepth 2 ! -path "$SMALL_ROOT/locks/*" ! -path "$SMALL_ROOT/blobs/sha256")
	[ -z "$f" ] || { echo "left in the full store:"$'\n'"$f" >&2; return 1; }
	umount "$SMALL_ROOT"
	assert_nothing_left
}

@test "without pidfd_open (ENOSYS, as under valgrind or before Linux 5.3): run, forward a signal, stop, nothing left" {
	one_service
	# pidfd_open 434 and pidfd_send_signal 424: the same number on every arch
	local enosys="$BATS_FILE_TMPDIR/enosys-exec 434,424 --"
	run --separate-stderr timeout 60 $enosys "$STACK_BIN" -f stack.yaml run --rm s sh -c 'echo hi; exit 4'
	echo "$stderr"
	[ "$status" -eq 4 ]
	[ "$output" = hi ]
	$enosys "$STACK_BIN" -f stack.yaml run --rm -T s sh -c 'trap "echo got INT; exit 7" INT; echo ready; while :; do sleep 0.1; done' >out 2>err &
	BG_PID=$!
	RUN_BG_PIDS+=("$BG_PID")
	wait_for 20 grep -q ready out
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 20
	cat err
	[ "$BG_STATUS" -eq 7 ]
	assert_nothing_left
}

# Read-only binds stay read-only, and the container runs, with these
# syscalls failing ENOSYS.
ro_binds_without() {
	printf 'sekrit\n' >"$BATS_TEST_TMPDIR/sec.txt"
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	stack_file <<EOF2
secrets:
  s1: {file: ./sec.txt}
services:
  s:
    image: bb
    secrets: [s1]
    volumes: ["$BATS_TEST_TMPDIR/vol:/data:ro"]
EOF2
	run --separate-stderr timeout 60 "$BATS_FILE_TMPDIR/enosys-exec" "$1" -- \
		"$STACK_BIN" -f stack.yaml run --rm -T s sh -c \
		'cat /run/secrets/s1; for f in /run/secrets/s1 /data/f /sys/x; do echo x 2>/dev/null >$f && echo "wrote $f"; done; cat /etc/hostname'
	echo "$output"$'\n'"$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == sekrit* ]]
	[[ "$output" != *wrote* ]]
	[ ! -e "$BATS_TEST_TMPDIR/vol/f" ]
	[ "$(cat "$BATS_TEST_TMPDIR/sec.txt")" = sekrit ]
	assert_nothing_left
}

@test "without open_tree, move_mount, mount_setattr (ENOSYS): read-only binds stay read-only, as root" {
	ro_binds_without 428,429,442
}

@test "without any of the new mount API (fsopen ... mount_setattr: ENOSYS, as under valgrind 3.19): the container runs, binds stay read-only" {
	# open_tree 428, move_mount 429, fsopen 430, fsconfig 431, fsmount 432, fspick 433, mount_setattr 442
	ro_binds_without 428,429,430,431,432,433,442
}

@test "a name in use by a running stack run is refused without touching it; once that run is killed, the name is free again" {
	one_service
	stack_bg out err run --rm -T --name "busy-$$" s sh -c 'echo ready; while :; do sleep 0.1; done'
	wait_for 20 grep -q ready out
	run --separate-stderr stack run --rm -T --name "busy-$$" s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"in use by another"* ]]
	kill -0 "$BG_PID" # the first one runs on
	[ -d "$STACK_RUN/t/busy-$$" ]
	kill -KILL "$BG_PID"
	wait_exit "$BG_PID" 20
	run --separate-stderr stack run --rm -T --name "busy-$$" s echo again
	[ "$status" -eq 0 ]
	[ "$output" = again ]
	assert_nothing_left
}
