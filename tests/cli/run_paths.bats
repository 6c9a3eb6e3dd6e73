#!/usr/bin/env bats
# Hostile images against `stack run`: symlinks, FIFOs and huge files where
# the runtime reads or writes inside the new root (/etc and the files
# generated in it, /proc, /sys, volume, secret and tmpfs targets, the
# working dir, /etc/passwd and /etc/group).  Each one must leave the host
# as it was, and the container either runs as it should or fails with an
# error saying what in the image to change.  Also: socket families the
# default seccomp profile refuses, and a container's tree deeper than
# PATH_MAX removed with its state.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() {
	run_env_setup_file
	cc -static -O2 -o "$ROOTFS/bin/paths-probe" "$RUN_FIX/paths-probe.c"
	# The host directory the hostile images point at (and, where a test
	# says so, also carry at the same path inside the image).
	export HOST="$BATS_FILE_TMPDIR/host"
	IMAGES=0
}
teardown_file() { run_env_teardown_file; }

setup() {
	run_env_setup
	rm -rf "$HOST"
	mkdir -p "$HOST/etc" "$HOST/dir" "$HOST/secrets"
	echo 'hostonly:x:4242:4242:host only:/:/bin/sh' >"$HOST/etc/passwd"
	echo host-file >"$HOST/file"
	HOST_BEFORE=$(host_snapshot)
}
teardown() {
	run_env_teardown
	# The cleanup-failure test's immutable file, if it stopped halfway.
	if [ -n "${STUCK:-}" ]; then chattr -i "$STUCK" 2>/dev/null || true; fi
}

# What is under $HOST: names, types, sizes, modes, contents.
host_snapshot() {
	(cd "$HOST" && find . -printf '%p %y %s %m\n' | sort && find . -type f -exec md5sum {} + | sort)
}

assert_host_untouched() {
	local now
	now=$(host_snapshot)
	if [ "$now" != "$HOST_BEFORE" ]; then
		echo "the host directory changed:"$'\n'"before:"$'\n'"$HOST_BEFORE"$'\n'"after:"$'\n'"$now" >&2
		return 1
	fi
}

# ok_in_container ARGS...: `stack run --rm ARGS` must succeed.
ok_in_container() {
	run --separate-stderr stack run --rm "$@"
	if [ "$status" -ne 0 ]; then
		echo "stack run $* exited $status; stdout: $output; stderr: $stderr" >&2
		return 1
	fi
}

# fails_in_container WANT ARGS...: `stack run --rm ARGS` exits 1 (not a
# hang: 124) with WANT in its error.
fails_in_container() {
	local want=$1
	shift
	RUN_TIMEOUT=30 run --separate-stderr stack run --rm "$@"
	if [ "$status" -ne 1 ] || [[ "$stderr" != *"$want"* ]]; then
		echo "stack run $* exited $status (want 1); stderr: $stderr; want: $want" >&2
		return 1
	fi
}

@test "/etc a symlink to a host directory the image also has: the image's files are used, the host's untouched" {
	hostile_image 'mkdir -p ".$HOST/etc" && mv etc/* ".$HOST/etc/" && rmdir etc && ln -s "$HOST/etc" etc' </dev/null
	ok_in_container s sh -c 'grep -c "^127.0.0.1" /etc/hosts; cat /etc/hostname; grep -q hostonly /etc/passwd || echo image'
	[ "$output" = $'1\ns\nimage' ]
	ok_in_container -u earl s sh -c 'id -u; ls /etc'
	[ "${lines[0]}" = 1000 ]
	[[ "$output" == *resolv.conf* ]]
	assert_host_untouched
	assert_no_leftovers
}

