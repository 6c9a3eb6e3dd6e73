#!/usr/bin/env bats
# `stack pull --progress tty|plain|auto` against Debian's docker-registry
# on loopback (port 23050, its own storage, stopped after): on a pty the
# layer line is redrawn in place through the same renderer as `stack
# build`'s, ending with the done line; plain has no escape bytes.

bats_require_minimum_version 1.5.0
load helpers/run_env

REG="127.0.0.1:23050"

setup_file() {
	for t in docker-registry skopeo umoci script; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/deps.sh)"
	done
	run_env_setup_file
	export REG_DIR="$BATS_FILE_TMPDIR/registry"
	mkdir -p "$REG_DIR/storage"
	cat >"$REG_DIR/config.yml" <<-EOF
	version: 0.1
	log: {level: info}
	storage: {filesystem: {rootdirectory: $REG_DIR/storage}}
	http: {addr: $REG}
	EOF
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/registry.log" 2>&1 3>&- &
	echo $! >"$REG_DIR/pid"
	wait_for 20 curl -sf "http://$REG/v2/" >/dev/null
	kill -0 "$(cat "$REG_DIR/pid")" || { cat "$REG_DIR/registry.log" >&2; return 1; }
	local L="$BATS_FILE_TMPDIR/layout"
	umoci init --layout "$L"
	umoci new --image "$L:bb"
	umoci unpack --image "$L:bb" "$BATS_FILE_TMPDIR/bundle" >/dev/null
	cp -a "$ROOTFS/." "$BATS_FILE_TMPDIR/bundle/rootfs/"
	umoci repack --image "$L:bb" "$BATS_FILE_TMPDIR/bundle"
	rm -rf "$BATS_FILE_TMPDIR/bundle"
	skopeo copy -q --dest-tls-verify=false "oci:$L:bb" "docker://$REG/bb:1"
}

teardown_file() {
	if [ -f "${REG_DIR:-}/pid" ]; then
		kill "$(cat "$REG_DIR/pid")" 2>/dev/null || true
		wait_for 10 eval '! kill -0 '"$(cat "$REG_DIR/pid")"' 2>/dev/null' || kill -KILL "$(cat "$REG_DIR/pid")" 2>/dev/null || true
	fi
	run_env_teardown_file
}

setup() {
	run_env_setup
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$STACK_ROOT"
	printf 'name: t\nbases:\n  bb: {pull: "%s/bb:1"}\nservices:\n  s: {image: bb}\n' "$REG" >"$BATS_TEST_TMPDIR/stack.yaml"
}
teardown() { run_env_teardown; }

on_pty() {
	local cmd
	printf -v cmd '%q ' "$@"
	status=0
	TERM=${TERM_FOR_PTY:-xterm} script -qfec "$cmd" /dev/null >"$BATS_TEST_TMPDIR/pty" </dev/null || status=$?
	tr -d '\r' <"$BATS_TEST_TMPDIR/pty" >"$BATS_TEST_TMPDIR/pty.txt"
}

@test "pull progress tty: the layer lines and the done summary, through the live renderer" {
	on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" pull --progress tty bb
	[ "$status" = 0 ]
	f=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$BATS_TEST_TMPDIR/pty.txt")
	[[ "$f" == *"pull $REG/bb:1: 1 layer, "* ]]
	grep -qE "^pull $REG/bb:1: layer 1/1 sha256:[0-9a-f]{12} .* pulled$" <<<"$f"
	grep -qE "^pull $REG/bb:1: done, .* downloaded in [0-9.]+ s" <<<"$f"
	# (The in-place row shows from 0.1 s into a layer: a loopback pull of
	# a small one may end before it is drawn, so it is not asserted here.)
}

@test "pull progress plain and auto without a terminal: plain lines, no escape bytes" {
	on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" pull --progress plain bb
	[ "$status" = 0 ]
	run ! grep -q $'\033' "$BATS_TEST_TMPDIR/pty.txt"
	grep -qE "^pull $REG/bb:1: layer 1/1 sha256:[0-9a-f]{12} .* pulled$" "$BATS_TEST_TMPDIR/pty.txt"
	TERM_FOR_PTY=dumb on_pty "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" pull bb
	[ "$status" = 0 ]
	run ! grep -q $'\033' "$BATS_TEST_TMPDIR/pty.txt"
	run -0 stack pull bb
	[[ "$output" != *$'\033'* ]]
	[[ "$output" == *"pull $REG/bb:1: done"* ]]
	run -2 stack pull --progress fancy bb
	[[ "$output" == *"--progress: \`fancy\` is not auto, tty or plain"* ]]
}
