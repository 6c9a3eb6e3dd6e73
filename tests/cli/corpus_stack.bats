#!/usr/bin/env bats
# Every malformed stack file in tests/corpus/stack/ is refused with exit 2
# and exactly the diagnostics in NAME.expected (run from that directory
# with a relative -f, in a clean environment, so the text is stable).

setup() {
	CORPUS="$STACK_SRC/tests/corpus/stack"
}

@test "the corpus has at least 45 malformed stack files, each with its expected stderr" {
	local n=0
	for f in "$CORPUS"/*.yaml; do
		[ -f "${f%.yaml}.expected" ] || { echo "missing ${f%.yaml}.expected"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 45 ]
}

@test "every corpus file exits 2 with exactly the expected diagnostics and no stdout" {
	cd "$CORPUS"
	local failed=0
	for f in *.yaml; do
		name=${f%.yaml}
		status=0
		env -i PATH="$PATH" HOME=/home/tester timeout 20 "$STACK_BIN" -f "$f" config \
			>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
		if [ "$status" -ne 2 ]; then
			echo "$name: exit $status, want 2"
			failed=1
		fi
		if [ -s "$BATS_TEST_TMPDIR/out" ]; then
			echo "$name: printed to stdout"
			failed=1
		fi
		if ! diff -u "$name.expected" "$BATS_TEST_TMPDIR/err"; then
			echo "$name: stderr differs"
			failed=1
		fi
	done
	[ "$failed" -eq 0 ]
}

@test "diagnostics of several files are all reported, each with its own file name" {
	cd "$CORPUS"
	run env -i PATH="$PATH" HOME=/home/tester "$STACK_BIN" -f bad-restart.yaml -f bad-signal.yaml config
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad-restart.yaml:4:14: error: \`restart\`: unknown policy \`sometimes\`"* ]]
	[[ "$output" == *"bad-signal.yaml:4:18: error: unknown signal \`SIGFOO\`"* ]]
}
