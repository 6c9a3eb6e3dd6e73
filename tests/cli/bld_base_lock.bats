#!/usr/bin/env bats
# Two first uses of one debootstrap base at once: the second waits for the
# first's per-base lock and takes its result; debootstrap runs once.
#
# A fake `debootstrap` first on PATH (the importer runs it by PATH lookup)
# logs each run and makes a busybox tree only once the test lets it, so
# the two `stack pull`s overlap for certain and nothing reaches a network.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	# A store per test: each one starts with no entry for the base.
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$STACK_ROOT"
	export FAKE_BIN="$BATS_TEST_TMPDIR/bin" FAKE_LOG="$BATS_TEST_TMPDIR/runs" FAKE_GO="$BATS_TEST_TMPDIR/go"
	mkdir -p "$FAKE_BIN"
	cat >"$FAKE_BIN/debootstrap" <<-'EOS'
	#!/bin/sh
	# debootstrap [--variant=V] [--include=P] SUITE TARGET MIRROR
	for a; do target=$prev; prev=$a; done
	echo "run $*" >>"$FAKE_LOG"
	echo "I: Retrieving InRelease (fake)"
	while [ ! -e "$FAKE_GO" ]; do sleep 0.05; done
	mkdir -p "$target" && cp -a "$ROOTFS/." "$target/" && mkdir -p "$target/etc/apt" "$target/dev"
	echo "I: Base system installed successfully."
	EOS
	chmod +x "$FAKE_BIN/debootstrap"
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: lock
	bases:
	  deb: {debootstrap: {suite: bookworm, variant: minbase, mirror: "http://127.0.0.1:23001/debian"}}
	services:
	  s: {image: deb}
	EOF
}
teardown() { run_env_teardown; }

@test "base lock: a pull that waited for another's forced pull takes its result; an unforced second use waits too" {
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/err1" pull deb
	local p1=$BG_PID
	wait_for 30 grep -q "^run " "$FAKE_LOG"
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" run s cat /etc/hostname
	local p2=$BG_PID
	wait_for 30 grep -q "waiting for another stack process" "$BATS_TEST_TMPDIR/err2"
	touch "$FAKE_GO"
	wait_exit "$p1" 60
	[ "$BG_STATUS" = 0 ]
	wait_exit "$p2" 60
	[ "$BG_STATUS" = 0 ]
	[ "$(wc -l <"$FAKE_LOG")" = 1 ]
	# Uncontended, `stack pull` makes it anew, as it always did.
	PATH="$FAKE_BIN:$PATH" run -0 stack pull deb
	[ "$(wc -l <"$FAKE_LOG")" = 2 ]
}

@test "base lock: two concurrent first pulls of one debootstrap base run debootstrap once, both succeed" {
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/err1" pull deb
	local p1=$BG_PID
	wait_for 30 grep -q "^run " "$FAKE_LOG"
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" pull deb
	local p2=$BG_PID
	# The second has reached the lock the first holds.
	wait_for 30 grep -q "waiting for another stack process" "$BATS_TEST_TMPDIR/err2"
	touch "$FAKE_GO"
	wait_exit "$p1" 60
	[ "$BG_STATUS" = 0 ]
	wait_exit "$p2" 60
	[ "$BG_STATUS" = 0 ]
	[ "$(wc -l <"$FAKE_LOG")" = 1 ]
	run ! grep -q "debootstrap bookworm:" "$BATS_TEST_TMPDIR/err2"
	# Both name one image, and it runs.
	run -0 stack run s cat /etc/hostname
	[ "$(grep -c debootstrap@bookworm- "$STACK_ROOT/refs.json")" = 1 ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}

@test "base lock: the waiting pull is stopped by SIGINT while it waits; the holder finishes" {
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/err1" pull deb
	local p1=$BG_PID
	wait_for 30 grep -q "^run " "$FAKE_LOG"
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" pull deb
	local p2=$BG_PID
	wait_for 30 grep -q "waiting for another stack process" "$BATS_TEST_TMPDIR/err2"
	kill -INT "$p2"
	wait_exit "$p2" 30
	[ "$BG_STATUS" = 130 ]
	grep -q "stopped by SIGINT while waiting" "$BATS_TEST_TMPDIR/err2"
	touch "$FAKE_GO"
	wait_exit "$p1" 60
	[ "$BG_STATUS" = 0 ]
	[ "$(wc -l <"$FAKE_LOG")" = 1 ]
	# A later use finds it made: no debootstrap again.
	PATH="$FAKE_BIN:$PATH" run -0 stack run s cat /etc/hostname
	[ "$(wc -l <"$FAKE_LOG")" = 1 ]
}

@test "base lock: kill -9 of the holder mid-debootstrap releases the lock (flock); the waiting pull makes the base, the store is consistent" {
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/err1" pull deb
	local p1=$BG_PID
	wait_for 30 grep -q "^run " "$FAKE_LOG"
	PATH="$FAKE_BIN:$PATH" stack_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" pull deb
	local p2=$BG_PID
	wait_for 30 grep -q "waiting for another stack process" "$BATS_TEST_TMPDIR/err2"
	# The holder dies with no chance to unlock; its debootstrap dies with it.
	kill -9 "$p1"
	wait_exit "$p1" 30
	[ "$BG_STATUS" = 137 ]
	# The waiter takes the lock and runs debootstrap itself.
	wait_for 30 eval '[ "$(wc -l <"$FAKE_LOG")" = 2 ]'
	touch "$FAKE_GO"
	wait_exit "$p2" 60
	cat "$BATS_TEST_TMPDIR/err2"
	[ "$BG_STATUS" = 0 ]
	[ "$(wc -l <"$FAKE_LOG")" = 2 ]
	# One entry for the base, and it runs; a later use takes it as made.
	[ "$(grep -c debootstrap@bookworm- "$STACK_ROOT/refs.json")" = 1 ]
	PATH="$FAKE_BIN:$PATH" run -0 stack run s cat /etc/hostname
	[ "$(wc -l <"$FAKE_LOG")" = 2 ]
	# The killed import's work dir went with the next import's sweep.
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
	# And a `stack build` of an image FROM the base proceeds too.
	mkdir -p "$BATS_TEST_TMPDIR/app"
	printf 'FROM deb\nRUN echo built-on-base\n' >"$BATS_TEST_TMPDIR/app/Dockerfile"
	printf 'images:\n  app: {context: app}\n' >>"$BATS_TEST_TMPDIR/stack.yaml"
	PATH="$FAKE_BIN:$PATH" run -0 stack build --progress=plain app
	[[ "$output" == *"app | built-on-base"* ]]
	[ "$(wc -l <"$FAKE_LOG")" = 2 ]
}
