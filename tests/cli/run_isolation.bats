#!/usr/bin/env bats
# What a process in a `stack run` container can see and touch: secrets
# (read-only), its user, the host's files, processes and network (not
# visible), hostname, masked and read-only kernel paths, a read-only root,
# volumes, environment, working directory, exit status, signals and init.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	HOST_MARKER=
	HOST_PROC=
}
teardown() {
	[ -z "$HOST_MARKER" ] || rm -f "$HOST_MARKER"
	if [ -n "$HOST_PROC" ]; then
		kill "$HOST_PROC" 2>/dev/null || true
		wait "$HOST_PROC" 2>/dev/null || true
	fi
	run_env_teardown
}

# in_container [STACK-RUN-ARGS...] SERVICE CMD...: run and require exit 0.
in_container() {
	run --separate-stderr stack run --rm "$@"
	if [ "$status" -ne 0 ]; then
		echo "stack run $* exited $status; stdout: $output; stderr: $stderr" >&2
		return 1
	fi
}

secret_stack() {
	printf 's3cr3t-value\n' >"$BATS_TEST_TMPDIR/api_key.txt"
	stack_file <<-'EOF'
	secrets:
	  api_key: {file: ./api_key.txt}
	services:
	  s:
	    image: bb
	    secrets:
	      - api_key
	      - {source: api_key, target: /etc/app/key}
	EOF
}

@test "secret: readable at /run/secrets/NAME and at a long-form target" {
	secret_stack
	in_container s sh -c 'cat /run/secrets/api_key /etc/app/key'
	[ "$output" = "s3cr3t-value
s3cr3t-value" ]
}

@test "secret: not writable by root in the container (EROFS), host file unchanged" {
	secret_stack
	in_container s sh -c '
		echo tampered >>/run/secrets/api_key; echo "append=$?"
		echo tampered >/etc/app/key; echo "truncate=$?"
		rm /run/secrets/api_key; echo "rm=$?"
		cat /run/secrets/api_key'
	[[ "$output" == *"append=1"* ]]
	[[ "$output" == *"truncate=1"* ]]
	[[ "$output" == *"rm=1"* ]]
	[[ "$output" == *s3cr3t-value ]]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/api_key.txt")" = s3cr3t-value ]
}

@test "secret from an environment variable: readable, read-only, and gone from the host afterwards" {
	stack_file <<-'EOF'
	secrets:
	  token: {environment: STACK_BATS_TOKEN}
	services:
	  s: {image: bb, secrets: [token]}
	EOF
	export STACK_BATS_TOKEN=env-s3cr3t
	in_container s sh -c 'cat /run/secrets/token; echo; echo x >>/run/secrets/token; echo "append=$?"'
	[[ "$output" == *"env-s3cr3t"* ]]
	[[ "$output" == *"append=1"* ]]
	# the value was written to a file only for the container's lifetime
	# (`run !`: a bare `! grep` cannot fail a bats test)
	run ! grep -rls env-s3cr3t "$STACK_RUN"
	assert_no_leftovers
	# unset: a clear error naming the variable, nothing started
	unset STACK_BATS_TOKEN
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"STACK_BATS_TOKEN is not set"* ]]
	assert_no_leftovers
}