@test "/etc/hosts a symlink to /etc/shadow: the container reads its generated hosts, the host's shadow is untouched" {
	local before
	before=$(md5sum /etc/shadow)
	hostile_image 'echo "root:IMAGE:1::::::" >etc/shadow && ln -s /etc/shadow etc/hosts' </dev/null
	ok_in_container s sh -c 'grep -c "^127.0.0.1" /etc/hosts'
	[ "$output" = 1 ]
	[ "$(md5sum /etc/shadow)" = "$before" ]
	assert_no_leftovers
}

@test "dangling /etc/hosts, /etc/hostname, /etc/resolv.conf symlinks (host paths, relative, systemd's): made inside the root, as Docker" {
	[ ! -e /run/stack-bats-hostname ]
	hostile_image 'ln -s "$HOST/file" etc/hosts && ln -s ../run/stack-bats-hostname etc/hostname &&
		ln -s /run/systemd/resolve/stub-resolv.conf etc/resolv.conf' </dev/null
	ok_in_container s sh -c 'grep -c "^127.0.0.1" /etc/hosts; cat /etc/hostname; grep -q nameserver /etc/resolv.conf && echo ns'
	[ "$output" = $'1\ns\nns' ]
	ok_in_container -u earl s cat /etc/hostname
	[ "$output" = s ]
	[ ! -e /run/stack-bats-hostname ]
	assert_host_untouched
	assert_no_leftovers
}

@test "/etc/hosts a symlink loop: exit 1 naming the file and what to fix in the image" {
	hostile_image 'ln -s hosts etc/hosts' </dev/null
	fails_in_container 'fix or remove it in the image' s true
	[[ "$stderr" == *'`/etc/hosts`'* ]]
	assert_no_leftovers
}

@test "/proc or /sys a symlink (to a host directory the image has, to /etc): refused with what to change, host untouched" {
	hostile_image 'mkdir -p ".$HOST/dir" && rmdir proc && ln -s "$HOST/dir" proc' </dev/null
	fails_in_container '`/proc` in the image is a symlink' s true
	[[ "$stderr" == *"make it an empty directory in the image"* ]]
	hostile_image 'rmdir proc && ln -s /etc proc' </dev/null
	fails_in_container '`/proc` in the image is a symlink' s true
	hostile_image 'mkdir -p ".$HOST/dir" && rmdir sys && ln -s "$HOST/dir" sys' </dev/null
	fails_in_container '`/sys` in the image is a symlink' s true
	assert_host_untouched
	assert_no_leftovers
}

@test "volume, secret and tmpfs targets through symlinks that escape the root: mounted inside it, nothing on the host" {
	mkdir "$BATS_TEST_TMPDIR/vol"
	echo s3cr3t >"$BATS_TEST_TMPDIR/api_key.txt"
	hostile_image 'ln -s "../../../../../../../../..$HOST/dir" data && mkdir -p run && ln -s "$HOST/secrets" run/secrets &&
		ln -s "$HOST/scratch" scratch' '{image: evil, volumes: [./vol:/data, {type: tmpfs, target: /scratch}], secrets: [api_key]}' <<-'EOF'
	secrets:
	  api_key: {file: ./api_key.txt}
	EOF
	ok_in_container s sh -c 'echo from-container >/data/out && cat /run/secrets/api_key && touch /scratch/t && echo ok'
	[ "$output" = $'s3cr3t\nok' ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/out")" = from-container ]
	ok_in_container -u earl s sh -c 'cat /run/secrets/api_key; touch /scratch/u && echo ok'
	[ "$output" = $'s3cr3t\nok' ]
	assert_host_untouched
	[ ! -e "$HOST/scratch" ]
	assert_no_leftovers
}

@test "working dir through a dangling symlink to a host path: made inside the root (root and uid 1000)" {
	hostile_image 'ln -s "$HOST/wd" w' '{image: evil, working_dir: /w/app}' </dev/null
	# pwd prints the physical path: where the link leads, in the root.
	ok_in_container s sh -c 'pwd; touch f && echo wrote; ls /w/app'
	[ "$output" = "$HOST/wd/app"$'\nwrote\nf' ]
	ok_in_container -u earl s pwd
	[ "$output" = "$HOST/wd/app" ]
	[ ! -e "$HOST/wd" ]
	assert_host_untouched
	assert_no_leftovers
}

