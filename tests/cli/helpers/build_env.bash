# Helpers for the `stack build` CLI tests (tests/cli/build_*.bats), on top
# of run_env (temp STACK_ROOT, STACK_RUN and cgroup parent per file, a
# busybox rootfs in $ROOTFS as the base `bb`).
#
#     load helpers/run_env
#     load helpers/build_env

# df DIR LINE...: write DIR/Dockerfile (DIR relative to the test's dir).
df() {
	local dir=$1
	shift
	mkdir -p "$BATS_TEST_TMPDIR/$dir"
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$dir/Dockerfile"
}

# build_stack_file <<EOF ... EOF: ./stack.yaml for project "t" with the base
# `bb`, then stdin (images:, services:, secrets: ...).
build_stack_file() {
	{
		printf 'name: t\nbases:\n  bb: {rootfs: %s}\n' "$ROOTFS"
		cat
	} >"$BATS_TEST_TMPDIR/stack.yaml"
}

# step_line IMAGE N: the progress line of step N of IMAGE in $output.
step_line() {
	grep -E "^\[$1 $2/[0-9]+\] " <<<"$output"
}

# assert_all_cached: every step line of $output says CACHED, and no RUN
# printed anything (no "IMAGE | ..." line).
assert_all_cached() {
	local steps bad
	steps=$(grep -cE '^\[[^]]+ [0-9]+/[0-9]+\] ' <<<"$output" || true)
	[ "$steps" -gt 0 ] || { echo "no step lines in: $output" >&2; return 1; }
	bad=$(grep -E '^\[[^]]+ [0-9]+/[0-9]+\] ' <<<"$output" | grep -v '  CACHED$' || true)
	[ -z "$bad" ] || { echo "not cached:"$'\n'"$bad" >&2; return 1; }
	! grep -qE '^[^ []+ \| ' <<<"$output" || { echo "a RUN printed output: $output" >&2; return 1; }
}

# assert_build_clean: nothing of a build is left but the store's own
# files: no process, cgroup or mount of ours, nothing under STACK_RUN, no
# work dir in STACK_ROOT/tmp, no half-written file.
assert_build_clean() {
	assert_no_leftovers || return 1
	local f
	f=$(find "$STACK_RUN" -mindepth 1 2>/dev/null)
	[ -z "$f" ] || { echo "left under STACK_RUN:"$'\n'"$f" >&2; return 1; }
	f=$(find "$STACK_ROOT/tmp" -mindepth 1 -maxdepth 1 2>/dev/null)
	[ -z "$f" ] || { echo "left in STACK_ROOT/tmp:"$'\n'"$f" >&2; return 1; }
	f=$(find "$STACK_ROOT" -name '*.tmp.*')
	[ -z "$f" ] || { echo "temp files left:"$'\n'"$f" >&2; return 1; }
}
