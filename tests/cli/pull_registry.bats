#!/usr/bin/env bats
# `pull:` bases and `stack pull` against Debian's docker-registry, started
# by this file on loopback (its own config, storage dir and port 15001) and
# seeded with `skopeo copy` from OCI layouts made here with umoci from the
# busybox rootfs: the config applies in `stack run`, a second pull
# downloads no blob (counted in the registry's access log), a blob two
# images share is downloaded once, zstd layers run.  Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env

REG_PORT=15001
REG="127.0.0.1:$REG_PORT"

# Requests of ours (user agent stack/...) the registry logged: "METHOD PATH".
stack_requests() {
	grep -o '"[A-Z]* /v2/[^ ]* HTTP/[0-9.]*" [0-9]* [0-9]* "[^"]*" "stack/[^"]*"' "$REG_DIR/registry.log" |
		awk '{ print substr($1, 2), $2 }' || true
}

setup_file() {
	for t in docker-registry skopeo umoci; do
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
	# Ours that answered, not another one on the port.
	kill -0 "$(cat "$REG_DIR/pid")" || { cat "$REG_DIR/registry.log" >&2; return 1; }
	# bb:1 from the busybox rootfs with a config to check; bb2:1 = bb:1
	# plus one layer (so its first layer is bb's); bb:zstd compressed so.
	local L="$BATS_FILE_TMPDIR/layout"
	umoci init --layout "$L"
	umoci new --image "$L:bb"
	umoci unpack --image "$L:bb" "$BATS_FILE_TMPDIR/bundle" >/dev/null
	cp -a "$ROOTFS/." "$BATS_FILE_TMPDIR/bundle/rootfs/"
	umoci repack --image "$L:bb" "$BATS_FILE_TMPDIR/bundle"
	umoci config --image "$L:bb" --config.env FOO=bar --config.user 1000 --config.workingdir /tmp \
		--config.exposedports 8080/tcp --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo hi from $FOO'
	rm -rf "$BATS_FILE_TMPDIR/bundle"
	umoci unpack --image "$L:bb" "$BATS_FILE_TMPDIR/bundle" >/dev/null
	echo two >"$BATS_FILE_TMPDIR/bundle/rootfs/etc/second"
	umoci repack --image "$L:bb2" "$BATS_FILE_TMPDIR/bundle"
	umoci config --image "$L:bb2" --tag bb2 --config.cmd cat --config.cmd /etc/second
	rm -rf "$BATS_FILE_TMPDIR/bundle"
	skopeo copy -q --dest-tls-verify=false "oci:$L:bb" "docker://$REG/bb:1"
	skopeo copy -q --dest-tls-verify=false "oci:$L:bb2" "docker://$REG/bb2:1"
	skopeo copy -q --dest-tls-verify=false --dest-compress-format zstd "oci:$L:bb" "docker://$REG/bb:zstd"
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
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: t
	bases:
	  bb: {pull: "$REG/bb:1"}
	  bb2: {pull: "$REG/bb2:1"}
	  bbz: {pull: "$REG/bb:zstd"}
	services:
	  s: {image: bb}
	  s2: {image: bb2}
	  sz: {image: bbz}
	EOF
}
teardown() { run_env_teardown; }

@test "pull: the image runs with its config (Cmd, Env, User, WorkingDir) and ExposedPorts is stored" {
	run -0 stack pull bb
	[[ "$output" == *"bb: $REG/bb:1@sha256:"* ]]
	run -0 stack run s
	[ "$output" = "hi from bar" ]
	run -0 stack run s sh -c 'id -u; pwd'
	[ "$output" = $'1000\n/tmp' ]
	# The store keeps the image config in OCI form: ExposedPorts too.
	run -0 python3 -c '
import json, sys
root = sys.argv[1]
ref = json.load(open(root + "/refs.json"))["refs"][sys.argv[2]]
cfg = json.load(open(root + "/blobs/sha256/" + ref["id"][7:]))
print(sorted(cfg["config"]["ExposedPorts"]))' "$STACK_ROOT" "$REG/bb:1"
	[ "$output" = "['8080/tcp']" ]
	assert_no_leftovers
}

@test "pull: a second pull downloads no blob; stack run does not ask the registry" {
	run -0 stack pull bb
	local before
	before=$(stack_requests | grep -c '/blobs/' || true)
	run -0 stack pull bb
	[[ "$output" == *"already pulled"* ]]
	[ "$(stack_requests | grep -c '/blobs/' || true)" = "$before" ]
	local n
	n=$(stack_requests | wc -l)
	run -0 stack run s true
	[ "$(stack_requests | wc -l)" = "$n" ]
}