@test "/etc/passwd a FIFO, a device, a symlink loop, larger than 64 MiB: a clear error at once, no hang" {
	hostile_image 'rm etc/passwd && mkfifo etc/passwd' </dev/null
	fails_in_container 'the container'"'"'s `/etc/passwd` is not a regular file (a FIFO)' s true
	fails_in_container 'not a regular file (a FIFO)' -u earl s true
	hostile_image 'rm etc/group && mkfifo etc/group' </dev/null
	fails_in_container '`/etc/group` is not a regular file (a FIFO)' -u earl s true
	hostile_image 'ln -sf /dev/zero etc/passwd' </dev/null
	fails_in_container 'not a regular file (a device or socket)' s true
	hostile_image 'rm etc/passwd && ln -s passwd etc/passwd' </dev/null
	fails_in_container "in the image: fix or remove it" s true
	hostile_image 'truncate -s 65M etc/passwd' </dev/null
	fails_in_container 'more than 64 MiB' s true
	assert_no_leftovers
}

@test "/etc/passwd a symlink to a host path: the host's file is never read" {
	hostile_image 'ln -sf "$HOST/etc/passwd" etc/passwd' </dev/null
	fails_in_container 'user `hostonly` not found' -u hostonly s true
	ok_in_container s id -u
	[ "$output" = 0 ]
	# A magic link to what `stack` got as stdin on the host.
	echo 'root:x:0:0:root:/host-leak:/bin/sh' >"$BATS_TEST_TMPDIR/stdin-passwd"
	hostile_image 'ln -sf /proc/self/fd/0 etc/passwd' </dev/null
	RUN_TIMEOUT=30 run --separate-stderr stack run --rm -T s sh -c 'echo $HOME' <"$BATS_TEST_TMPDIR/stdin-passwd"
	[ "$status" -eq 1 ]
	[[ "$output" != *host-leak* ]]
	[[ "$stderr" == *"a link into /proc/*/fd"* ]]
	assert_host_untouched
	assert_no_leftovers
}

@test "/etc/passwd and /etc/group lines longer than the lookup buffer: the user and its groups are still found" {
	hostile_image '
		gecos=$(printf "%06000d" 0)
		{ echo "long:x:2000:2000:$gecos:/home/long:/bin/sh"; cat etc/passwd; } >etc/passwd.new && mv etc/passwd.new etc/passwd
		members=$(seq -f "member%g" 1 2000 | paste -sd,)
		echo "big:x:3000:$members,earl" >>etc/group' </dev/null
	[ "$(wc -c <"$BATS_TEST_TMPDIR/img$IMAGES/etc/group")" -gt 16384 ]
	ok_in_container -u earl s sh -c 'id -u; id -G'
	[ "${lines[0]}" = 1000 ]
	[[ " ${lines[1]} " == *" 3000 "* ]]
	[[ " ${lines[1]} " == *" 50 "* ]]
	ok_in_container -u long s sh -c 'id -u; echo $HOME'
	[ "$output" = $'2000\n/home/long' ]
}

@test "seccomp default: socket(AF_ALG) and socket(AF_VSOCK) fail with EPERM, AF_INET/AF_UNIX/AF_NETLINK work (root, uid 1000, cold and warm cache)" {
	one_service
	local u round
	for u in root earl; do
		for round in cold warm; do
			ok_in_container -u "$u" s sh -c 'for a in "38 5" "40 1" "2 2" "1 1" "16 3"; do paths-probe socket $a; done'
			[ "$output" = $'EPERM\nEPERM\nOK\nOK\nOK' ] || { echo "$u, $round cache: $output" >&2; return 1; }
		done
	done
	assert_no_leftovers
}

