#!/usr/bin/env bats
# A container name is a file name in STACK_RUN/PROJECT, beside the files
# stack keeps there for other containers: ID.lock (the starter's lock),
# ID.lock.PID (a lock being made where O_TMPFILE is missing) and
# ID.secrets/ (the environment secrets).  A container named w.secrets had
# its state dir (upper layer, hosts, ...) in container w's secrets dir: w's
# exit (or a sweep of a dead w) removed it while w.secrets ran: its root
# then listed nothing and no file could be made in it.  Such names are refused before anything is touched.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

@test "a container running as w.secrets keeps its writable layer when container w (with an environment secret) exits" {
	mkdir -p "$BATS_TEST_TMPDIR/sync"
	stack_file <<-EOF
	secrets:
	  k: {environment: V}
	services:
	  s: {image: bb, volumes: ["$BATS_TEST_TMPDIR/sync:/sync"], secrets: [k]}
	EOF
	export V=value
	stack_bg out err run --rm -T --name w.secrets s sh -c \
		'echo mine >/keep; touch /sync/ready; while [ ! -e /sync/go ]; do sleep 0.1; done; cat /keep; echo new >/new && cat /new; ls / | grep -x keep'
	# Either the name is refused at once (exit 2, nothing run) ...
	wait_for 30 eval '[ -e "$BATS_TEST_TMPDIR/sync/ready" ] || ! kill -0 $BG_PID 2>/dev/null'
	if [ ! -e "$BATS_TEST_TMPDIR/sync/ready" ]; then
		wait_exit "$BG_PID" 10
		[ "$BG_STATUS" -eq 2 ] || { echo "w.secrets exited $BG_STATUS: $(cat err)" >&2; return 1; }
		grep -q -- '--name' err
		assert_no_leftovers
		return 0
	fi
	# ... or what w does must not reach it.
	run --separate-stderr stack run --rm -T --name w s cat /run/secrets/k
	[ "$status" -eq 0 ] && [ "$output" = value ] || { echo "w: exit $status: $stderr" >&2; return 1; }
	touch "$BATS_TEST_TMPDIR/sync/go"
	wait_exit "$BG_PID" 30
	[ "$(cat out)" = $'mine\nnew\nkeep' ] || { echo "w.secrets lost its files: $(cat out err)" >&2; return 1; }
	assert_no_leftovers
}

@test "--name NAME.lock, NAME.lock.PID and NAME.secrets are refused (exit 2) before anything is touched" {
	one_service
	local before name
	before=$(snapshot)
	for name in w.secrets w.lock w.lock.123 a.b.secrets; do
		run --separate-stderr stack run --rm -T --name "$name" s true
		[ "$status" -eq 2 ] || { echo "--name $name: exit $status: $stderr" >&2; return 1; }
		[[ "$stderr" == *"--name: invalid container name \`$name\`"* ]] ||
			{ echo "--name $name: $stderr" >&2; return 1; }
	done
	[ "$before" = "$(snapshot)" ] || { diff <(echo "$before") <(snapshot) >&2; return 1; }
	# names that only look alike still run
	for name in w.secretsx w.locked lock.w secrets; do
		run --separate-stderr stack run --rm -T --name "$name" s true
		[ "$status" -eq 0 ] || { echo "--name $name: exit $status: $stderr" >&2; return 1; }
	done
	assert_no_leftovers
}
