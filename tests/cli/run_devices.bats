#!/usr/bin/env bats
# Host devices, attacked from inside a container: root with Docker's
# default capabilities (CAP_MKNOD among them) makes nodes for host devices
# and tries to open them; an image ships 0666 device nodes; an image's /dev
# is a symlink to a host path.  What must hold: only Docker's default
# devices (null, zero, full, random, urandom, tty, console, ptmx, pts, tun)
# open, nothing shipped in an image opens (nodev), `devices:` passes
# exactly the host device and the permissions asked for, and nothing is
# made on the host.  dev-probe (tests/fixtures/run/dev-probe.c) prints the
# errno of each open/mknod.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() {
	run_env_setup_file
	cc -static -O2 -o "$ROOTFS/bin/dev-probe" "$RUN_FIX/dev-probe.c"
	# An image with device nodes of its own, readable and writable by all.
	export NODES_ROOTFS="$BATS_FILE_TMPDIR/rootfs-nodes"
	cp -a "$ROOTFS" "$NODES_ROOTFS"
	mknod -m 0666 "$NODES_ROOTFS/data/loop0" b 7 0
	mknod -m 0666 "$NODES_ROOTFS/data/kvm" c 10 232
	mknod -m 0666 "$NODES_ROOTFS/data/null0" c 1 3
	# An image whose /dev is a symlink to an absolute path that exists in
	# the image and on the host.
	export HOSTDEV="$BATS_FILE_TMPDIR/hostdev"
	export LINK_ROOTFS="$BATS_FILE_TMPDIR/rootfs-link"
	cp -a "$ROOTFS" "$LINK_ROOTFS"
	mkdir -p "$HOSTDEV" "$LINK_ROOTFS$HOSTDEV"
	rm -rf "$LINK_ROOTFS/dev"
	ln -s "$HOSTDEV" "$LINK_ROOTFS/dev"
}
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

# dev_service MAPPING: ./stack.yaml with the service `s` (MAPPING in flow
# style) and the bases bb (busybox + probes), nodes and link (above).
dev_service() {
	printf 'name: t\nbases:\n  bb: {rootfs: %s}\n  nodes: {rootfs: %s}\n  link: {rootfs: %s}\nservices:\n  s: %s\n' \
		"$ROOTFS" "$NODES_ROOTFS" "$LINK_ROOTFS" "$1" >"$BATS_TEST_TMPDIR/stack.yaml"
}

# probe [stack run args...] -- SCRIPT: run SCRIPT with sh in the service,
# its output (one line per probe) in $output; fails when stack run does
# (the script's own status, that of its last probe, is dropped).
probe() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	run --separate-stderr stack run --rm "${args[@]}" s sh -c "$1"$'\n'true
	if [ "$status" -ne 0 ]; then
		echo "stack run failed ($status): $stderr" >&2
		return 1
	fi
}

# expect LINE...: $output is exactly these lines.
expect() {
	local want
	want=$(printf '%s\n' "$@")
	if [ "$output" != "$want" ]; then
		printf 'got:\n%s\nwant:\n%s\n' "$output" "$want" >&2
		return 1
	fi
}

@test "root with default capabilities: a loop device it mknods (b 7 0) does not open, in /dev or elsewhere" {
	dev_service '{image: bb}'
	# mknod itself is allowed (as Docker does), opening is not: the device
	# allow-list in /dev (EPERM), nodev on the root everywhere else (EACCES).
	probe -- 'dev-probe mknod /dev/l0 b 7 0; dev-probe open /dev/l0 r; dev-probe open /dev/l0 w
		dev-probe mknod /tmp/l0 b 7 0; dev-probe open /tmp/l0 r; dev-probe open /tmp/l0 rw'
	expect OK EPERM EPERM OK EACCES EACCES
	assert_no_leftovers
}

@test "root with default capabilities: /dev/kvm and other host char devices it mknods do not open" {
	dev_service '{image: bb}'
	# kvm is absent here (ENODEV without the list): EPERM means the list
	# refused it.  tty1 (c 4 1), vcs (c 7 0) and the fuse (c 10 229) and
	# loop-control (c 10 237) nodes all open for root without it.
	probe -- 'for n in "kvm c 10 232" "tty1 c 4 1" "vcs c 7 0" "fuse c 10 229" "loopctl c 10 237"; do
			set -- $n; dev-probe mknod /dev/$1 $2 $3 $4 >/dev/null; dev-probe open /dev/$1 rw
		done'
	expect EPERM EPERM EPERM EPERM EPERM
}