@test "a container's directory tree deeper than PATH_MAX is removed with its state, exit 0" {
	one_service
	# 2211 levels of "dd/" (6.6 KB of path) in 200-level steps: no path
	# the container uses is longer than PATH_MAX, the tree is.
	ok_in_container s sh -c 'cd /tmp && p=$(printf "dd/%.0s" $(seq 200)) && mkdir -p top/$p &&
		for i in 1 2 3 4 5 6 7 8 9 10; do mkdir -p n/$p && mv top n/$p && mv n top || exit 9; done; echo made'
	[ "$output" = made ]
	assert_no_leftovers
}

@test "an env_file over the size limit: the error says the limit, not only strerror" {
	truncate -s 65M "$BATS_TEST_TMPDIR/big.env"
	one_service '{image: bb, env_file: ./big.env}'
	run --separate-stderr stack config -q
	[ "$status" -eq 2 ]
	[[ "$stderr" == *'env_file `./big.env`'*"larger than 67108864 bytes"* ]]
}

@test "import: a rootfs tarball writing through its own symlinks (file, hard link, directory) is refused, host untouched" {
	python3 - "$BATS_TEST_TMPDIR" "$HOST" <<-'PY'
	import io, sys, tarfile
	out, host = sys.argv[1], sys.argv[2]
	def link(t, name, target, kind=tarfile.SYMTYPE):
	    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target; t.addfile(ti)
	with tarfile.open(out + "/evil1.tar", "w") as t:   # etc -> host, then etc/evil
	    link(t, "etc", host + "/dir")
	    data = b"written through\n"
	    ti = tarfile.TarInfo("etc/evil"); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
	with tarfile.open(out + "/evil2.tar", "w") as t:   # a hard link through a symlink
	    link(t, "lnk", host)
	    link(t, "hard", "lnk/file", tarfile.LNKTYPE)
	with tarfile.open(out + "/evil3.tar", "w") as t:   # relative climb, then a directory below
	    link(t, "d", "../../../../../../../.." + host + "/dir")
	    ti = tarfile.TarInfo("d/sub"); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
	PY
	local n
	for n in 1 2 3; do
		printf 'name: t\nbases:\n  tar%s: {rootfs: ./evil%s.tar}\nservices:\n  s: {image: tar%s}\n' $n $n $n \
			>"$BATS_TEST_TMPDIR/stack.yaml"
		run --separate-stderr stack run --rm s true
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"import rootfs"*"evil$n.tar"*"through symlink"* ]]
	done
	assert_host_untouched
	[ -z "$(ls -A "$STACK_ROOT/tmp" 2>/dev/null)" ]
	assert_no_leftovers
}

@test "a container whose state cannot be removed: stack run exits 1 naming the path, not 0" {
	mkdir "$BATS_TEST_TMPDIR/sync"
	one_service '{image: bb, volumes: [./sync:/sync]}'
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" run --rm -T s \
		sh -c 'touch /tmp/stuck; while [ ! -e /sync/go ]; do sleep 0.05; done'
	wait_for 30 eval '[ -n "$(find "$STACK_RUN" -path "*/upper/tmp/stuck" 2>/dev/null)" ]'
	local f
	f=$(find "$STACK_RUN" -path '*/upper/tmp/stuck')
	# Immutable on the host: the container's upper layer cannot be emptied.
	STUCK=$f
	chattr +i "$f"
	touch "$BATS_TEST_TMPDIR/sync/go"
	wait_exit "$BG_PID" 30
	chattr -i "$f"
	local state=${f%/upper/tmp/stuck}
	rm -rf "$state"
	[ "$BG_STATUS" -eq 1 ]
	grep -q "remove \`$state/upper/tmp/stuck\`: unlink: Operation not permitted" "$BATS_TEST_TMPDIR/err"
	assert_no_leftovers
}
