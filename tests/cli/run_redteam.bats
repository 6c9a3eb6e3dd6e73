#!/usr/bin/env bats
# Attacks on `stack run` that got through after the fixes of issue 6 (red
# team, second round): a host directory handed to the container as stdio
# (the CVE-2024-21626 class: an fd that leads to the host's file tree),
# signals whose default action ends `stack run` without its cleanup, inode
# flags a rootfs tarball sets on the host's store, and an env_file that
# hangs the loader.  Each test is the attack; it passes once the hole is
# closed.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
# The tarball test makes immutable files in the store when the hole is
# open: clear the flags, or the teardown's rm -rf could not remove them.
teardown_file() {
	if [ -n "${STACK_ROOT:-}" ] && [ -d "$STACK_ROOT" ]; then
		chattr -R -i -a "$STACK_ROOT" >/dev/null 2>&1 || true
	fi
	run_env_teardown_file
}
setup() { run_env_setup; }
teardown() { run_env_teardown; }

# host_dir: a host directory with a file in it, in $HOSTDIR.
host_dir() {
	HOSTDIR="$BATS_TEST_TMPDIR/hostdir"
	mkdir -p "$HOSTDIR"
	echo host-secret >"$HOSTDIR/inside"
}

@test "a host directory on stdin never reaches the container: root cannot write or read the host through /proc/self/fd/0 (with and without -T)" {
	host_dir
	one_service
	local t
	for t in "" -T; do
		run --separate-stderr stack run --rm $t s sh -c \
			'echo pwned >/proc/self/fd/0/planted; cat /proc/self/fd/0/inside; ls /proc/self/fd/0/' <"$HOSTDIR"
		[ ! -e "$HOSTDIR/planted" ] || { echo "container root wrote $HOSTDIR/planted on the host (${t:-no -T})" >&2; return 1; }
		[[ "$output" != *host-secret* ]] || { echo "container read the host file (${t:-no -T}): $output" >&2; return 1; }
		[[ "$output" != *inside* ]]
	done
	assert_no_leftovers
}

@test "a host directory on stdin never reaches the container: uid 1000 with cap_drop ALL cannot list or read it" {
	host_dir
	one_service '{image: bb, user: "1000", cap_drop: [ALL]}'
	run --separate-stderr stack run --rm -T s sh -c 'ls /proc/self/fd/0/; cat /proc/self/fd/0/inside' <"$HOSTDIR"
	[[ "$output" != *inside* ]] || { echo "uid 1000 listed the host directory: $output" >&2; return 1; }
	[[ "$output" != *host-secret* ]]
	assert_no_leftovers
}

@test "signals whose default action kills (ALRM, XFSZ, XCPU, PWR, IO, RT...) end stack run through its cleanup: nothing left" {
	one_service
	local sig
	for sig in ALRM VTALRM PROF XCPU XFSZ STKFLT PWR IO SYS TRAP RTMIN RTMAX; do
		: >out
		stack_bg out err run --rm -T s sh -c 'echo ready; exec sleep 60'
		wait_for 30 grep -q ready out
		kill -"$sig" "$BG_PID"
		wait_exit "$BG_PID" 30
		[ "$BG_STATUS" -ne 124 ] || { echo "SIG$sig: stack run did not exit" >&2; return 1; }
		assert_no_leftovers || { echo "after SIG$sig (stack run exit $BG_STATUS)" >&2; return 1; }
	done
}

# flag_tarballs: ./good.tar (the busybox rootfs plus an immutable and an
# append-only file, set with libarchive's pax fflags) and ./bad.tar (an
# immutable file, then an entry the import refuses).
flag_tarballs() {
	tar -C "$ROOTFS" -cf "$BATS_TEST_TMPDIR/good.tar" .
	python3 - "$BATS_TEST_TMPDIR" <<-'PY'
	import io, sys, tarfile
	out = sys.argv[1]
	def reg(t, name, flags):
	    data = b"from the image\n"
	    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644
	    ti.pax_headers = {"SCHILY.fflags": flags}
	    t.addfile(ti, io.BytesIO(data))
	with tarfile.open(out + "/good.tar", "a", format=tarfile.PAX_FORMAT) as t:
	    reg(t, "etc/immutable", "schg")
	    reg(t, "etc/appendonly", "sappnd")
	with tarfile.open(out + "/bad.tar", "w", format=tarfile.PAX_FORMAT) as t:
	    ti = tarfile.TarInfo("etc"); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
	    reg(t, "etc/immutable", "schg")
	    ti = tarfile.TarInfo("../../escape"); ti.size = 0; t.addfile(ti, io.BytesIO(b""))
	PY
}

# flagged_in_store: files under STACK_ROOT with the immutable or
# append-only flag (lsattr's first column).
flagged_in_store() {
	lsattr -R "$STACK_ROOT" 2>/dev/null | awk '$1 ~ /^[-a-zA-Z]+$/ && $1 ~ /[ia]/ { print }'
}

@test "import: a rootfs tarball cannot make the host's store immutable or append-only; a failed import leaves nothing in tmp/" {
	flag_tarballs
	printf 'name: t\nbases:\n  bad: {rootfs: ./bad.tar}\nservices:\n  s: {image: bad}\n' >"$BATS_TEST_TMPDIR/stack.yaml"
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$STACK_ROOT/tmp" 2>/dev/null)" ] ||
		{ echo "a failed import left: $(find "$STACK_ROOT/tmp" -mindepth 1)" >&2; return 1; }

	printf 'name: t\nbases:\n  good: {rootfs: ./good.tar}\nservices:\n  s: {image: good}\n' >"$BATS_TEST_TMPDIR/stack.yaml"
	run --separate-stderr stack run --rm s sh -c 'echo changed >/etc/immutable && echo changed >/etc/appendonly && cat /etc/immutable /etc/appendonly'
	[ "$status" -eq 0 ] || { echo "root in the container could not change the image's files: $stderr" >&2; return 1; }
	[ "$output" = $'changed\nchanged' ]
	local f
	f=$(flagged_in_store)
	[ -z "$f" ] || { echo "the store holds flagged files:"$'\n'"$f" >&2; return 1; }
	assert_no_leftovers
}

@test "env_file a FIFO nobody writes: config and run fail at once naming the file, no hang" {
	mkfifo "$BATS_TEST_TMPDIR/env.fifo"
	one_service '{image: bb, env_file: ./env.fifo}'
	local cmd
	for cmd in config "run --rm s true"; do
		RUN_TIMEOUT=20 run --separate-stderr stack $cmd
		[ "$status" -ne 124 ] || { echo "stack $cmd hung on the FIFO" >&2; return 1; }
		[ "$status" -ne 0 ]
		[[ "$stderr" == *env.fifo* ]]
	done
	assert_no_leftovers
}