@test "uid 1000 with cap_drop ALL: an image's 0666 block and char nodes do not open" {
	dev_service '{image: nodes, user: earl, cap_drop: [ALL]}'
	probe -- 'for n in loop0 kvm null0; do dev-probe open /data/$n r; dev-probe open /data/$n w; done'
	# null0 is c 1 3, which the allow-list admits: only nodev stops it.
	expect EACCES EACCES EACCES EACCES EACCES EACCES
}

@test "root with default capabilities: an image's device nodes do not open, also with a read-only root" {
	dev_service '{image: nodes}'
	probe -- 'for n in loop0 kvm null0; do dev-probe open /data/$n rw; done'
	expect EACCES EACCES EACCES
	# A read-only root is remounted: nodev must survive that.
	dev_service '{image: nodes, read_only: true}'
	probe -- 'for n in loop0 kvm null0; do dev-probe open /data/$n rw; done'
	expect EACCES EACCES EACCES
}

@test "a bind-mounted host directory's device nodes do not open (volumes are nodev)" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	mknod -m 0666 "$BATS_TEST_TMPDIR/vol/null0" c 1 3
	dev_service "{image: bb, volumes: [\"$BATS_TEST_TMPDIR/vol:/vol\"]}"
	probe -- 'dev-probe open /vol/null0 w; dev-probe mknod /vol/zero0 c 1 5; dev-probe open /vol/zero0 r'
	expect EACCES OK EACCES
}

@test "Docker's default devices still work, as root and as uid 1000 with cap_drop ALL" {
	local script='for n in null zero full random urandom; do dev-probe open /dev/$n rw; done
		dev-probe open /dev/ptmx rw
		echo x >/dev/null && echo null-ok
		[ "$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")" = 00000000 ] && echo zero-ok
		echo x 2>/dev/null >/dev/full || echo full-enospc
		[ "$(head -c 16 /dev/urandom | wc -c)" = 16 ] && echo urandom-ok
		echo x >/dev/shm/f && echo shm-ok'
	dev_service '{image: bb}'
	probe -- "$script"
	expect OK OK OK OK OK OK null-ok zero-ok full-enospc urandom-ok shm-ok
	dev_service '{image: bb, user: earl, cap_drop: [ALL]}'
	probe -- "$script"
	expect OK OK OK OK OK OK null-ok zero-ok full-enospc urandom-ok shm-ok
}

@test "the container's /dev/tty and pts work with a terminal (-t)" {
	command -v script >/dev/null || skip "script(1) is needed for a terminal"
	dev_service '{image: bb}'
	run script -qec "$STACK_BIN -f $BATS_TEST_TMPDIR/stack.yaml run --rm -t s sh -c 'tty; dev-probe open /dev/tty rw; dev-probe open \$(tty) rw'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[ "$(grep -c OK <<<"$output")" -eq 2 ]
}

@test "devices: a host char device is passed through with its numbers and mode, and works" {
	dev_service '{image: bb, devices: ["/dev/full:/dev/myfull", "/dev/zero:/dev/sub/dir/z"]}'
	probe -- 'dev-probe node /dev/myfull; dev-probe node /dev/sub/dir/z; echo x 2>/dev/null >/dev/myfull || echo enospc
		head -c 3 /dev/sub/dir/z | od -An -tx1'
	expect "c 1:7 $(stat -c %a /dev/full | sed 's/^/0/')" "c 1:5 $(stat -c %a /dev/zero | sed 's/^/0/')" enospc " 00 00 00"
	# As uid 1000 too: the node keeps the host's 0666.
	dev_service '{image: bb, user: earl, cap_drop: [ALL], devices: ["/dev/full:/dev/myfull:rw"]}'
	probe -- 'dev-probe open /dev/myfull rw'
	expect OK
}

