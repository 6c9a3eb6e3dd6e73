#!/usr/bin/env bats
# The store's commands: `stack images` (table, json, -q), `stack image
# inspect|tag|rm|prune|save`; saved archives that skopeo and umoci accept,
# byte for byte the same on a second save, and that import back as an
# `oci:` base; prune frees what no name reaches and refuses while a run
# uses the store; a version-1 store is converted, a newer one refused.
# Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/store_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	rm -rf "${STACK_ROOT:?}"/*
	bb_layout L --config.cmd sh --config.cmd -c --config.cmd 'echo saved $X' --config.env X=kept \
		--config.env PATH=/bin --config.label org.example.role=test
	oci_stack "$PWD/L"
	run --separate-stderr stack run --rm s
	[ "$status" -eq 0 ]
	KEY=$(base_key "$PWD/L")
	"$STACK_BIN" image tag "$KEY" example/bb:1.0
}
teardown() { run_env_teardown; }

@test "stack images lists names and bases as a table, JSON and ids" {
	run --separate-stderr "$STACK_BIN" images
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*SIZE*SOURCE ]]
	[[ "$output" == *"example/bb"*"1.0"* ]]
	[[ "$output" == *"$KEY"*"$PWD/L"* ]]
	id=$("$STACK_BIN" image inspect example/bb:1.0 | json_get 'j[0]["Id"]')
	run "$STACK_BIN" images -q
	[ "$output" = "${id:7:12}" ]
	run "$STACK_BIN" images --format json
	[ "$(json_get 'sorted(i["name"] for i in j)' <<<"$output")" = "['example/bb:1.0', '$KEY']" ]
	[ "$(json_get '[i["size"] > 1000000 for i in j]' <<<"$output")" = "[True, True]" ]
	run "$STACK_BIN" images --format yaml
	[ "$status" -eq 2 ]
}

