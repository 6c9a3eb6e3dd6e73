#!/usr/bin/env bats
# A container's /sys/fs/cgroup: its own cgroup, read-only, in a cgroup
# namespace, as Docker mounts it.  From inside, as root and as uid 1000:
# the limits of the stack file are there to read (pids.max, memory), every
# hierarchy of the host has a directory (v1 controllers, named and
# co-mounted ones, the cgroup2 tree on hybrid hosts), /proc/self/cgroup
# says `/`, nothing of the host's other cgroups or processes shows, and no
# write gets through: not as root, not with cap_add SYS_ADMIN, not by
# remounting.  Hostile images whose /sys or /sys/fs/cgroup is a symlink
# change nothing on the host.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() {
	run_env_setup_file
	export HOST="$BATS_FILE_TMPDIR/host"
	IMAGES=0
}
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	rm -rf "$HOST"
	mkdir -p "$HOST/dir"
}
teardown() { run_env_teardown; }

# The host's hierarchies as the container names them: the basename of
# each cgroup mount point (v1 and cgroup2) from our own mount table.
host_hierarchies() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5 }' \
		/proc/self/mountinfo | sed 's#.*/##' | sort -u
}

have_v1() { [ -d /sys/fs/cgroup/pids ] && [ -f /sys/fs/cgroup/pids/tasks ]; }

# in_container ARGS...: `stack run --rm ARGS` must succeed.
in_container() {
	run --separate-stderr stack run --rm "$@"
	if [ "$status" -ne 0 ]; then
		echo "stack run $* exited $status; stdout: $output; stderr: $stderr" >&2
		return 1
	fi
}

@test "pids_limit and mem_limit read from the container's own /sys/fs/cgroup, as root and as uid 1000; /proc/self/cgroup says /" {
	have_v1 || skip "no cgroup v1 pids hierarchy on this host"
	one_service '{image: bb, pids_limit: 77, mem_limit: 64m}'
	for u in root 1000; do
		in_container -u "$u" s sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes
			cut -d: -f3 /proc/self/cgroup | sort -u'
		[ "$output" = $'77\n67108864\n/' ]
	done
	assert_no_leftovers
}

