#!/usr/bin/env bats
# `pull:` against a registry that lies or attacks, served by a stub of our
# own (helpers/registry_stub.py) on loopback ports 15002-15009: a layer
# whose bytes do not match its digest, layers with `..`, absolute names,
# device nodes or a write through a symlink, an index to pick linux/amd64
# from, a Bearer-token registry with credentials from a Docker
# config.json, and a plain-HTTP registry on a non-loopback address, which
# without `insecure: true` gets no HTTP request at all.  Every refusal is
# a clear error, non-zero, and leaves no ref, no layer and nothing outside
# the store.  Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/registry_stub

setup_file() {
	run_env_setup_file
	export LAYERS="$BATS_FILE_TMPDIR/layers" OUTSIDE="$BATS_FILE_TMPDIR/outside"
	mkdir -p "$LAYERS" "$OUTSIDE"
	tar -C "$ROOTFS" -czf "$LAYERS/good.tar.gz" .
	# The hostile tars, each a busybox rootfs plus one bad entry.
	python3 - "$ROOTFS" "$LAYERS" "$OUTSIDE" <<-'PY'
	import io, os, sys, tarfile
	rootfs, out, outside = sys.argv[1:]
	def make(name, extra):
	    with tarfile.open(os.path.join(out, name + ".tar"), "w", format=tarfile.PAX_FORMAT) as t:
	        t.add(rootfs, arcname=".")
	        for info, data in extra:
	            t.addfile(info, io.BytesIO(data) if data is not None else None)
	def reg(name, data=b"pwned\n"):
	    i = tarfile.TarInfo(name); i.size = len(data); return (i, data)
	def sym(name, target):
	    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; return (i, None)
	dev = tarfile.TarInfo("dev/sda"); dev.type = tarfile.CHRTYPE; dev.devmajor = 8; dev.devminor = 0
	blk = tarfile.TarInfo("dev/loop0"); blk.type = tarfile.BLKTYPE; blk.devmajor = 7; blk.devminor = 0
	make("dotdot", [reg("../../../../../../../.." + outside + "/dotdot")])
	make("absolute", [reg(outside + "/absolute")])
	make("chardev", [(dev, None)])
	make("blockdev", [(blk, None)])
	make("symlink", [sym("escape", outside), reg("escape/symlink")])
	PY
	for l in good dotdot absolute chardev blockdev symlink; do
		local f="$LAYERS/$l.tar"
		[ -f "$f" ] || f="$LAYERS/$l.tar.gz"
		python3 "$STUB" layout "$BATS_FILE_TMPDIR/oci-$l" "$f"
	done
	# The busybox layer, but its config claims another diff id.
	python3 "$STUB" layout "$BATS_FILE_TMPDIR/oci-diffid" "$LAYERS/good.tar.gz" \
		--diff-id "sha256:$(printf '%064d' 0)"
	# A decompression bomb: 1.1 GiB of zeros in about a MiB of gzip.
	truncate -s 1100M "$LAYERS/zero"
	tar -C "$LAYERS" -cf - zero | gzip -1 >"$LAYERS/bomb.tar.gz"
	rm "$LAYERS/zero"
	python3 "$STUB" layout "$BATS_FILE_TMPDIR/oci-bomb" "$LAYERS/bomb.tar.gz" --diff-id "sha256:$(printf '%064d' 0)"
}
teardown_file() { run_env_teardown_file; }

setup() { run_env_setup; }

teardown() {
	stub_stop_all
	run_env_teardown
}

# stub_start LAYOUT ADDR PORT [ARGS...]: serve oci-LAYOUT; its request log
# is $STUB_LOG.
stub_start() { stub_serve "$BATS_FILE_TMPDIR/oci-$1" "${@:2}"; }

# pull_file REF [EXTRA]: ./stack.yaml whose base `b` pulls REF, EXTRA in its mapping.
pull_file() {
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: t
	bases:
	  b: {pull: "$1"${2:+, $2}}
	services:
	  s: {image: b}
	EOF
}

# The store has no ref for REF, no layer but those of before ($1), no work
# dir left in tmp/, and nothing was written to $OUTSIDE.
assert_refused_cleanly() {
	local ref=$1 layers_before=$2
	if [ -f "$STACK_ROOT/refs.json" ]; then
		run ! grep -qF "\"$ref\"" "$STACK_ROOT/refs.json"
	fi
	[ "$(ls "$STACK_ROOT/layers" 2>/dev/null | wc -l)" = "$layers_before" ]
	[ -z "$(ls -A "$STACK_ROOT/tmp" 2>/dev/null)" ]
	[ -z "$(ls -A "$OUTSIDE")" ]
}

