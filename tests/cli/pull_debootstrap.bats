#!/usr/bin/env bats
# `debootstrap:` bases: a real minbase bookworm made by Debian's
# debootstrap from the host's apt source, run by `stack run`.
#
# The first run on a machine takes minutes; its result is kept in a store
# of its own at /var/cache/stack-ci/debootstrap (STACK_DEBOOTSTRAP_CACHE
# overrides it), where the store names it by its parameters
# (debootstrap@bookworm-HASH of suite, variant, mirror, include), so later
# runs of this file on the machine reuse it and only another parameter set
# runs debootstrap again.  The failure and SIGINT tests use the file's own
# temp store.  Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() {
	command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/deps.sh)"
	run_env_setup_file
	export DEB_ROOT="${STACK_DEBOOTSTRAP_CACHE:-/var/cache/stack-ci/debootstrap}"
	mkdir -p "$DEB_ROOT"
}
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

deb_file() {
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: deb
	bases:
	  debian: {debootstrap: {suite: bookworm, variant: minbase$1}}
	services:
	  s: {image: debian}
	EOF
}

# Processes whose root or cwd is under the store: what a killed debootstrap
# (or the dpkg it runs in the chroot) would leave.
procs_in_store() {
	local p
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/root" 2>/dev/null)$(readlink "$p/cwd" 2>/dev/null)" in
		*"$STACK_ROOT"*) echo "${p#/proc/}" ;;
		esac
	done
}

@test "debootstrap: a minbase bookworm runs (cached under \$DEB_ROOT after the first run)" {
	deb_file
	STACK_ROOT="$DEB_ROOT" RUN_TIMEOUT=1800 run -0 stack run s cat /etc/debian_version
	[[ "${lines[-1]}" =~ ^12\.[0-9]+$ ]]
	# Warm: no debootstrap again.
	STACK_ROOT="$DEB_ROOT" run -0 stack run s cat /etc/debian_version
	[[ "$output" != *"debootstrap bookworm:"* ]]
	[[ "$output" =~ ^12\.[0-9]+$ ]]
}

@test "debootstrap: the image names deb.debian.org, not the mirror it was made from, and has no lists" {
	deb_file
	STACK_ROOT="$DEB_ROOT" RUN_TIMEOUT=1800 run -0 stack run s sh -c \
		'cat /etc/apt/sources.list; ls /var/lib/apt/lists; ls /var/cache/apt/archives | grep -c "\.deb$" || true'
	[ "${lines[-3]}" = "deb http://deb.debian.org/debian bookworm main" ]
	[ "${lines[-2]}" = "partial" ]
	[ "${lines[-1]}" = "0" ]
}

@test "debootstrap: a failing run streams its lines with a prefix, fails naming the mirror, and leaves nothing" {
	deb_file ", mirror: file:///nonexistent/debian"
	run -1 stack pull
	[[ "$output" == *"debootstrap bookworm: "* ]]
	[[ "$output" == *"debootstrap bookworm from file:///nonexistent/debian failed"* ]]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
	[ -z "$(mountinfo_ours)" ]
}

@test "debootstrap: parameters debootstrap would take as options are refused" {
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: deb
	bases:
	  debian: {debootstrap: {suite: "--foreign", variant: minbase}}
	services:
	  s: {image: debian}
	EOF
	run -1 stack pull
	[[ "$output" == *"suite \`--foreign\` is not a Debian suite name"* ]]
	deb_file ", include: [\"--keyring=/x\"]"
	run -1 stack pull
	[[ "$output" == *"include \`--keyring=/x\` is not a Debian package name"* ]]
}

@test "debootstrap: SIGINT mid-run stops it: no process, no mount, no work dir, no image" {
	deb_file ", include: [hello]"
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" pull
	wait_for 120 grep -q "debootstrap bookworm: I: Retrieving" "$BATS_TEST_TMPDIR/err"
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 60
	[ "$BG_STATUS" = 130 ]
	wait_for 10 test -z "$(procs_in_store)"
	[ -z "$(mountinfo_ours)" ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
	run ! grep -q debootstrap@ "$STACK_ROOT/refs.json"
}

@test "debootstrap: kill -9 of stack mid-run: its namespace dies with it (no process, no mount), and the next run sweeps the work dir" {
	deb_file ", include: [hello]"
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" pull
	wait_for 120 grep -q "debootstrap bookworm: I: Retrieving" "$BATS_TEST_TMPDIR/err"
	kill -KILL "$BG_PID"
	wait_exit "$BG_PID" 10
	wait_for 10 test -z "$(procs_in_store)"
	[ -z "$(mountinfo_ours)" ]
	[ -n "$(ls -A "$STACK_ROOT/tmp")" ]
	# The next import (one that fails fast) sweeps what the killed one left.
	deb_file ", mirror: file:///nonexistent/debian"
	run -1 stack pull
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}
