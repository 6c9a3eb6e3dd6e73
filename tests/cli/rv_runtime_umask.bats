#!/usr/bin/env bats
# The caller's umask does not reach the directories `stack run` makes for
# a container's volumes: a named volume and a missing bind source (short
# syntax) are 0755 as asked, so a non-root service user can list them,
# while a directory the user already had keeps its mode.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

@test "umask 077: a new named volume and a new bind source are 0755, an existing source keeps its mode" {
	mkdir -m 0700 "$BATS_TEST_TMPDIR/mine"
	stack_file <<-EOF
	services:
	  s:
	    image: bb
	    user: "1000"
	    volumes: ["data:/data", "$BATS_TEST_TMPDIR/new/src:/src", "$BATS_TEST_TMPDIR/mine:/mine"]
	volumes:
	  data: {}
	EOF
	umask 077 # this test's process only
	run --separate-stderr stack run --rm -T s sh -c 'ls /data /src >/dev/null && stat -c %a /data /src'
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
	[ "${lines[0]}" = 755 ]
	[ "${lines[1]}" = 755 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/mine")" = 700 ]
	assert_no_leftovers
}