layer_count() { ls "$STACK_ROOT/layers" 2>/dev/null | wc -l; }

@test "hostile: a layer blob that does not match its digest is refused" {
	stub_start good 127.0.0.1 15002 --tamper
	pull_file 127.0.0.1:15002/bb:1
	local n
	n=$(layer_count)
	run -1 stack pull
	[[ "$output" == *"has the digest sha256:"*"refused"* ]]
	assert_refused_cleanly 127.0.0.1:15002/bb:1 "$n"
	run -1 stack run s true
	assert_refused_cleanly 127.0.0.1:15002/bb:1 "$n"
}

@test "hostile: layers with .., absolute names, devices or a write through a symlink are refused" {
	local kind port=15003 n
	for kind in dotdot absolute chardev blockdev symlink; do
		stub_start "$kind" 127.0.0.1 "$port"
		pull_file "127.0.0.1:$port/bb:1"
		n=$(layer_count)
		run -1 stack pull
		echo "$kind: $output"
		case $kind in
		dotdot) [[ "$output" == *"has a \`..\` component"* ]] ;;
		absolute) [[ "$output" == *"is an absolute name"* ]] ;;
		chardev | blockdev) [[ "$output" == *"is a device node"* ]] ;;
		symlink) [[ "$output" == *"symlink"* ]] ;;
		esac
		assert_refused_cleanly "127.0.0.1:$port/bb:1" "$n"
		port=$((port + 1))
	done
}

@test "hostile: a layer that is not what its config's diff id says, and a decompression bomb, are refused" {
	stub_start diffid 127.0.0.1 15003
	pull_file 127.0.0.1:15003/bb:1
	local n
	n=$(layer_count)
	run -1 stack pull
	[[ "$output" == *"uncompressed has the digest"*"its config says sha256:0000"* ]]
	assert_refused_cleanly 127.0.0.1:15003/bb:1 "$n"
	stub_start bomb 127.0.0.1 15004
	pull_file 127.0.0.1:15004/bb:1
	run -1 stack pull
	[[ "$output" == *"refused as a decompression bomb"* ]]
	assert_refused_cleanly 127.0.0.1:15004/bb:1 "$n"
}

@test "hostile: the good layout from the same stub pulls and runs (the stub is not what fails)" {
	stub_start good 127.0.0.1 15008
	pull_file 127.0.0.1:15008/bb:1
	run -0 stack run s cat /etc/passwd
	[[ "$output" == *"earl:x:1000"* ]]
}

@test "auth: a Bearer registry: no credentials, wrong ones, then config.json's" {
	stub_start good 127.0.0.1 15009 --auth earl:grey
	pull_file 127.0.0.1:15009/bb:1
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	mkdir -p "$DOCKER_CONFIG"
	run -1 stack pull
	[[ "$output" == *"wants credentials"*"config.json"* ]]
	printf '{"auths": {"127.0.0.1:15009": {"auth": "%s"}}}\n' "$(printf earl:tea | base64)" >"$DOCKER_CONFIG/config.json"
	run -1 stack pull
	[[ "$output" == *"refused the credentials"* ]]
	printf '{"auths": {"http://127.0.0.1:15009/v2/": {"auth": "%s"}}}\n' "$(printf earl:grey | base64)" >"$DOCKER_CONFIG/config.json"
	run -0 stack pull
	run -0 stack run s echo in
	[ "$output" = in ]
	# The token was asked for with Basic credentials, then used.
	grep -q '^GET /token' "$STUB_LOG"
}

@test "index: the linux/amd64 manifest of an image index is the one pulled" {
	local L="$BATS_TEST_TMPDIR/oci-index"
	cp -a "$BATS_FILE_TMPDIR/oci-good" "$L"
	# An index for tag 1: an arm64 entry first (a digest the stub does not
	# have: picking it would fail), then the real manifest as linux/amd64.
	python3 - "$L" <<-'PY'
	import hashlib, json, os, sys
	L = sys.argv[1]
	idx = json.load(open(L + "/index.json"))
	real = idx["manifests"][0]
	real["platform"] = {"os": "linux", "architecture": "amd64"}
	real.pop("annotations", None)
	arm = {"mediaType": real["mediaType"], "digest": "sha256:" + "0" * 64, "size": 10,
	       "platform": {"os": "linux", "architecture": "arm64"}}
	blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
	                   "manifests": [arm, real]}).encode()
	d = hashlib.sha256(blob).hexdigest()
	open(L + "/blobs/sha256/" + d, "wb").write(blob)
	json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
	           "digest": "sha256:" + d, "size": len(blob),
	           "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, open(L + "/index.json", "w"))
	PY
	stub_serve "$L" 127.0.0.1 15007
	pull_file 127.0.0.1:15007/bb:1
	run -0 stack run s echo picked
	[[ "$output" == *picked ]]
	run ! grep -q "sha256:0000" "$STUB_LOG"
}