@test "pull: a layer two images share is downloaded once; the other image runs" {
	run -0 stack pull bb
	run -0 stack pull bb2
	[[ "$output" == *"layer 1/2"*"already pulled"* ]]
	[[ "$output" == *"layer 2/2"*" pulled"* ]]
	# Every blob of ours was fetched once.
	run -0 bash -c "$(declare -f stack_requests); REG_DIR=$REG_DIR; stack_requests | grep 'GET /v2/[^ ]*/blobs/' | sed 's|.*/blobs/||' | sort | uniq -d"
	[ -z "$output" ]
	run -0 stack run s2
	[ "$output" = "two" ]
}

@test "pull: zstd layers" {
	run -0 stack pull bbz
	run -0 stack run sz
	[ "$output" = "hi from bar" ]
}

@test "pull: stack run pulls a missing pull: base on first use" {
	local n
	n=$(stack_requests | grep -c 'GET /v2/bb2/manifests/1' || true)
	STACK_ROOT="$BATS_TEST_TMPDIR/fresh" run -0 stack run s2
	[[ "$output" == *"two" ]]
	[ "$(stack_requests | grep -c 'GET /v2/bb2/manifests/1')" -gt "$n" ]
}

@test "pull: an unknown tag fails naming it, and stores nothing" {
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: t
	bases:
	  nope: {pull: "$REG/bb:nope"}
	services:
	  x: {image: nope}
	EOF
	run -1 stack pull
	[[ "$output" == *"has no image \`bb:nope\`"* ]]
	run ! grep -q 'bb:nope' "$STACK_ROOT/refs.json"
}

@test "push: stack image push, pulled back with skopeo: same digests; twice is the same manifest; stack pulls it back" {
	run -0 stack pull bb
	run -0 stack image push "$REG/bb:1" "$REG/pushed:v1"
	local ref_digest=${lines[-1]}
	[[ "$ref_digest" == "$REG/pushed:v1@sha256:"* ]]
	local digest=${ref_digest#*@}
	# What the registry serves is that manifest, byte for byte.
	run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/pushed:v1"
	[ "sha256:$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "$digest" ]
	# skopeo copies it out as it is (dir:, verifying every blob); its
	# layer is the store's layer id, its config the store's config.
	run -0 skopeo copy -q --src-tls-verify=false "docker://$REG/pushed:v1" "dir:$BATS_TEST_TMPDIR/back"
	run -0 python3 -c '
import hashlib, json, sys
L, root, ref = sys.argv[1:]
m = json.load(open(L + "/manifest.json"))
for l in m["layers"]:
    assert hashlib.sha256(open(L + "/" + l["digest"][7:], "rb").read()).hexdigest() == l["digest"][7:]
cfg_id = json.load(open(root + "/refs.json"))["refs"][ref]["id"]
cfg = json.load(open(root + "/blobs/sha256/" + cfg_id[7:]))
print([l["digest"] for l in m["layers"]] == cfg["rootfs"]["diff_ids"], m["config"]["digest"] == cfg_id)' \
		"$BATS_TEST_TMPDIR/back" "$STACK_ROOT" "$REG/bb:1"
	[ "$output" = "True True" ]
	# Reproducible: the same image pushes the same manifest, uploading nothing.
	run -0 stack image push "$REG/bb:1" "$REG/pushed:v1"
	[ "${lines[-1]}" = "$ref_digest" ]
	[[ "$output" == *"already there"* ]]
	# And it runs when pulled back.
	cat >"$BATS_TEST_TMPDIR/stack.yaml" <<-EOF
	name: t
	bases:
	  back: {pull: "$REG/pushed:v1"}
	services:
	  s: {image: back}
	EOF
	STACK_ROOT="$BATS_TEST_TMPDIR/fresh" run -0 stack run s
	[ "${lines[-1]}" = "hi from bar" ]
}

@test "push: an image the store does not have, or a digest as REF, fail clearly" {
	run -1 stack image push nosuch:1 "$REG/x:1"
	[[ "$output" == *"no image \`nosuch:1\`"* ]]
	run -1 stack image push "$REG/bb:1" "$REG/x@sha256:$(printf '%064d' 0)"
	[[ "$output" == *"push to a tag"* ]]
}