@test "secret: mount -o remount,rw of the secret fails and it stays read-only" {
	secret_stack
	in_container s sh -c '
		mount -o remount,rw /run/secrets/api_key; echo "remount=$?"
		echo tampered >>/run/secrets/api_key; echo "append=$?"'
	[[ "$output" == *"remount=1"* || "$output" == *"remount=255"* ]]
	[[ "$output" == *"append=1"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/api_key.txt")" = s3cr3t-value ]
}

@test "user: earl → uid 1000, gid 1000, earl's supplementary groups from /etc/group" {
	one_service '{image: bb, user: earl}'
	in_container s sh -c 'echo "$(id -u) $(id -g) $(id -un)"; id -G | tr " " "\n" | sort -n | tr "\n" " "; echo; echo "HOME=$HOME"'
	[ "${lines[0]}" = "1000 1000 earl" ]
	[ "${lines[1]}" = "29 50 1000 " ]
	[ "${lines[2]}" = "HOME=/home/earl" ]
}

@test "user: \"1000:1000\" → uid 1000, gid 1000" {
	one_service '{image: bb, user: "1000:1000"}'
	in_container s sh -c 'echo "$(id -u) $(id -g)"; grep -E "^(Uid|Gid):" /proc/self/status'
	[ "${lines[0]}" = "1000 1000" ]
	[[ "${lines[1]}" == Uid:*1000*1000*1000*1000 ]]
	[[ "${lines[2]}" == Gid:*1000*1000*1000*1000 ]]
}

@test "user: \"1000\" → uid 1000 and earl's primary group from /etc/passwd" {
	one_service '{image: bb, user: "1000"}'
	in_container s sh -c 'echo "$(id -u) $(id -g)"'
	[ "$output" = "1000 1000" ]
}

@test "user: root → uid 0, gid 0, groups 0" {
	one_service '{image: bb, user: root}'
	in_container s sh -c 'echo "$(id -u) $(id -g) $(id -G)"'
	[ "$output" = "0 0 0" ]
}

@test "user: -u on the command line overrides the service's user" {
	one_service '{image: bb, user: root}'
	in_container -u earl s id -u
	[ "$output" = 1000 ]
}

@test "the host's files are not visible (a marker made on the host in /tmp is absent)" {
	HOST_MARKER=$(mktemp /tmp/stack-bats-marker.XXXXXX)
	one_service
	in_container s sh -c "test -e '$HOST_MARKER' && echo marker-visible; test -e /work && echo work-visible; ls /tmp | wc -l"
	[[ "$output" != *visible* ]]
	[ "$output" = 0 ]
}

@test "the host's processes are not visible: the payload's parent is init, PID 1" {
	# A process on the host with a name we can look for inside.
	bash -c 'exec -a stack-bats-host-process sleep 60' 3>&- &
	HOST_PROC=$!
	one_service
	in_container s sh -c '
		echo "self=$$ ppid=$PPID"
		n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo "procs=$n"
		cat /proc/[0-9]*/cmdline | tr "\0" " " | grep -c "stack-bats-host-proces[s]" || true'
	[[ "${lines[0]}" == *" ppid=1" ]]
	# init, the shell, and the cat (or nothing more)
	n=${lines[1]#procs=}
	[ "$n" -le 4 ]
	[ "${lines[2]}" = 0 ]
	# ... while the host sees it, so the marker itself works.
	tr '\0' ' ' <"/proc/$HOST_PROC/cmdline" | grep -q stack-bats-host-process
}

@test "namespaces: mnt, pid, uts, ipc, net and cgroup all differ from the host's; network_mode host shares net only" {
	stack_file <<-'EOF'
	services:
	  s: {image: bb}
	  h: {image: bb, network_mode: host}
	EOF
	ns_list() { for n in mnt pid uts ipc net cgroup; do echo "$n $(readlink "/proc/self/ns/$n")"; done; }
	host=$(ns_list)
	in_container s sh -c 'for n in mnt pid uts ipc net cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	inside=$output
	for n in mnt pid uts ipc net cgroup; do
		h=$(grep "^$n " <<<"$host")
		c=$(grep "^$n " <<<"$inside")
		[ -n "$c" ]
		[ "$h" != "$c" ] || { echo "$n namespace is the host's: $c" >&2; false; }
	done
	in_container h readlink /proc/self/ns/net
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
	# the cgroup namespace hides where the container's cgroup is
	in_container s cat /proc/self/cgroup
	[[ "$output" != *"$STACK_CGROUP_PARENT"* ]]
}

@test "init: false makes the payload PID 1" {
	one_service '{image: bb, init: false}'
	in_container s sh -c 'echo $$'
	[ "$output" = 1 ]
}

@test "ps inside shows only the container's processes" {
	one_service
	in_container s ps -o pid,args
	echo "$output"
	# header, init, ps itself
	[ "${#lines[@]}" -le 4 ]
	[[ "${lines[1]}" =~ ^\ *1\  ]]
}

@test "network: the default private netns has only lo and the stack network's eth0 (/proc/net/dev and ip link)" {
	one_service
	in_container s sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort; echo ---; ip -o link | cut -d: -f2 | tr -d " " | sed "s/@.*//" | sort'
	[ "$output" = "eth0
lo
---
eth0
lo" ]
	# the host does have other interfaces, or the test would prove nothing
	[ "$(tail -n +3 /proc/net/dev | wc -l)" -gt 1 ]
}

@test "network_mode none: only lo" {
	one_service '{image: bb, network_mode: none}'
	in_container s sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	[ "$output" = lo ]
}

@test "network_mode host: the host's interfaces are visible" {
	one_service '{image: bb, network_mode: host}'
	in_container s sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort'
	[ "$output" = "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort)" ]
}

@test "hostname: defaults to the service name; hostname: sets it; the host's is unchanged" {
	before=$(hostname)
	stack_file <<-'EOF'
	services:
	  web: {image: bb}
	  named: {image: bb, hostname: espresso-box}
	EOF
	in_container web hostname
	[ "$output" = web ]
	in_container named sh -c 'hostname; cat /proc/sys/kernel/hostname'
	[ "$output" = "espresso-box
espresso-box" ]
	[ "$(hostname)" = "$before" ]
}

@test "masked paths are empty or absent (those this kernel has)" {
	one_service
	paths=
	for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats \
		/proc/timer_stats /proc/acpi /proc/scsi /sys/firmware; do
		[ -e "$p" ] && paths="$paths $p"
	done
	[ -n "$paths" ]
	in_container s sh -c '
		for p in '"$paths"'; do
			if [ -d "$p" ]; then echo "$p dir entries=$(ls -A "$p" | wc -l)"
			elif [ -e "$p" ]; then echo "$p file bytes=$(cat "$p" 2>/dev/null | wc -c)"
			else echo "$p absent=0"; fi
		done'
	echo "$output"
	for p in $paths; do
		grep -qxE "$p (dir entries|file bytes|absent)=0" <<<"$output" ||
			{ echo "$p is not masked" >&2; false; }
	done
	# /proc/keys and /sys/firmware have content on the host: the test bites.
	[ ! -e /proc/keys ] || [ "$(wc -c </proc/keys)" -gt 0 ]
}

@test "/proc/sys is read-only for root in the container" {
	one_service
	in_container s sh -c 'echo evil >/proc/sys/kernel/hostname; echo "write=$?"; hostname'
	[ "${lines[0]}" = "write=1" ]
	[ "${lines[1]}" = s ]
	[[ "$stderr" == *"Read-only file system"* ]]
}

@test "/sys is mounted read-only" {
	one_service
	in_container s sh -c 'awk "\$5 == \"/sys\" { print \$6 }" /proc/self/mountinfo; touch /sys/x; echo "touch=$?"; echo 1 >/sys/kernel/profiling; echo "write=$?"'
	[[ "${lines[0]}" =~ (^|,)ro(,|$) ]]
	[ "${lines[1]}" = "touch=1" ]
	[ "${lines[2]}" = "write=1" ]
	[[ "$stderr" == *"Read-only file system"* ]]
}

@test "read_only: true makes the root read-only while tmpfs mounts stay writable" {
	one_service '{image: bb, read_only: true, tmpfs: [/tmp, /scratch]}'
	in_container s sh -c '
		touch /x; echo "root=$?"
		touch /etc/passwd; echo "etc=$?"
		touch /tmp/x && echo tmp-ok
		echo hi >/scratch/y && cat /scratch/y'
	[ "${lines[0]}" = "root=1" ]
	[ "${lines[1]}" = "etc=1" ]
	[ "${lines[2]}" = tmp-ok ]
	[ "${lines[3]}" = hi ]
	[[ "$stderr" == *"Read-only file system"* ]]
}

@test "without read_only the root is writable (and the write does not reach the image)" {
	one_service
	in_container s sh -c 'touch /x && echo root-ok'
	[ "$output" = root-ok ]
	[ ! -e "$ROOTFS/x" ]
	in_container s sh -c 'test -e /x && echo leaked-between-runs; echo done'
	[ "$output" = done ]
}

@test "volumes: a rw bind is writable and shared with the host, a :ro bind is read-only" {
	mkdir -p "$BATS_TEST_TMPDIR/rw" "$BATS_TEST_TMPDIR/ro"
	echo from-host >"$BATS_TEST_TMPDIR/ro/file"
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    volumes:
	      - ./rw:/data
	      - ./ro:/ro:ro
	      - {type: bind, source: ./ro, target: /ro-long, read_only: true}
	EOF
	in_container s sh -c '
		echo from-container >/data/out && echo rw-ok
		cat /ro/file /ro-long/file
		echo x >/ro/file; echo "ro=$?"
		echo x >/ro-long/new; echo "ro-long=$?"'
	[ "${lines[0]}" = rw-ok ]
	[ "${lines[1]}" = from-host ]
	[ "${lines[2]}" = from-host ]
	[ "${lines[3]}" = "ro=1" ]
	[ "${lines[4]}" = "ro-long=1" ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/rw/out")" = from-container ]
	[ "$(cat "$BATS_TEST_TMPDIR/ro/file")" = from-host ]
	[ ! -e "$BATS_TEST_TMPDIR/ro/new" ]
}

@test "environment: from the stack file, overridden and extended by -e" {
	stack_file <<-'EOF'
	services:
	  s:
	    image: bb
	    environment:
	      GREETING: hello
	      KEEP: kept
	EOF
	export STACK_BATS_FROM_HOST=passed-through
	in_container -e GREETING=overridden -e EXTRA=1 -e STACK_BATS_FROM_HOST -e STACK_BATS_UNSET_VAR s \
		sh -c 'echo "$GREETING $KEEP $EXTRA $STACK_BATS_FROM_HOST"; echo "$PATH"; echo "${STACK_BATS_UNSET_VAR-unset}"'
	[ "${lines[0]}" = "overridden kept 1 passed-through" ]
	[[ "${lines[1]}" == */bin* ]]
	[ "${lines[2]}" = unset ]
}

@test "working_dir from the service (created if missing) and -w override" {
	one_service '{image: bb, working_dir: /srv/app}'
	in_container s pwd
	[ "$output" = /srv/app ]
	in_container -w /tmp s pwd
	[ "$output" = /tmp ]
}

@test "exit status propagates: exit 3 → 3" {
	one_service
	run --separate-stderr stack run --rm s sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "signal death: kill -TERM \$\$ → 143, kill -KILL → 137 without an OOM message" {
	one_service
	run --separate-stderr stack run --rm s sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run --separate-stderr stack run --rm s sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	[[ "$stderr" != *OOMKilled* ]]
}

@test "init reaps orphaned zombies" {
	one_service
	# The inner shell leaves a sleep behind, which becomes init's child
	# (ppid 1) and exits; nobody but init can reap it.
	in_container s sh -c '
		sh -c "sleep 0.3 & echo \$! >/tmp/orphan"
		o=$(cat /tmp/orphan)
		read -r l </proc/$o/stat; set -- ${l#*) }; echo "orphan-ppid=$2"
		# until init reaped it (a zombie keeps /proc/PID), at most 10 s
		i=0; while [ -e /proc/$o ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
		if [ -e /proc/$o ]; then read -r l </proc/$o/stat; set -- ${l#*) }; echo "orphan-state=$1"; else echo orphan-gone; fi
		for f in /proc/[0-9]*/stat; do read -r l <$f; set -- ${l#*) }; [ "$1" = Z ] && echo "zombie: $l"; done
		echo checked'
	[ "${lines[0]}" = "orphan-ppid=1" ]
	[ "${lines[1]}" = orphan-gone ]
	[ "${lines[2]}" = checked ]
}

@test "SIGTERM to stack run is forwarded: the payload traps it and exits 7 → stack run exits 7" {
	one_service
	stack_bg out err run --rm s sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	wait_for 20 grep -q ready out
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	cat err
	[ "$BG_STATUS" -eq 7 ]
	grep -q got-term out
	assert_no_leftovers
}

@test "SIGTERM forwarding also works with init: false" {
	one_service '{image: bb, init: false}'
	stack_bg out err run --rm s sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	wait_for 20 grep -q ready out
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 7 ]
	assert_no_leftovers
}
