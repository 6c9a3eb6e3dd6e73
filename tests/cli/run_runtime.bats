#!/usr/bin/env bats
# `stack run --rm` of one service that combines a user, a hostname, dropped
# capabilities, limits, no-new-privileges and a secret: what the runtime
# enforces, seen from inside the container, and that nothing is left behind
# afterwards.  Needs root (namespaces, overlayfs, cgroups).

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	printf 'API_KEY=espresso\n' >.env
	stack_file rt <<-'EOF'
	secrets:
	  espresso_env: {file: ./.env}
	services:
	  espresso:
	    image: bb
	    hostname: espresso
	    user: earl
	    cap_drop: [SETUID, SETGID]
	    pids_limit: 64
	    mem_limit: 64m
	    security_opt: ["no-new-privileges:true"]
	    secrets: [{source: espresso_env, target: /espresso/.env}]
	    command: ["sh", "-c", "exit 0"]
	EOF
}
teardown() { run_env_teardown; }

# srun CMD...: `stack run --rm espresso CMD...`
srun() {
	run --separate-stderr stack run --rm espresso "$@"
}

@test "the exit code of the command is stack run's" {
	srun sh -c 'echo out; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	assert_no_leftovers
}

@test "a command killed by a signal exits 128+N" {
	srun sh -c 'kill -TERM $$; sleep 5'
	[ "$status" -eq 143 ]
	assert_no_leftovers
}

@test "user, hostname and the security settings are visible inside" {
	srun sh -c 'id; hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000(earl) gid=1000(earl) groups=29(audio),50(staff),1000(earl)" ]
	[ "${lines[1]}" = espresso ]
	[ "${lines[2]}" = "CapEff:	0000000000000000" ]
	[ "${lines[3]}" = "NoNewPrivs:	1" ]
	[ "${lines[4]}" = "Seccomp:	2" ]
	assert_no_leftovers
}

@test "the secret is readable and cannot be written or remounted" {
	# As root (-u 0), so that a refusal is the read-only mount's, not the
	# file's permissions; CAP_SYS_ADMIN is not in the default set.
	run --separate-stderr stack run --rm -u 0 espresso sh -c 'cat /espresso/.env; echo x >>/espresso/.env; mount -o remount,rw /espresso/.env || echo remount-refused; grep -c " /espresso/.env ro," /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "API_KEY=espresso" ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[[ "$output" == *remount-refused* ]]
	[ "${lines[-1]}" = 1 ]
	[ "$(cat .env)" = "API_KEY=espresso" ]
	assert_no_leftovers
}

@test "only the container's processes, lo and the stack network's eth0 are visible" {
	srun sh -c 'set -- /proc/[0-9]*; echo $#; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 2 ]
	[ "${lines[1]}" = eth0 ]
	[ "${lines[2]}" = lo ]
	[ "${#lines[@]}" -eq 3 ]
	assert_no_leftovers
}

@test "an unknown user fails the start with its name and leaves nothing" {
	sed -i 's/user: earl/user: mallory/' stack.yaml
	srun true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"user \`mallory\` not found in the container's /etc/passwd"* ]]
	assert_no_leftovers
}

@test "a missing secret file is named in the error and leaves nothing" {
	rm .env
	srun true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/.env"* ]]
	assert_no_leftovers
}

@test "the caller's umask 077 does not reach the container: a non-root service still starts and reads its files" {
	# The user (earl) may not read what root's umask would make 0700/0600:
	# the container's `/` (the upper dir's mode), /etc/hosts and friends,
	# an environment secret.
	cat >>stack.yaml <<-'EOF2'
	  envsec:
	    image: bb
	    user: "1000"
	    secrets: [token]
	EOF2
	sed -i 's/^secrets:$/secrets:\n  token: {environment: TOKEN}/' stack.yaml
	umask 077 # this test's process only: bats runs each test in its own
	run --separate-stderr stack run --rm -T espresso sh -c "cd / && cat /etc/hosts /etc/hostname /etc/resolv.conf >/dev/null && stat -c %a / && cat /espresso/.env"
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
	[ "${lines[0]}" = 755 ]
	[ "${lines[1]}" = "API_KEY=espresso" ]
	TOKEN=t0k run --separate-stderr stack run --rm -T envsec cat /run/secrets/token
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
	[ "$output" = t0k ]
	assert_no_leftovers
}
