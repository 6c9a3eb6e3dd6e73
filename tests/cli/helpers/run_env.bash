# Shared helpers for the `stack run` CLI tests (tests/cli/run_*.bats).
#
#     load helpers/run_env
#     setup_file()    { run_env_setup_file; }
#     teardown_file() { run_env_teardown_file; }
#     setup()         { run_env_setup; }
#     teardown()      { run_env_teardown; }
#
# setup_file builds one busybox rootfs per test file (plus the static
# syscall-probe helper) and points STACK_ROOT, STACK_RUN and
# STACK_CGROUP_PARENT at places that belong to this file only, so nothing a
# test does can touch /var/lib/stack or another test file's containers, and
# any leftover cgroup is attributable (stack-bats-PID).  Teardown removes all
# of it, also when a test failed halfway.

# Docker's default capability set and the bit numbers of linux/capability.h,
# written out here (not taken from the runtime) so the expected masks are
# computed independently of the code under test.
declare -gA CAP_BIT=(
	[CHOWN]=0 [DAC_OVERRIDE]=1 [DAC_READ_SEARCH]=2 [FOWNER]=3 [FSETID]=4
	[KILL]=5 [SETGID]=6 [SETUID]=7 [SETPCAP]=8 [LINUX_IMMUTABLE]=9
	[NET_BIND_SERVICE]=10 [NET_BROADCAST]=11 [NET_ADMIN]=12 [NET_RAW]=13
	[IPC_LOCK]=14 [IPC_OWNER]=15 [SYS_MODULE]=16 [SYS_RAWIO]=17
	[SYS_CHROOT]=18 [SYS_PTRACE]=19 [SYS_PACCT]=20 [SYS_ADMIN]=21
	[SYS_BOOT]=22 [SYS_NICE]=23 [SYS_RESOURCE]=24 [SYS_TIME]=25
	[SYS_TTY_CONFIG]=26 [MKNOD]=27 [LEASE]=28 [AUDIT_WRITE]=29
	[AUDIT_CONTROL]=30 [SETFCAP]=31 [MAC_OVERRIDE]=32 [MAC_ADMIN]=33
	[SYSLOG]=34 [WAKE_ALARM]=35 [BLOCK_SUSPEND]=36 [AUDIT_READ]=37
	[PERFMON]=38 [BPF]=39 [CHECKPOINT_RESTORE]=40
)
DOCKER_DEFAULT_CAPS="CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE"

# cap_mask CAP...: the 16-hex-digit mask /proc/PID/status prints for CAPs.
cap_mask() {
	local m=0 c
	for c in "$@"; do
		[ -n "${CAP_BIT[$c]+x}" ] || { echo "cap_mask: unknown capability $c" >&2; return 1; }
		m=$((m | (1 << CAP_BIT[$c])))
	done
	printf '%016x\n' "$m"
}

# docker_caps_minus CAP...: Docker's default set without CAPs (as a list).
docker_caps_minus() {
	local c d keep out=()
	for c in $DOCKER_DEFAULT_CAPS; do
		keep=1
		for d in "$@"; do [ "$c" = "$d" ] && keep=0; done
		[ $keep = 1 ] && out+=("$c")
	done
	echo "${out[@]}"
}

run_env_setup_file() {
	: "${STACK_BIN:?STACK_BIN must name the stack binary}"
	: "${STACK_SRC:?STACK_SRC must name the source tree}"
	export RUN_FIX="$STACK_SRC/tests/fixtures/run"
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	"$STACK_SRC/tests/fixtures/busybox-rootfs.sh" "$ROOTFS" >/dev/null
	cc -static -O2 -o "$ROOTFS/bin/syscall-probe" "$RUN_FIX/syscall-probe.c"
	mkdir -p "$ROOTFS/mnt" "$ROOTFS/data"
	export STACK_ROOT="$BATS_FILE_TMPDIR/root"
	export STACK_RUN="$BATS_FILE_TMPDIR/run"
	export STACK_CGROUP_PARENT="stack-bats-$$"
	mkdir -p "$STACK_ROOT" "$STACK_RUN"
}

# Every pid in a cgroup of ours (any hierarchy, any depth).
run_env_cgroup_pids() {
	local f
	for f in /sys/fs/cgroup/*/"$STACK_CGROUP_PARENT"; do
		[ -d "$f" ] || continue
		find "$f" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}

# The cgroup directories of ours that exist, deepest first.
run_env_cgroup_dirs() {
	local f
	for f in /sys/fs/cgroup/*/"$STACK_CGROUP_PARENT"; do
		if [ -d "$f" ]; then find "$f" -depth -type d; fi
	done
}

run_env_teardown_file() {
	[ -n "${STACK_CGROUP_PARENT:-}" ] || return 0
	local pid d i
	# Processes left in our cgroups were started by this file's tests.
	for pid in $(run_env_cgroup_pids); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for d in $(run_env_cgroup_dirs); do
		for i in $(seq 50); do
			rmdir "$d" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.1
		done
	done
	# Mounts that leaked onto the host under our temp dir (deepest first).
	if [ -n "${BATS_FILE_TMPDIR:-}" ]; then
		awk -v p="$BATS_FILE_TMPDIR" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
		rm -rf "${STACK_ROOT:?}" "${STACK_RUN:?}" "${ROOTFS:?}"
	fi
}