@test "stack image inspect shows the OCI config and its layers" {
	run --separate-stderr "$STACK_BIN" image inspect example/bb:1.0
	[ "$status" -eq 0 ]
	[ "$(json_get 'j[0]["Config"]["config"]["Cmd"]' <<<"$output")" = "['sh', '-c', 'echo saved \$X']" ]
	[ "$(json_get 'j[0]["Config"]["config"]["Labels"]["org.example.role"]' <<<"$output")" = test ]
	[ "$(json_get 'sorted(j[0]["RepoTags"])' <<<"$output")" = "['example/bb:1.0', '$KEY']" ]
	dir=$(json_get 'j[0]["LayerDirs"][0]' <<<"$output")
	[ -x "$dir/bin/busybox" ]
	run --separate-stderr "$STACK_BIN" image inspect nope
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no image \`nope\`"* ]]
}

@test "stack image save writes an OCI archive that skopeo and umoci read, the same twice" {
	run --separate-stderr "$STACK_BIN" image save example/bb:1.0 -o a.tar
	[ "$status" -eq 0 ]
	"$STACK_BIN" image save example/bb:1.0 -o b.tar
	cmp a.tar b.tar
	"$STACK_BIN" image save --gzip example/bb:1.0 -o a.tgz
	"$STACK_BIN" image save --gzip example/bb:1.0 -o b.tgz
	cmp a.tgz b.tgz
	# skopeo: the config digest is the image id, the layers the diff ids
	id=$("$STACK_BIN" image inspect example/bb:1.0 | json_get 'j[0]["Id"]')
	diff=$("$STACK_BIN" image inspect example/bb:1.0 | json_get 'j[0]["Config"]["rootfs"]["diff_ids"]')
	for f in a.tar a.tgz; do
		run skopeo inspect --config "oci-archive:$PWD/$f"
		[ "$status" -eq 0 ]
		[ "$(json_get 'j["config"]["Env"]' <<<"$output")" = "['X=kept', 'PATH=/bin']" ]
		run skopeo inspect --raw "oci-archive:$PWD/$f"
		[ "$(json_get 'j["config"]["digest"]' <<<"$output")" = "$id" ]
	done
	run skopeo inspect "oci-archive:$PWD/a.tar"
	[ "$(json_get 'j["Layers"]' <<<"$output")" = "$diff" ]
	# umoci: a layout it lists and unpacks to the busybox rootfs
	mkdir lay && tar -C lay -xf a.tgz
	run umoci ls --layout lay
	[ "$output" = "1.0" ]
	umoci unpack --image lay:1.0 bundle >/dev/null
	cmp bundle/rootfs/bin/busybox "$ROOTFS/bin/busybox"
	# and back: the saved archive is an oci: base that runs as the image did
	oci_stack "$PWD/a.tgz"
	run --separate-stderr stack run --rm s
	[ "$status" -eq 0 ]
	[ "$output" = "saved kept" ]
	assert_no_leftovers
}

@test "stack image save of an unknown image or without -o fails and writes nothing" {
	run --separate-stderr "$STACK_BIN" image save nope -o x.tar
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no image \`nope\`"* ]]
	[ ! -e x.tar ]
	run --separate-stderr "$STACK_BIN" image save example/bb:1.0
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-o FILE"* ]]
	run --separate-stderr "$STACK_BIN" image save example/bb:1.0 -o /nonexistent/dir/x.tar
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}

@test "stack image rm removes a name; prune frees what nothing names and reports it" {
	run "$STACK_BIN" image rm example/bb:1.0
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: example/bb:1.0" ]
	run --separate-stderr "$STACK_BIN" image rm example/bb:1.0
	[ "$status" -eq 1 ]
	# the base still names the layer: nothing to free
	run "$STACK_BIN" image prune
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Removed 0 base entries, 0 layers, 0 configs" ]
	[ -n "$(ls -A "$STACK_ROOT/layers")" ]
	used=$(du -sB1 "$STACK_ROOT/layers" | cut -f1)
	# -a drops the imported bases too: everything goes, and the bytes say so
	run "$STACK_BIN" image prune -a
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Removed 1 base entries, 1 layers, 1 configs" ]
	freed=$(sed -n 's/.*(\([0-9]*\) bytes)$/\1/p' <<<"${lines[1]}")
	[ "$freed" -ge "$used" ]
	[ -z "$(ls -A "$STACK_ROOT/layers")" ]
	[ -z "$(ls -A "$STACK_ROOT/blobs/sha256")" ]
	[ -z "$("$STACK_BIN" images -q)" ]
	# and the base is imported again when next used
	run --separate-stderr stack run --rm s
	[ "$output" = "saved kept" ]
}

@test "prune refuses while a run uses the store, and works after" {
	stack_bg out err run --rm s sh -c 'echo started; exec sleep 60'
	wait_for 30 grep -q started out
	run --separate-stderr "$STACK_BIN" image prune -a
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"in use by another stack process"* ]]
	[ -n "$(ls -A "$STACK_ROOT/layers")" ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 30
	"$STACK_BIN" image rm example/bb:1.0
	run "$STACK_BIN" image prune -a
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$STACK_ROOT/layers")" ]
}

@test "a version-1 store is converted; a store of a newer stack is refused" {
	layer=$("$STACK_BIN" image inspect example/bb:1.0 | json_get 'j[0]["Config"]["rootfs"]["diff_ids"][0]')
	rm -rf "$STACK_ROOT/refs.json" "$STACK_ROOT/store-version" "$STACK_ROOT/blobs"
	mkdir -p "$STACK_ROOT/images"
	printf '{"name":"old:1","layers":["%s"],"config":{"Env":["PATH=/bin"],"Cmd":["echo","from v1"]}}' "$layer" \
		>"$STACK_ROOT/images/old:1.json"
	run --separate-stderr "$STACK_BIN" images
	[ "$status" -eq 0 ]
	[[ "$output" == *"old "*" 1 "* ]]
	[ "$(cat "$STACK_ROOT/store-version")" = 2 ]
	[ ! -e "$STACK_ROOT/images" ]
	run --separate-stderr "$STACK_BIN" image inspect old:1
	[ "$(json_get 'j[0]["Config"]["config"]["Cmd"]' <<<"$output")" = "['echo', 'from v1']" ]
	echo 3 >"$STACK_ROOT/store-version"
	run --separate-stderr "$STACK_BIN" images
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"format 3, newer than this stack's 2"* ]]
	run --separate-stderr stack run --rm s
	[ "$status" -ne 0 ]
	[ "$(cat "$STACK_ROOT/store-version")" = 3 ]
}

@test "refs written by concurrent stack processes are all kept" {
	for i in $(seq 20); do "$STACK_BIN" image tag example/bb:1.0 "c/t$i" & done
	wait
	[ "$("$STACK_BIN" images --format json | json_get 'len([i for i in j if i["name"].startswith("c/")])')" -eq 20 ]
}
