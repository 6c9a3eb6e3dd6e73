#!/usr/bin/env bats
# The seeds' app end to end, as a user runs it: `stack up -d --wait` on a
# copy of examples/espresso (built from its debootstrap base; the store is
# shared with build_espresso.bats at /var/cache/stack-ci/espresso, so the
# chain is built once per machine), then what a user and an attacker see:
# the page on host port 5055 with a value from the read-only .env, the
# settings inside, a killed app back and healthy, and `stack down` leaving
# nothing.  Needs root, port 5055 free and the Debian archive as the host's
# apt configuration reaches it (first build only).

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/espresso_env

setup_file() { espresso_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	espresso_setup
	RUN_TIMEOUT=3600 esp build --progress quiet
}
teardown() {
	esp down >/dev/null 2>&1 || true
	run_env_teardown
}

ps_field() { esp_ps_field "$@"; }

restarted() { [ "$(ps_field restarts)" -ge 1 ]; }
healthy() { [ "$(ps_field health.status)" = healthy ]; }

# wait_for CMD...: retry CMD for up to 60 s
wait_for() {
	local i
	for i in $(seq 300); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

@test "espresso: up -d --wait serves the page on 5055 with the .env value, /health is 200" {
	run -0 esp up -d --wait --wait-timeout 60
	run -0 curl -fsS http://127.0.0.1:5055/
	[[ "$output" == *"espresso-$CANARY"* ]]
	run -0 curl -fsS -o /dev/null -w '%{http_code}' http://127.0.0.1:5055/health
	[ "$output" = 200 ]
	[ "$(ps_field health.status)" = healthy ]
}

@test "espresso: inside, earl with the seeds' limits and drops, .env read-only, unshare/mount/keyctl EPERM" {
	run -0 esp up -d --wait --wait-timeout 60
	run -0 esp exec -T espresso sh -c '
		id -u; id -un
		grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status
		cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes \
			/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max
		cat /espresso/.env >/dev/null && echo env-readable
		(echo x >>/espresso/.env) 2>/dev/null || echo env-not-writable'
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = earl ]
	# whole lines: a glob like *NoNewPrivs:*1* also matches the limits below
	grep -qx $'NoNewPrivs:\t1' <<<"$output"
	grep -qx $'Seccomp:\t2' <<<"$output"
	# CapBnd: Docker's default set without the five the seeds drop
	# (CHOWN 0, DAC_OVERRIDE 1, SETGID 6, SETUID 7, SYS_PTRACE 19)
	local bnd
	bnd=$(awk '/^CapBnd:/ {print $2}' <<<"$output")
	[ -n "$bnd" ]
	local bit
	for bit in 0 1 6 7 19; do
		[ $(((16#$bnd >> bit) & 1)) -eq 0 ] || { echo "CapBnd $bnd has bit $bit" >&2; return 1; }
	done
	grep -qx 256 <<<"$output"
	grep -qx 1073741824 <<<"$output"
	[[ "$output" == *env-readable* ]]
	[[ "$output" == *env-not-writable* ]]
	[ "$(grep -c "s3cr3t" .env)" -eq 1 ] # the host file is as it was
	# the syscalls a container must not have, as earl
	run -0 esp exec -T espresso python3 -c '
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def try_(name, nr, *args):
    r = libc.syscall(nr, *args)
    print(name, "ok" if r >= 0 else errno.errorcode[ctypes.get_errno()])
try_("unshare", 272, 0x10000000)              # CLONE_NEWUSER
try_("mount", 165, b"none", b"/tmp", b"tmpfs", 0, None)
try_("keyctl", 250, 0, 0, 0, 0, 0)             # KEYCTL_GET_KEYRING_ID
'
	[ "${lines[0]}" = "unshare EPERM" ]
	[ "${lines[1]}" = "mount EPERM" ]
	[ "${lines[2]}" = "keyctl EPERM" ]
}

@test "espresso: a killed app is restarted and healthy again, and the port serves again" {
	run -0 esp up -d --wait --wait-timeout 60
	local pid1
	pid1=$(ps_field pid)
	[ "$pid1" -gt 0 ]
	kill -9 "$pid1"
	wait_for restarted
	wait_for healthy
	[ "$(ps_field pid)" != "$pid1" ]
	wait_for curl -fsS http://127.0.0.1:5055/health
}

@test "espresso: down leaves no process, mount, cgroup, netns, port or socket" {
	local links sup
	links=$(espresso_host_links)
	run -0 esp up -d --wait --wait-timeout 60
	sup=$(ps_field supervisor_pid)
	[ "$sup" -gt 0 ]
	run -0 esp down
	espresso_assert_down_clean "$links" "$sup"
}