run_env_setup() {
	RUN_BG_PIDS=()
	cd "$BATS_TEST_TMPDIR" || return 1
}

run_env_teardown() {
	local pid i
	for pid in "${RUN_BG_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	RUN_BG_PIDS=()
}

# stack_file [NAME] <<EOF ... EOF: write ./stack.yaml for project NAME
# (default "t") with the busybox base `bb`, then stdin (services: ...).
stack_file() {
	{
		printf 'name: %s\nbases:\n  bb: {rootfs: %s}\n' "${1:-t}" "$ROOTFS"
		cat
	} >"$BATS_TEST_TMPDIR/stack.yaml"
}

# one_service [MAPPING]: ./stack.yaml (project "t") with the one service `s`,
# MAPPING in YAML flow style (default {image: bb}), e.g.
#     one_service '{image: bb, user: earl}'
one_service() {
	local spec=${1:-'{image: bb}'}
	printf 'services:\n  s: %s\n' "$spec" | stack_file
}

# stack ARGS...: the binary on ./stack.yaml, bounded in time so a hung
# container fails the test (exit 124) instead of hanging the suite.
stack() {
	timeout -k 5 "${RUN_TIMEOUT:-60}" "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" "$@"
}

# stack_bg OUT ERR ARGS...: start `stack ARGS` in the background (no
# timeout wrapper, so signals reach the stack process itself); its pid in
# BG_PID.  Teardown stops it if the test did not.
stack_bg() {
	local out=$1 err=$2
	shift 2
	"$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" "$@" >"$out" 2>"$err" 3>&- &
	BG_PID=$!
	RUN_BG_PIDS+=("$BG_PID")
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds; fails
# (and says what it waited for) after SECONDS.
wait_for() {
	local limit=$(($1 * 20)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "wait_for: timed out after $((limit / 20))s waiting for: $*" >&2
	return 1
}

# wait_exit PID SECONDS: wait for a background stack_bg to exit; its status
# in BG_STATUS (124 if it did not exit in time).
wait_exit() {
	local pid=$1
	if wait_for "$2" eval '! kill -0 '"$pid"' 2>/dev/null'; then
		BG_STATUS=0
		wait "$pid" || BG_STATUS=$?
	else
		BG_STATUS=124
	fi
}

# status_field NAME: the value of NAME: in a /proc/PID/status text ($output).
status_field() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

# mountinfo_ours: host mount table lines that name anything of this test file.
mountinfo_ours() {
	grep -F -e "$BATS_FILE_TMPDIR" -e "$STACK_RUN" -e "$STACK_ROOT" /proc/self/mountinfo || true
}

# assert_no_leftovers: after a `stack run` returned, nothing of it remains:
# no mounts of ours in the host's table, no cgroup dirs below our parent in
# any hierarchy, no process in them, no container state dir under STACK_RUN.
assert_no_leftovers() {
	local bad=0 m d p
	m=$(mountinfo_ours)
	if [ -n "$m" ]; then
		echo "leftover mounts:"$'\n'"$m" >&2
		bad=1
	fi
	d=$(for f in /sys/fs/cgroup/*/"$STACK_CGROUP_PARENT"; do
		if [ -d "$f" ]; then find "$f" -mindepth 1 -type d; fi
	done)
	if [ -n "$d" ]; then
		echo "leftover cgroups:"$'\n'"$d" >&2
		bad=1
	fi
	p=$(run_env_cgroup_pids)
	if [ -n "$p" ]; then
		echo "leftover processes: $p" >&2
		bad=1
	fi
	if [ -d "$STACK_RUN" ]; then
		d=$(find "$STACK_RUN" -mindepth 2 -maxdepth 2)
		if [ -n "$d" ]; then
			echo "leftover state under $STACK_RUN:"$'\n'"$d" >&2
			bad=1
		fi
	fi
	return $bad
}

# hostile_image 'SHELL CODE' [SERVICE MAPPING]: ./stack.yaml with service
# `s` (default {image: evil}) on a copy of the busybox rootfs that SHELL
# CODE changed (it runs in the copy's top directory), then stdin
# appended to it (</dev/null: nothing).  A fresh base name
# each time, so the store imports this copy and not an earlier one.
hostile_image() {
	IMAGES=$((IMAGES + 1))
	local img="$BATS_TEST_TMPDIR/img$IMAGES" base="evil$BATS_TEST_NUMBER-$IMAGES"
	local spec=${2:-'{image: evil}'}
	rm -rf "$img"
	cp -a "$ROOTFS" "$img"
	(cd "$img" && eval "$1")
	printf 'name: t\nbases:\n  %s: {rootfs: %s}\nservices:\n  s: %s\n' "$base" "$img" "${spec//evil/$base}" \
		>"$BATS_TEST_TMPDIR/stack.yaml"
	cat >>"$BATS_TEST_TMPDIR/stack.yaml"
}

# snapshot: every path under this file's temp dir except the test's own
# files and the busybox rootfs, with sizes (a write anywhere shows).
snapshot() {
	find "$BATS_FILE_TMPDIR" -path "$ROOTFS" -prune -o -path "$BATS_TEST_TMPDIR" -prune -o -printf '%p %s\n' |
		sort
}
