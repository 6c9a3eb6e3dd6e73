#!/usr/bin/env bats
# `stack run --rm` on a busybox rootfs: what the runtime enforces, seen from
# inside the container, and that nothing is left behind afterwards.
# Needs root (namespaces, overlayfs, cgroups).

setup_file() {
	export ROOTFS="$BATS_FILE_TMPDIR/busybox"
	"$STACK_SRC/tests/fixtures/busybox-rootfs.sh" "$ROOTFS" >/dev/null
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	export STACK_ROOT="$BATS_TEST_TMPDIR/root" STACK_RUN="$BATS_TEST_TMPDIR/run"
	export STACK_CGROUP_PARENT="stack-bats-$$-$BATS_TEST_NUMBER"
	D="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$D"
	printf 'API_KEY=espresso\n' >"$D/.env"
	cat >"$D/stack.yaml" <<-YAML
	name: rt
	bases:
	  busybox: {rootfs: $ROOTFS}
	secrets:
	  espresso_env: {file: ./.env}
	services:
	  espresso:
	    image: busybox
	    hostname: espresso
	    user: earl
	    cap_drop: [SETUID, SETGID]
	    pids_limit: 64
	    mem_limit: 64m
	    security_opt: ["no-new-privileges:true"]
	    secrets: [{source: espresso_env, target: /espresso/.env}]
	    command: ["sh", "-c", "exit 0"]
	YAML
	MOUNTS_BEFORE=$(wc -l </proc/self/mountinfo)
}

# Nothing of the container may outlive `run --rm`.
assert_nothing_left() {
	[ "$(wc -l </proc/self/mountinfo)" -eq "$MOUNTS_BEFORE" ]
	! ls -d /sys/fs/cgroup/*/"$STACK_CGROUP_PARENT" 2>/dev/null
	! find "$STACK_RUN" -name upper 2>/dev/null | grep -q .
}

srun() {
	run "$STACK_BIN" -f "$D/stack.yaml" run --rm espresso "$@"
}

@test "the exit code of the command is stack run's" {
	srun sh -c 'echo out; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	assert_nothing_left
}

@test "a command killed by a signal exits 128+N" {
	srun sh -c 'kill -TERM $$; sleep 5'
	[ "$status" -eq 143 ]
	assert_nothing_left
}

@test "user, hostname and the security settings are visible inside" {
	srun sh -c 'id; hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000(earl) gid=1000(earl) groups=29(audio),50(staff),1000(earl)" ]
	[ "${lines[1]}" = espresso ]
	[ "${lines[2]}" = "CapEff:	0000000000000000" ]
	[ "${lines[3]}" = "NoNewPrivs:	1" ]
	[ "${lines[4]}" = "Seccomp:	2" ]
	assert_nothing_left
}

@test "the secret is readable and cannot be written or remounted" {
	# As root (-u 0), so that a refusal is the read-only mount's, not the
	# file's permissions; CAP_SYS_ADMIN is not in the default set.
	run "$STACK_BIN" -f "$D/stack.yaml" run --rm -u 0 espresso sh -c 'cat /espresso/.env; echo x >>/espresso/.env; mount -o remount,rw /espresso/.env || echo remount-refused; grep -c " /espresso/.env ro," /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "API_KEY=espresso" ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *remount-refused* ]]
	[ "${lines[-1]}" = 1 ]
	[ "$(cat "$D/.env")" = "API_KEY=espresso" ]
	assert_nothing_left
}

@test "only the container's processes and lo are visible" {
	srun sh -c 'set -- /proc/[0-9]*; echo $#; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 2 ]
	[ "${lines[1]}" = lo ]
	[ "${#lines[@]}" -eq 2 ]
	assert_nothing_left
}

@test "an unknown user fails the start with its name and leaves nothing" {
	sed -i 's/user: earl/user: mallory/' "$D/stack.yaml"
	srun true
	[ "$status" -ne 0 ]
	[[ "$output" == *"user \`mallory\` not found in the container's /etc/passwd"* ]]
	assert_nothing_left
}

@test "a missing secret file is named in the error and leaves nothing" {
	rm "$D/.env"
	srun true
	[ "$status" -ne 0 ]
	[[ "$output" == *".env"* ]]
	assert_nothing_left
}
