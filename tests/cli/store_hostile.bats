#!/usr/bin/env bats
# Hostile `oci:` bases: every trick a layer or an archive can play is
# refused with an error that names it, and nothing is written outside the
# store (a victim directory next to the test stays as it was; the store
# keeps no layer and no temp dir).  Needs root (the import runs as root,
# which is what makes these tricks dangerous).

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	OCI="python3 $STACK_SRC/tests/cli/helpers/oci_image.py"
	OUT="$BATS_TEST_TMPDIR/outside"
	mkdir -p "$OUT"
	echo original >"$OUT/victim"
	rm -rf "${STACK_ROOT:?}"/*
}
teardown() { run_env_teardown; }

# hostile_run PATH: `stack run` of a service on the `oci:` base PATH.
hostile_run() {
	printf 'name: h\nbases:\n  evil: {oci: %s}\nservices:\n  s: {image: evil, command: [sh, -c, "exit 0"]}\n' "$1" \
		>"$BATS_TEST_TMPDIR/stack.yaml"
	run --separate-stderr stack run --rm s
}

# Nothing outside the store changed, and the store kept nothing of it.
assert_contained() {
	[ "$(find "$OUT" -mindepth 1 | wc -l)" -eq 1 ] || { find "$OUT" >&2; return 1; }
	[ "$(cat "$OUT/victim")" = original ]
	[ "$(stat -c %h "$OUT/victim")" -eq 1 ]
	[ -z "$(ls -A "$STACK_ROOT/layers" 2>/dev/null)" ] || { ls -la "$STACK_ROOT/layers" >&2; return 1; }
	[ -z "$(ls -A "$STACK_ROOT/tmp" 2>/dev/null)" ] || { ls -la "$STACK_ROOT/tmp" >&2; return 1; }
	run "$STACK_BIN" images -q
	[ -z "$output" ]
	assert_no_leftovers
}

# layout_of ENTRY...: an OCI layout ./img whose one layer holds ENTRY...
layout_of() {
	$OCI layer layer.tar "$@"
	$OCI layout img --layer layer.tar --compress gzip
}

@test "a layer entry with .. components is refused" {
	layout_of "file:$(printf '../%.0s' $(seq 30))${OUT#/}/pwned:x"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"\`..\` component"* ]]
	assert_contained
}

@test "a layer entry with an absolute name is refused" {
	layout_of "file:$OUT/pwned:x"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"absolute name"* ]]
	assert_contained
}

@test "a symlink that a later entry would write through is refused" {
	layout_of "symlink:link:$OUT" "file:link/pwned:x"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *link* ]]
	assert_contained
}

@test "a symlink to a parent that a later entry would write through is refused" {
	layout_of "dir:d" "symlink:d/up:$(printf '../%.0s' $(seq 30))${OUT#/}" "file:d/up/victim:pwned"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	assert_contained
}

@test "a hard link out of the layer is refused (absolute, .., through a symlink)" {
	layout_of "hardlink:hl:$OUT/victim"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"hard link"* ]]
	assert_contained
	layout_of "hardlink:hl:$(printf '../%.0s' $(seq 30))${OUT#/}/victim"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"hard link"* ]]
	assert_contained
	layout_of "symlink:l:$OUT" "hardlink:hl:l/victim"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"through symlink"* ]]
	assert_contained
}

@test "device nodes are refused, overlay whiteouts are not" {
	layout_of "file:ok:x" "blk:sda:8:0"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"sda"*"device node"* ]]
	assert_contained
	layout_of "file:ok:x" "chr:mem:1:1"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"mem"*"device node"* ]]
	assert_contained
	# a 0:0 character device is a whiteout (overlay form), and an OCI
	# `.wh.` file one: both import (the run fails later: no /bin/sh)
	layout_of "file:ok:x" "chr:gone:0:0" "file:.wh.other:"
	hostile_run "$PWD/img"
	[[ "$stderr" != *"device node"* ]]
	[ -n "$(ls -A "$STACK_ROOT/layers")" ]
}

@test "a layer blob whose digest does not match its manifest is refused" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar --compress gzip --bad-digest 0
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"tampered"* ]]
	assert_contained
}

@test "a layer whose content does not match the config's diff id is refused" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar --compress zstd --bad-diffid 0
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"diff id"* ]]
	assert_contained
}

@test "a config or manifest that was changed is refused" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar
	cfg=$(python3 -c 'import json,sys; i=json.load(open("img/index.json")); m=json.load(open("img/blobs/sha256/"+i["manifests"][0]["digest"][7:])); print(m["config"]["digest"][7:])')
	sed -i 's/"amd64"/"amd65"/' "img/blobs/sha256/$cfg"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"tampered"* ]]
	assert_contained
}

@test "a config whose diff ids are not digests is refused before anything is written" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar --diffid "0:sha256:../../../../${OUT#/}"
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"diff_ids[0]"* ]]
	assert_contained
}

@test "a decompression bomb is refused at the documented limit" {
	# 1.1 GiB of zeros in a few hundred KiB of zstd: past 1 GiB (the
	# limit for a layer this small: 100x its size, or 1 GiB)
	head -c 1153433600 /dev/zero | zstd -q -19 -T0 >bomb.zst
	[ "$(stat -c %s bomb.zst)" -lt 10000000 ]
	mkdir -p img/blobs/sha256
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar --compress zstd
	# swap the bomb in for the layer, with digests that match it
	python3 - <<-'PY'
	import hashlib, json
	def sha(b): return "sha256:" + hashlib.sha256(b).hexdigest()
	def put(b):
	    d = sha(b); open("img/blobs/sha256/" + d[7:], "wb").write(b); return d
	idx = json.load(open("img/index.json"))
	m = json.load(open("img/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
	bomb = open("bomb.zst", "rb").read()
	m["layers"][0]["digest"], m["layers"][0]["size"] = put(bomb), len(bomb)
	md = json.dumps(m).encode()
	idx["manifests"][0]["digest"], idx["manifests"][0]["size"] = put(md), len(md)
	json.dump(idx, open("img/index.json", "w"))
	PY
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"decompression bomb"* ]]
	assert_contained
}

@test "an archive whose own names leave it is refused" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar
	python3 - "$OUT" <<-'PY'
	import sys, tarfile, io
	with tarfile.open("evil.tar", "w") as tf:
	    tf.add("img", arcname=".")
	    data = b"pwned"
	    ti = tarfile.TarInfo("../" * 30 + sys.argv[1].lstrip("/") + "/pwned"); ti.size = len(data)
	    tf.addfile(ti, io.BytesIO(data))
	PY
	hostile_run "$PWD/evil.tar"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"never \`..\`"* ]]
	assert_contained
}

@test "an archive's symlinks are never followed out of it" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar
	# index.json a symlink to a file outside: not read
	cp img/index.json "$OUT/victim.json"
	rm img/index.json
	ln -s "$OUT/victim.json" img/index.json
	tar -C img -cf evil.tar .
	rm "$OUT/victim.json"
	hostile_run "$PWD/evil.tar"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"index.json"* ]]
	assert_contained
}

@test "an image for another platform only is refused, naming linux/amd64" {
	$OCI layer layer.tar "file:a:x"
	$OCI layout img --layer layer.tar --platform linux/arm64
	hostile_run "$PWD/img"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux/amd64"* ]]
	assert_contained
}