@test "every host hierarchy has its directory (v1 controllers, named ones, the cgroup2 tree), each one its own cgroup's root" {
	one_service '{image: bb}'
	in_container s sh -c 'for d in /sys/fs/cgroup/*; do [ -L "$d" ] || echo "${d##*/}"; done'
	[ "$output" = "$(host_hierarchies)" ]
	# A root that is the container's cgroup: the container's processes,
	# nothing else, and no sub-cgroup (the host's would be below a root).
	# (Shell builtins only while the files are read: no process of ours
	# comes and goes meanwhile.)
	in_container s sh -c 'find /sys/fs/cgroup -mindepth 2 -type d | head -5
		for f in /sys/fs/cgroup/*/cgroup.procs; do
			n=0
			while read -r p; do
				n=$((n + 1))
				[ -d "/proc/$p" ] || echo "$f: pid $p is not in the container"
			done <"$f"
			[ "$n" -ge 2 ] || echo "$f: $n processes, want init and the shell"
		done'
	[ -z "$output" ]
	assert_no_leftovers
}

@test "the host's processes and cgroups are not visible: a host sleeper in the cgroup parent is not listed" {
	have_v1 || skip "no cgroup v1 pids hierarchy on this host"
	one_service '{image: bb}'
	# A host process of ours in a sibling cgroup under the same parent.
	local sib="/sys/fs/cgroup/pids/$STACK_CGROUP_PARENT/host-sibling"
	mkdir -p "$sib"
	sleep 60 &
	local spid=$!
	RUN_BG_PIDS+=("$spid")
	echo "$spid" >"$sib/cgroup.procs"
	in_container s sh -c 'ls /sys/fs/cgroup/pids /sys/fs/cgroup/pids/..
		while read -r p; do [ -d "/proc/$p" ] || echo "pid $p is not in the container"; done \
			</sys/fs/cgroup/pids/cgroup.procs'
	kill "$spid"
	wait "$spid" || true
	rmdir "$sib"
	[[ "$output" == *pids.max* ]]
	[[ "$output" != *host-sibling* ]]
	[[ "$output" != *"not in the container"* ]]
	assert_no_leftovers
}

@test "no write gets through: EROFS as root, as uid 1000, with cap_add SYS_ADMIN; remounting read-write fails in every form" {
	have_v1 || skip "no cgroup v1 pids hierarchy on this host"
	for spec in '{image: bb, pids_limit: 77}' '{image: bb, pids_limit: 77, cap_add: [SYS_ADMIN]}'; do
		one_service "$spec"
		in_container s sh -c '
			(echo 5 >/sys/fs/cgroup/pids/pids.max) 2>&1
			mkdir /sys/fs/cgroup/pids/sub 2>&1
			mkdir /sys/fs/cgroup/x 2>&1
			(echo 1 >/sys/fs/cgroup/unified/cgroup.procs) 2>&1
			for t in /sys/fs/cgroup/pids /sys/fs/cgroup /sys; do
				mount -o remount,rw "$t" 2>/dev/null && echo "remounted $t"
				mount -o remount,bind,rw "$t" 2>/dev/null && echo "bind-remounted $t"
			done
			cat /sys/fs/cgroup/pids/pids.max'
		[ "$(grep -c 'Read-only file system' <<<"$output")" -eq 4 ]
		[[ "$output" != *remounted* ]]
		[ "${lines[-1]}" = 77 ]
	done
	one_service '{image: bb, pids_limit: 77}'
	in_container -u 1000 s sh -c '(echo 5 >/sys/fs/cgroup/pids/pids.max) 2>&1; cat /sys/fs/cgroup/pids/pids.max'
	[[ "$output" == *'Read-only file system'* || "$output" == *'Permission denied'* ]]
	[ "${lines[-1]}" = 77 ]
	# The host's own mounts of the hierarchies are as they were.
	grep -E ' /sys/fs/cgroup/pids rw' /proc/self/mountinfo
	assert_no_leftovers
}

@test "SYS_ADMIN may still mount a tmpfs and remount it read-only (only making a mount writable again is refused)" {
	one_service '{image: bb, cap_add: [SYS_ADMIN]}'
	in_container s sh -c 'mkdir /tmp/m && mount -t tmpfs none /tmp/m && mount -o remount,ro /tmp/m && echo ok
		mount -o remount,rw /tmp/m 2>/dev/null || echo refused'
	[ "$output" = $'ok\nrefused' ]
	assert_no_leftovers
}

@test "an image whose /sys/fs/cgroup is a symlink to a host path (present in the image too): the container's cgroups, the host path untouched" {
	for spec in '{image: evil, pids_limit: 77}' '{image: evil, pids_limit: 77, network_mode: host}'; do
		hostile_image 'mkdir -p sys/fs ".$HOST/dir" && ln -s "$HOST/dir" sys/fs/cgroup' "$spec" </dev/null
		in_container s sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
		[ "$output" = 77 ]
		[ -z "$(ls -A "$HOST/dir")" ]
	done
	assert_no_leftovers
}

@test "an image whose /sys is a symlink (to a host path, to /etc): refused with what to change, nothing mounted on the host" {
	hostile_image 'mkdir -p ".$HOST/dir" && rmdir sys && ln -s "$HOST/dir" sys' </dev/null
	RUN_TIMEOUT=30 run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'`/sys` in the image is a symlink'* ]]
	hostile_image 'rmdir sys && ln -s /etc sys' </dev/null
	RUN_TIMEOUT=30 run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$HOST/dir")" ]
	! grep -q "$HOST" /proc/self/mountinfo || false
	assert_no_leftovers
}
