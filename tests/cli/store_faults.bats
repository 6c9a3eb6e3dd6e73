#!/usr/bin/env bats
# An `oci:` import interrupted: ^C stops it at once and removes its temp
# dir; kill -9 at random moments leaves nothing a later run trusts (every
# ref resolves, every layer it names is whole), and the next run sweeps
# the rest and succeeds.  `stack image save` interrupted leaves the target
# as it was.  Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/store_env

setup_file() {
	run_env_setup_file
	# one big layer (300 MB of file data) so that the import takes a while
	export BIG="$BATS_FILE_TMPDIR/big"
	mkdir -p "$BIG/tree"
	cp -a "$ROOTFS/." "$BIG/tree/"
	head -c 300000000 /dev/urandom >"$BIG/tree/blob"
	$OCI layer "$BIG/layer.tar" "tree:$BIG/tree"
	rm -rf "$BIG/tree"
	$OCI layout "$BIG/img" --layer "$BIG/layer.tar" --cmd '["true"]' --env PATH=/bin
	rm -f "$BIG/layer.tar"
}
teardown_file() {
	rm -rf "${BIG:?}"
	run_env_teardown_file
}
setup() {
	run_env_setup
	rm -rf "${STACK_ROOT:?}"/*
	oci_stack "$BIG/img"
}
teardown() { run_env_teardown; }

# Every ref's config and layers are there; nothing half-made is trusted.
assert_store_sound() {
	run --separate-stderr "$STACK_BIN" images
	[ "$status" -eq 0 ] || { echo "stack images: $stderr" >&2; return 1; }
	local id l
	for id in $("$STACK_BIN" images --format json | json_get '" ".join(i["name"] for i in j)'); do
		for l in $("$STACK_BIN" image inspect "$id" | json_get '" ".join(j[0]["LayerDirs"])'); do
			[ -x "$l/bin/busybox" ] && [ "$(stat -c %s "$l/blob")" -eq 300000000 ] ||
				{ echo "ref $id names a layer that is not whole: $l" >&2; return 1; }
		done
	done
}

@test "^C during an oci: import: exit 130, its temp dir removed at once, no ref" {
	stack_bg out err run --rm s
	wait_for 30 eval 'ls -d "$STACK_ROOT"/tmp/import-oci-* >/dev/null 2>&1'
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 60
	cat err
	[ "$BG_STATUS" -eq 130 ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
	[ -z "$("$STACK_BIN" images -q)" ]
	assert_no_leftovers
}

@test "kill -9 at random moments of an oci: import: nothing trusted is half made; the next run sweeps and succeeds" {
	local i
	for i in $(seq 6); do
		"$STACK_BIN" -f stack.yaml run --rm s >/dev/null 2>&1 &
		sleep "$(printf '%d.%03d' $((RANDOM % 3)) $((RANDOM % 1000)))"
		kill -KILL $! 2>/dev/null || true
		wait $! || true
		assert_store_sound
	done
	run --separate-stderr stack run --rm s
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	assert_store_sound
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
	assert_no_leftovers
}

@test "an interrupted save leaves the target as it was" {
	run --separate-stderr stack run --rm s
	[ "$status" -eq 0 ]
	key=$(base_key "$BIG/img")
	echo previous >out.tar
	"$STACK_BIN" image save "$key" -o out.tar 2>err &
	pid=$!
	wait_for 30 eval 'ls -d "$STACK_ROOT"/tmp/import-save-* >/dev/null 2>&1'
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -ne 0 ]
	[ "$(cat out.tar)" = previous ]
	[ -z "$(ls out.tar.part-* 2>/dev/null)" ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}
