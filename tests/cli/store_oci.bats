#!/usr/bin/env bats
# `oci:` bases: an OCI image layout (made by umoci), an OCI archive and a
# docker save archive (made from it by skopeo), and layouts with gzip and
# zstd layers behind a multi-platform index, import as bases that `stack
# run` runs with their config (Cmd, Env, WorkingDir, User), whiteouts
# applied; the same content is one layer; a changed source is imported
# again.  Needs root.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/store_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	rm -rf "${STACK_ROOT:?}"/*
}
teardown() { run_env_teardown; }

@test "an umoci layout, its oci-archive and its docker-archive run with the image's Cmd and Env" {
	bb_layout L --config.cmd sh --config.cmd -c --config.cmd 'echo "hello $GREETING from $(pwd)"' \
		--config.env GREETING=world --config.env PATH=/bin:/usr/bin --config.workingdir /etc
	skopeo copy -q oci:L:latest "oci-archive:$PWD/img.tar"
	skopeo copy -q oci:L:latest "docker-archive:$PWD/docker.tar:bb:latest"
	for src in "$PWD/L" "$PWD/img.tar" "$PWD/docker.tar"; do
		oci_stack "$src"
		run --separate-stderr stack run --rm s
		[ "$status" -eq 0 ] || { echo "$src: $stderr"; false; }
		[ "$output" = "hello world from /etc" ]
	done
	# three sources, one image: the same layer and config, stored once
	[ "$(ls "$STACK_ROOT/layers" | wc -l)" -eq 1 ]
	[ "$("$STACK_BIN" images -q | wc -l)" -eq 1 ]
	[ "$("$STACK_BIN" images --format json | json_get 'len(j)')" -eq 3 ]
	assert_no_leftovers
}

@test "a service's command and environment override the image's" {
	bb_layout L --config.cmd false --config.env A=image --config.env B=image
	oci_stack "$PWD/L" '{image: img, environment: {B: service}}'
	run --separate-stderr stack run --rm s sh -c 'echo $A $B'
	[ "$status" -eq 0 ]
	[ "$output" = "image service" ]
}

@test "gzip and zstd layers behind a multi-platform index import, with user and working dir" {
	$OCI layer base.tar "tree:$ROOTFS"
	$OCI layer app.tar "dir:srv" "file:srv/hello:from zstd"
	for c in gzip zstd; do
		rm -rf "img-$c"
		$OCI layout "img-$c" --layer base.tar --layer app.tar --compress "$c" --index-list \
			--cmd '["sh","-c","cat hello; echo; id -u; pwd"]' --workdir /srv --user 1000 --env PATH=/bin
		oci_stack "$PWD/img-$c"
		run --separate-stderr stack run --rm s
		[ "$status" -eq 0 ] || { echo "$c: $stderr"; false; }
		[ "${lines[0]}" = "from zstd" ]
		[ "${lines[1]}" = 1000 ]
		[ "${lines[2]}" = /srv ]
	done
	# the same tars, compressed two ways: two layers, not four
	[ "$(ls "$STACK_ROOT/layers" | wc -l)" -eq 2 ]
	assert_no_leftovers
}

@test "whiteouts and opaque directories of a later layer hide the earlier layer's files" {
	$OCI layer base.tar "tree:$ROOTFS" "dir:d" "file:d/old:1" "file:gone:1" "dir:e" "file:e/kept:1"
	$OCI layer top.tar "file:.wh.gone:" "dir:d" "file:d/.wh..wh..opq:" "file:d/new:2"
	$OCI layout img --layer base.tar --layer top.tar --compress gzip --env PATH=/bin
	oci_stack "$PWD/img"
	run --separate-stderr stack run --rm s sh -c 'ls /d; ls /e; test -e /gone && echo gone-is-there; exit 0'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'new\nkept')" ]
}

@test "a changed layout is imported again; an unchanged one is not" {
	bb_layout L --config.cmd echo --config.cmd one
	oci_stack "$PWD/L"
	run --separate-stderr stack run --rm s
	[ "$output" = one ]
	key=$(base_key "$PWD/L")
	run --separate-stderr stack run --rm s
	[ "$output" = one ]
	[ "$(base_key "$PWD/L")" = "$key" ]
	[ "$("$STACK_BIN" images -q | wc -l)" -eq 1 ]
	umoci config --image L:latest --config.cmd echo --config.cmd two
	run --separate-stderr stack run --rm s
	[ "$status" -eq 0 ]
	[ "$output" = two ]
	count() { "$STACK_BIN" images --format json | json_get "len([i for i in j if i['source'] == '$PWD/L'])"; }
	[ "$(count)" -eq 2 ]
	# the entry of the old content can never be asked for again: prune drops it
	run "$STACK_BIN" image prune
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Removed 1 base entries, 0 layers, 1 configs" ]]
	[ "$(count)" -eq 1 ]
	[ "$(base_key "$PWD/L")" != "$key" ]
	run --separate-stderr stack run --rm s
	[ "$output" = two ]
}

@test "an oci: base that is not an image says what it expected" {
	mkdir empty
	oci_stack "$PWD/empty"
	run --separate-stderr stack run --rm s
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"neither an OCI image layout"*"docker save"* ]]
	oci_stack "$PWD/missing"
	run --separate-stderr stack run --rm s
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"missing"* ]]
	[ -z "$(ls -A "$STACK_ROOT/tmp")" ]
}
