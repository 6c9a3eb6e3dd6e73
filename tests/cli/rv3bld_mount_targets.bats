#!/usr/bin/env bats
# A hostile base against the mount points of a RUN step: its own symlinks
# (/run/secrets, /etc/apt, /mnt) name host paths, absolutely or by
# climbing with ../.. .  RUN --mount=type=bind|secret targets and the
# host_apt binds are resolved inside the rootfs through those symlinks
# (as `/` were the rootfs), so the step sees its mounts there and nothing
# is created or mounted on the host; the mount points made for a secret
# and for host_apt are not left in the step's layer either.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$STACK_ROOT"
	# Host paths the base's symlinks name: each must stay empty.
	HS="$BATS_TEST_TMPDIR/host-secrets" HA="$BATS_TEST_TMPDIR/host-apt" HM="$BATS_TEST_TMPDIR/host-mnt"
	mkdir -p "$HS" "$HA" "$HM"
	B="$BATS_TEST_TMPDIR/evilbase"
	cp -a "$ROOTFS" "$B"
	rm -rf "$B/run" "$B/mnt" "$B/etc/apt"
	mkdir -p "$B/run"
	ln -s "../../../../../../../../..$HS" "$B/run/secrets"
	ln -s "$HA" "$B/etc/apt"
	ln -s "$HM" "$B/mnt"
	# The host_apt "host": a root of the test's own.
	export STACK_APT_ROOT="$BATS_TEST_TMPDIR/aptroot"
	mkdir -p "$STACK_APT_ROOT/etc/apt/sources.list.d" "$STACK_APT_ROOT/etc/apt/apt.conf.d"
	echo "deb http://mirror.example.invalid/debian bookworm main" >"$STACK_APT_ROOT/etc/apt/sources.list"
	echo 'Acquire::http::Proxy "http://127.0.0.1:23080/";' >"$STACK_APT_ROOT/etc/apt/apt.conf.d/90proxy"
	mkdir -p app
	echo "SECRET-$$" >"$BATS_TEST_TMPDIR/s.txt"
	echo ctx-file >app/inctx
	df app 'FROM evilbase' \
		'RUN --mount=type=secret,id=tok --mount=type=bind,target=/mnt/ctx cat /run/secrets/tok /mnt/ctx/inctx /etc/apt/sources.list /etc/apt/apt.conf.d/90proxy; echo done >/built'
	{
		printf 'name: t\nbases:\n  evilbase: {rootfs: %s}\n' "$B"
		printf 'images:\n  app: {context: app, host_apt: true}\n'
		printf 'secrets:\n  tok: {file: %s}\n' "$BATS_TEST_TMPDIR/s.txt"
	} >"$BATS_TEST_TMPDIR/stack.yaml"
}
teardown() { run_env_teardown; }

# nothing_on_host: the host paths the base's symlinks name are untouched.
nothing_on_host() {
	local d
	for d in "$HS" "$HA" "$HM"; do
		[ -z "$(ls -A "$d")" ] || { echo "made on the host in $d:" >&2; find "$d" >&2; return 1; }
	done
}

@test "hostile base: secret, bind and host_apt mounts land inside the rootfs through its symlinks, nothing on the host" {
	run stack build --progress=plain app
	echo "$output"
	nothing_on_host
	[ "$status" = 0 ]
	[[ "$output" == *"app | SECRET-$$"* ]]
	[[ "$output" == *"app | ctx-file"* ]]
	[[ "$output" == *"app | deb http://mirror.example.invalid/debian bookworm main"* ]]
	[[ "$output" == *'app | Acquire::http::Proxy'* ]]
	assert_build_clean
}

@test "hostile base: the secret's and host_apt's mount points, made through the base's symlinks, are not left in the layer" {
	run -0 stack build --progress=plain app
	nothing_on_host
	# The step's layer: it holds /built.  Where the symlinks took the
	# mount points inside the rootfs, the secret's empty file and the
	# host_apt files (and the dirs made for them) do not stay; as without
	# symlinks, a secret's parent dir and a bind's target dir do.
	local top layer
	top=$(ls -d "$STACK_ROOT"/layers/*/built | head -1)
	layer=${top%/built}
	[ -n "$layer" ]
	find "$layer" -mindepth 1 | sed "s|^$layer||" | sort >"$BATS_TEST_TMPDIR/files"
	cat "$BATS_TEST_TMPDIR/files"
	grep -qx "$HS" "$BATS_TEST_TMPDIR/files"
	run ! grep -q "^$HS/" "$BATS_TEST_TMPDIR/files"
	run ! grep -q "^$HA" "$BATS_TEST_TMPDIR/files"
	grep -qx "$HM/ctx" "$BATS_TEST_TMPDIR/files"
}