@test "transport: a plain-HTTP registry on a non-loopback address gets no HTTP request without insecure: true" {
	local addr
	addr=$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
	[ -n "$addr" ] || skip "no non-loopback IPv4 address on this host"
	stub_start good "$addr" 15006
	pull_file "$addr:15006/bb:1"
	local n
	n=$(layer_count)
	run -1 stack pull
	[[ "$output" == *"does not answer HTTPS"*"insecure: true"* ]]
	# A TLS hello reached the port; no HTTP request did.
	[ ! -s "$STUB_LOG" ]
	assert_refused_cleanly "$addr:15006/bb:1" "$n"
	pull_file "$addr:15006/bb:1" "insecure: true"
	run -0 stack run s echo over-http
	[[ "$output" == *over-http ]]
	grep -q "^GET /v2/bb/manifests/1" "$STUB_LOG"
}

@test "spec: insecure is an option of pull: only" {
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: t
	bases:
	  b: {rootfs: $ROOTFS, insecure: true}
	services:
	  s: {image: b}
	EOF
	run -2 stack config
	[[ "$output" == *"\`insecure\` is an option of \`pull:\`"* ]]
}

# A pull stopped halfway through a layer (the stub trickles it in), into
# a store of the test's own (the file's has the layer already).
start_slow_pull() {
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$STACK_ROOT/tmp" "$STACK_ROOT/layers"
	stub_start good 127.0.0.1 "$1" --slow
	pull_file "127.0.0.1:$1/bb:1"
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" pull
	wait_for 20 grep -q '^GET /v2/bb/blobs/.*' "$STUB_LOG"
	wait_for 20 eval 'ls "$STACK_ROOT/tmp" | grep -q "^import-pull-"'
	# Some of the layer is in the work dir.
	wait_for 20 eval 'find "$STACK_ROOT/tmp" -name "blob-*" -size +16k | grep -q .'
}

@test "fault: SIGINT mid-layer stops the pull at once: exit 130, no work dir, no ref, no layer" {
	start_slow_pull 15005
	kill -INT "$BG_PID"
	wait_exit "$BG_PID" 10
	[ "$BG_STATUS" = 130 ]
	[[ "$(cat "$BATS_TEST_TMPDIR/err")" != *"digest"* ]]
	assert_refused_cleanly 127.0.0.1:15005/bb:1 0
}

@test "fault: kill -9 mid-layer leaves a work dir the next pull sweeps, and that pull succeeds" {
	start_slow_pull 15004
	kill -KILL "$BG_PID"
	wait_exit "$BG_PID" 10
	[ -n "$(ls -A "$STACK_ROOT/tmp")" ]
	run ! grep -qF '"127.0.0.1:15004/bb:1"' "$STACK_ROOT/refs.json"
	[ "$(layer_count)" = 0 ]
	RUN_TIMEOUT=120 run -0 stack pull
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
	run -0 stack run s echo after
	[ "$output" = after ]
}

@test "progress: on a terminal one line is redrawn (layer n/N, bytes of total, rate); otherwise plain lines" {
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	stub_start good 127.0.0.1 15002 --slow
	pull_file 127.0.0.1:15002/bb:1
	run -0 /usr/bin/python3 "$BATS_TEST_DIRNAME/helpers/pty_session.py" -- \
		"$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" pull
	[[ "$output" == *"rc=0"* ]]
	# ESC [ K (erase the line), then the state (a live row of util/progress:
	# " => " first): a regex, its [ and . escaped.
	local redraw=$'\e''\[K => pull 127\.0\.0\.1:15002/bb:1: layer 1/1, [0-9.]+ [KM]iB of [0-9.]+ [KM]iB, [0-9.]+ [KM]?i?B/s'
	[[ "$output" =~ $redraw ]]
	# Not on a terminal: lines only, no redraws.
	export STACK_ROOT="$BATS_TEST_TMPDIR/root2"
	run -0 stack pull
	[[ "$output" != *$'\e[K'* ]]
	[[ "$output" == *"pull 127.0.0.1:15002/bb:1: layer 1/1 sha256:"*" pulled"* ]]
}
