#!/usr/bin/env bats
# Second review of the image store and registry client: what a hostile
# registry or a misaimed `-o` could do that the first tests did not try.
# Loopback ports 16100-16119.  Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/store_env
load helpers/registry_stub

setup_file() {
	run_env_setup_file
	tar -C "$ROOTFS" -czf "$BATS_FILE_TMPDIR/good.tar.gz" .
	python3 "$STUB" layout "$BATS_FILE_TMPDIR/oci-good" "$BATS_FILE_TMPDIR/good.tar.gz"
}
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	rm -rf "${STACK_ROOT:?}"/*
}
teardown() {
	stub_stop_all
	run_env_teardown
}

# pull_file REF: ./stack.yaml whose base `b` pulls REF.
pull_file() {
	printf 'name: t\nbases:\n  b: {pull: "%s"}\nservices:\n  s: {image: b}\n' "$1" >stack.yaml
}

@test "a registry whose error body never ends: the pull stops, names the status, and stores nothing" {
	stub_serve "$BATS_FILE_TMPDIR/oci-good" 127.0.0.1 16101 --endless-error
	pull_file 127.0.0.1:16101/bb:1
	# timeout only turns the old hang into a failure (124); it is not a threshold.
	run timeout 300 "$STACK_BIN" pull
	[ "$status" -eq 1 ]
	[[ "$output" == *"HTTP 404"*"BLOB_UNKNOWN"* ]]
	[ -z "$(ls -A "$STACK_ROOT/layers")" ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}

@test "image save -o onto a symlink, a FIFO or a directory is refused and leaves it as it was" {
	bb_layout L
	oci_stack "$PWD/L"
	run -0 stack run --rm s true
	"$STACK_BIN" image tag "$(base_key "$PWD/L")" example/bb:1
	echo precious >target
	ln -s target link
	mkfifo fifo
	mkdir dir
	local t
	for t in link fifo dir; do
		run --separate-stderr "$STACK_BIN" image save example/bb:1 -o "$t"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"\`$t\` is a "*"give -o the path of a regular file"* ]]
	done
	[ -L link ]
	[ "$(readlink link)" = target ]
	[ -p fifo ]
	[ -d dir ]
	[ -z "$(ls -A dir)" ]
	[ "$(cat target)" = precious ]
	[ "$(ls | grep -c part)" -eq 0 ]
	# a regular file is still replaced whole
	run -0 "$STACK_BIN" image save example/bb:1 -o target
	tar -tf target | grep -q '^index.json$'
}

@test "a blob redirect to file:// is not followed: the pull fails and reads nothing local" {
	mkdir -p "$BATS_TEST_TMPDIR/local/v2/bb/blobs"
	# What a followed redirect would read: the layer itself, so only the
	# transport policy can make this pull fail.
	cp -a "$BATS_FILE_TMPDIR/oci-good/blobs/sha256/." "$BATS_TEST_TMPDIR/local/v2/bb/blobs/"
	for f in "$BATS_TEST_TMPDIR"/local/v2/bb/blobs/*; do mv "$f" "${f%/*}/sha256:${f##*/}"; done
	stub_serve "$BATS_FILE_TMPDIR/oci-good" 127.0.0.1 16105 --redirect-blobs "file://$BATS_TEST_TMPDIR/local"
	pull_file 127.0.0.1:16105/bb:1
	run timeout 300 "$STACK_BIN" pull
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET http://127.0.0.1:16105/v2/bb/blobs/sha256:"*"redirected to \`file://"*"(http,https only)"* ]]
	[ -z "$(ls -A "$STACK_ROOT/layers")" ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}

@test "a blob redirect to another host gets no credentials; the blob is still checked and pulled" {
	stub_serve "$BATS_FILE_TMPDIR/oci-good" 127.0.0.1 16106 --auth earl:grey \
		--redirect-blobs "http://localhost:16107"
	local reg_log=$STUB_LOG
	stub_serve "$BATS_FILE_TMPDIR/oci-good" 127.0.0.1 16107
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	mkdir -p "$DOCKER_CONFIG"
	printf '{"auths": {"127.0.0.1:16106": {"auth": "%s"}}}\n' "$(printf earl:grey | base64)" >"$DOCKER_CONFIG/config.json"
	pull_file 127.0.0.1:16106/bb:1
	run -0 "$STACK_BIN" pull
	# the registry saw the token on its own requests ...
	grep -q "^GET /v2/bb/manifests/1 authz$" "$reg_log"
	grep -q "^GET /v2/bb/blobs/sha256:.* authz$" "$reg_log"
	# ... the host it redirected to got the blobs' GETs, none with it
	grep -q "^GET /v2/bb/blobs/sha256:" "$STUB_LOG"
	run ! grep -q "authz" "$STUB_LOG"
	run -0 stack run s echo redirected
	[[ "$output" == *redirected ]]
}

@test "a manifest that never ends is cut at the documented 4 MiB and refused" {
	stub_serve "$BATS_FILE_TMPDIR/oci-good" 127.0.0.1 16108 --endless-manifest
	pull_file 127.0.0.1:16108/bb:1
	run timeout 300 "$STACK_BIN" pull
	[ "$status" -eq 1 ]
	[[ "$output" == *"more than the 4194304 bytes expected"* ]]
	[ -z "$(ls -A "$STACK_ROOT/layers")" ]
	run ! grep -q "blobs" "$STUB_LOG"
}
