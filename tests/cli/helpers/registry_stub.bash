# Serving helpers/registry_stub.py from a bats test.  The caller's
# teardown calls stub_stop_all.

STUB="$STACK_SRC/tests/cli/helpers/registry_stub.py"
STUB_PIDS=()

# stub_serve LAYOUT ADDR PORT [ARGS...]: serve the OCI layout dir LAYOUT on
# ADDR:PORT until stub_stop_all; its request log is $STUB_LOG.
stub_serve() {
	local layout=$1 addr=$2 port=$3
	shift 3
	STUB_LOG="$BATS_TEST_TMPDIR/stub-$port.log"
	python3 "$STUB" serve --layout "$layout" --bind "$addr" --port "$port" --log "$STUB_LOG" "$@" 3>&- &
	STUB_PIDS+=($!)
	wait_for 10 test -f "$STUB_LOG.ready"
	: >>"$STUB_LOG"
}

stub_stop_all() {
	local p
	for p in "${STUB_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	STUB_PIDS=()
}