@test "devices: the permissions are the rule: a char device passed read-only opens for reading only" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	dev_service '{image: bb, devices: ["/dev/fuse:/dev/fuse:r"]}'
	# A second node for the same device gets no more than the rule says.
	probe -- 'dev-probe open /dev/fuse r; dev-probe open /dev/fuse w; dev-probe open /dev/fuse rw
		dev-probe mknod /dev/fuse2 c 10 229; dev-probe open /dev/fuse2 w'
	expect OK EPERM EPERM OK EPERM
	# Without `devices:` it does not open at all.
	dev_service '{image: bb}'
	probe -- 'dev-probe mknod /dev/fuse c 10 229 >/dev/null; dev-probe open /dev/fuse r'
	expect EPERM
}

@test "devices: a block device passed with r (long form) opens for reading, not for writing" {
	[ -b /dev/loop7 ] || skip "no /dev/loop7 on this host"
	dev_service '{image: bb, devices: [{source: /dev/loop7, target: /dev/disk0, permissions: r}]}'
	probe -- 'dev-probe node /dev/disk0; dev-probe open /dev/disk0 r; dev-probe open /dev/disk0 w
		dev-probe open /dev/loop0 r'
	expect "b 7:7 $(stat -c %a /dev/loop7 | sed 's/^/0/')" OK EPERM ENOENT
}

@test "devices: a host path that is not a device node fails the start with a clear error, after config accepts it" {
	echo data >"$BATS_TEST_TMPDIR/plain"
	dev_service "{image: bb, devices: [\"$BATS_TEST_TMPDIR/plain:/dev/x\"]}"
	run --separate-stderr stack config -q
	[ "$status" -eq 0 ]
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"device \`$BATS_TEST_TMPDIR/plain\` is not a character or block device"* ]]
	dev_service '{image: bb, devices: ["/dev/no-such-device:/dev/x"]}'
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/dev/no-such-device"*"No such file or directory"* ]]
	assert_no_leftovers
}

@test "devices: a container path outside /dev and bad permissions are refused at load time, at FILE:LINE:COL" {
	printf 'name: t\nbases:\n  bb: {rootfs: %s}\nservices:\n  s:\n    image: bb\n    devices:\n      - /dev/full:/data/full\n      - /dev/full:/dev/f:rwx\n      - /dev/zero:/dev/shm/z\n' \
		"$ROOTFS" >"$BATS_TEST_TMPDIR/stack.yaml"
	run --separate-stderr stack config
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"stack.yaml:8:9: error: \`devices\`: container path \`/data/full\` is not below /dev"* ]]
	[[ "$stderr" == *"stack.yaml:9:9: error: \`devices\`: invalid permissions \`rwx\`"* ]]
	[[ "$stderr" == *"stack.yaml:10:9: error: \`devices\`: container path \`/dev/shm/z\` is in /dev/shm"* ]]
}

@test "an image whose /dev is a symlink to a host path: nothing is made on the host, and its /dev works" {
	dev_service '{image: link}'
	probe -- 'echo x >/dev/null && echo null-ok; [ -c /dev/zero ] && echo zero-ok; ls /dev/pts/ptmx'
	expect null-ok zero-ok /dev/pts/ptmx
	run ls -A "$HOSTDEV"
	[ "$status" -eq 0 ]
	if [ -n "$output" ]; then
		echo "made on the host in $HOSTDEV: $output" >&2
		return 1
	fi
	assert_no_leftovers
}

@test "devices: a second -f file merges them by container path, HOST:PERMS included" {
	printf 'name: t\nbases:\n  bb: {rootfs: %s}\nservices:\n  s:\n    image: bb\n    devices: ["/dev/full:rw", "/dev/zero:/dev/z", {source: /dev/random}]\n' \
		"$ROOTFS" >"$BATS_TEST_TMPDIR/stack.yaml"
	printf 'services:\n  s:\n    devices: ["/dev/null:rw", "/dev/urandom:/dev/z:r", "/dev/random:r"]\n' \
		>"$BATS_TEST_TMPDIR/over.yaml"
	run --separate-stderr "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" -f "$BATS_TEST_TMPDIR/over.yaml" config --format json
	[ "$status" -eq 0 ]
	run jq -c '.services.s.devices' <<<"$output"
	[ "$output" = '["/dev/full:/dev/full:rw","/dev/urandom:/dev/z:r","/dev/random:/dev/random:r","/dev/null:/dev/null:rw"]' ]
}
