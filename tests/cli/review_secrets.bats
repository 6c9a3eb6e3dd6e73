#!/usr/bin/env bats
# An environment secret (secrets: {k: {environment: V}}) is written to a
# file for its bind, which was made mode 0400 root: a service that runs as
# another user (user: 1000) could not read its own secret.  Compose mounts
# secrets world-readable (0444) by default; the file stays read-only, and
# on the host it sits in a 0700 directory of STACK_RUN.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

@test "an environment secret is readable by a non-root service user, and by nobody else on the host" {
	stack_file <<-'EOF2'
	secrets:
	  k: {environment: REVIEW_SECRET}
	services:
	  s: {image: bb, user: "1000", secrets: [k]}
	EOF2
	REVIEW_SECRET=s3cret stack_bg out err run --rm -T s sh -c 'cat /run/secrets/k; echo; echo x 2>/dev/null >/run/secrets/k && echo wrote; echo ready; sleep 30'
	wait_for 20 grep -q ready out || { cat err >&2; return 1; }
	# the secret's directory on the host is not open to other users
	local d
	d=$(find "$STACK_RUN" -name '*.secrets' -type d)
	[ -n "$d" ]
	[ "$(stat -c %a "$d")" = 700 ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$(head -n 1 out)" = s3cret ] || { echo "uid 1000 could not read its secret: $(cat out err)" >&2; return 1; }
	! grep -qx wrote out || false
	assert_no_leftovers
}
