#!/usr/bin/env bats
# `stack run` security defaults and knobs, seen from inside a real container:
# capabilities (Docker's 14 minus cap_drop, plus cap_add), no-new-privileges,
# seccomp (default, unconfined, a Docker-format profile), and what a root
# process in the container still cannot do (unshare, mount, keyctl).

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

# status_of SERVICE [stack run args...]: /proc/self/status of a process in
# the container, in $output.
status_of() {
	run --separate-stderr stack run --rm "$@" cat /proc/self/status
	if [ "$status" -ne 0 ]; then
		echo "stack run failed ($status): $stderr" >&2
		return 1
	fi
}

# assert_caps MASK: the effective, permitted and bounding sets in the
# /proc/self/status text of status_of are all MASK.
assert_caps() {
	local set
	for set in CapEff CapPrm CapBnd; do
		[ "$(status_field $set)" = "$1" ] ||
			{ echo "$set is $(status_field $set), want $1" >&2; return 1; }
	done
}

@test "default: root has exactly Docker's 14 capabilities (effective, permitted, bounding), none inheritable or ambient" {
	one_service
	status_of s
	want=$(cap_mask $DOCKER_DEFAULT_CAPS)
	[ "$want" = 00000000a80425fb ] # Docker's documented default mask
	assert_caps "$want"
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "seed 1: cap_drop CHOWN DAC_OVERRIDE SETUID SETGID SYS_PTRACE as root" {
	one_service '{image: bb, cap_drop: [CHOWN, DAC_OVERRIDE, SETUID, SETGID, SYS_PTRACE]}'
	status_of s
	want=$(cap_mask $(docker_caps_minus CHOWN DAC_OVERRIDE SETUID SETGID SYS_PTRACE))
	[ "$want" = 00000000a8042538 ]
	assert_caps "$want"
}

@test "seed 1: the dropped capabilities are really gone (chown and setuid fail for root)" {
	one_service '{image: bb, cap_drop: [CHOWN, DAC_OVERRIDE, SETUID, SETGID, SYS_PTRACE]}'
	run --separate-stderr stack run --rm s sh -c 'touch /tmp/f; chown 1000 /tmp/f; echo chown=$?; su earl -s /bin/sh -c "echo became earl"; echo su=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"chown=1"* ]]
	[[ "$output" != *"became earl"* ]]
	[[ "$stderr" == *"Operation not permitted"* ]]
}

@test "seed 2: cap_drop SETUID SETGID as root" {
	one_service '{image: bb, cap_drop: [SETUID, SETGID]}'
	status_of s
	want=$(cap_mask $(docker_caps_minus SETUID SETGID))
	[ "$want" = 00000000a804253b ]
	assert_caps "$want"
}

@test "cap_drop ALL + cap_add NET_BIND_SERVICE leaves only NET_BIND_SERVICE" {
	one_service '{image: bb, cap_drop: [ALL], cap_add: [NET_BIND_SERVICE]}'
	status_of s
	want=$(cap_mask NET_BIND_SERVICE)
	[ "$want" = 0000000000000400 ]
	assert_caps "$want"
}

@test "cap_add beyond the defaults (SYS_PTRACE with CAP_ prefix) is granted" {
	one_service '{image: bb, cap_add: [CAP_SYS_PTRACE]}'
	status_of s
	[ "$(status_field CapEff)" = "$(cap_mask $DOCKER_DEFAULT_CAPS SYS_PTRACE)" ]
}

@test "a non-root user (user: earl) has no effective or permitted capabilities" {
	one_service '{image: bb, user: earl}'
	status_of s
	[ "$(status_field Uid | head -1)" = 1000 ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
	[ "$(status_field CapPrm)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "-u 1000 on the command line also runs without capabilities" {
	one_service
	status_of -u 1000 s
	[ "$(status_field CapEff)" = 0000000000000000 ]
}

@test "no-new-privileges is on by default" {
	one_service
	status_of s
	[ "$(status_field NoNewPrivs)" = 1 ]
}

@test "security_opt no-new-privileges:false turns it off" {
	one_service '{image: bb, security_opt: ["no-new-privileges:false"]}'
	status_of s
	[ "$(status_field NoNewPrivs)" = 0 ]
}

@test "seccomp filter is on by default (mode 2)" {
	one_service
	status_of s
	[ "$(status_field Seccomp)" = 2 ]
}

@test "security_opt seccomp=unconfined runs without a filter (mode 0)" {
	one_service '{image: bb, security_opt: [seccomp=unconfined]}'
	status_of s
	[ "$(status_field Seccomp)" = 0 ]
}

@test "root in the container cannot unshare a mount namespace (busybox unshare -m)" {
	one_service
	run --separate-stderr stack run --rm s unshare -m true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Operation not permitted"* ]]
}

@test "root in the container cannot mount a tmpfs (busybox mount)" {
	one_service
	run --separate-stderr stack run --rm s mount -t tmpfs x /mnt
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Operation not permitted"* || "$stderr" == *"permission denied"* ]]
}

@test "syscalls blocked for root by default: unshare, mount, keyctl, add_key fail with EPERM" {
	one_service
	run --separate-stderr stack run --rm s sh -c '
		for op in unshare-mnt unshare-user keyctl add_key; do echo "$op $(syscall-probe $op)"; done
		echo "mount $(syscall-probe mount-tmpfs /mnt)"
		echo "sethostname $(syscall-probe sethostname evil)"'
	[ "$status" -eq 0 ]
	[ "$output" = "unshare-mnt EPERM
unshare-user EPERM
keyctl EPERM
add_key EPERM
mount EPERM
sethostname EPERM" ]
}

@test "the probe is not trivially failing: keyctl and mkdir work with seccomp=unconfined" {
	one_service '{image: bb, security_opt: [seccomp=unconfined]}'
	run --separate-stderr stack run --rm s sh -c 'echo "keyctl $(syscall-probe keyctl)"; echo "mkdir $(syscall-probe mkdir /tmp/d)"'
	[ "$status" -eq 0 ]
	[ "$output" = "keyctl OK
mkdir OK" ]
}

@test "a Docker-format seccomp profile with errnoRet blocks mkdir with that errno, and only mkdir" {
	one_service "{image: bb, security_opt: [\"seccomp=$RUN_FIX/seccomp-block-mkdir.json\"]}"
	run --separate-stderr stack run --rm s sh -c '
		echo "mkdir $(syscall-probe mkdir /tmp/d)"
		mkdir /tmp/e; echo "busybox-mkdir=$?"
		touch /tmp/f && echo "touch ok"
		echo "keyctl $(syscall-probe keyctl)"
		grep Seccomp: /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"mkdir EACCES"* ]]
	[[ "$output" == *"busybox-mkdir=1"* ]]
	[[ "$output" == *"touch ok"* ]]
	# This profile replaces the default one: keyctl is allowed again.
	[[ "$output" == *"keyctl OK"* ]]
	[[ "$output" == *"Seccomp:"*"2"* ]]
	[[ "$stderr" == *"Permission denied"* ]]
}

@test "a seccomp profile with an unknown action is a clear error and nothing runs" {
	one_service "{image: bb, security_opt: [\"seccomp=$RUN_FIX/seccomp-unknown-action.json\"]}"
	run --separate-stderr stack run --rm s echo payload-ran
	[ "$status" -ne 0 ]
	[ "$status" -lt 126 ]
	[[ "$output" != *payload-ran* ]]
	[[ "$stderr" == *SCMP_ACT_EXPLODE* ]]
	[[ "$stderr" == *seccomp-unknown-action.json* ]]
	assert_no_leftovers
}

@test "a missing seccomp profile names the path and fails before starting" {
	one_service "{image: bb, security_opt: [\"seccomp=$BATS_TEST_TMPDIR/no-such-profile.json\"]}"
	run --separate-stderr stack run --rm s echo payload-ran
	[ "$status" -ne 0 ]
	[[ "$output" != *payload-ran* ]]
	[[ "$stderr" == *no-such-profile.json* ]]
	assert_no_leftovers
}

@test "our init (PID 1) keeps no capability, cannot gain privileges, and shows no host command line" {
	one_service
	# init sheds its capabilities once it has seen the payload exec: the
	# payload can look first.  Wait (at most 5 s) for that, then look.
	run --separate-stderr stack run --rm s sh -c 'for i in $(seq 100); do grep -q "^CapEff:	0*$" /proc/1/status && break; sleep 0.05; done
		grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs):" /proc/1/status; tr "\0" " " </proc/1/cmdline; echo'
	[ "$status" -eq 0 ]
	# It runs as the payload's user, so signalling it needs no CAP_KILL.
	none=$(cap_mask)
	[[ "$output" == *"CapEff:	$none"* ]]
	[[ "$output" == *"CapPrm:	$none"* ]]
	[[ "$output" == *"CapBnd:	$none"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"stack-init"* ]]
	# nothing of the command line that started it on the host
	[[ "$output" != *"$BATS_TEST_TMPDIR"* ]]
	[[ "$output" != *"stack.yaml"* ]]
}
