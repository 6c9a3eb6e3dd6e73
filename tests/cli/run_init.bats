#!/usr/bin/env bats
# The container's first process, attacked from inside (as root and as uid
# 1000):
# - keystroke injection: every container process is in a session of its
#   own, and a terminal is never handed to the container without a pty of
#   ours, so TIOCSTI cannot push a command into the user's shell;
# - PID 1: our init (stack-init) holds nothing of the host (environment,
#   heap, fds), is not readable, writable or traceable from inside, does
#   not lead back to the host binary, and runs under the payload's seccomp
#   filter and no-new-privileges.
# Canaries are put where the old init leaked them: the environment of the
# `stack run` command, another service's `environment:` and `env_file:`.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() {
	run_env_setup_file
	local p
	for p in tiocsti-probe pid1-probe; do
		cc -static -O2 -o "$ROOTFS/bin/$p" "$RUN_FIX/$p.c"
	done
	# `tiocsti-probe drain` also runs on the host, in the outer terminal.
	export HOST_PROBE="$BATS_FILE_TMPDIR/tiocsti-probe"
	cp "$ROOTFS/bin/tiocsti-probe" "$HOST_PROBE"
}
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	CANARY_HOST=canary-host-$RANDOM$RANDOM
	CANARY_ENV=canary-environment-$RANDOM$RANDOM
	CANARY_FILE=canary-envfile-$RANDOM$RANDOM
	printf 'FILE_SECRET=%s\n' "$CANARY_FILE" >other.env
	stack_file <<-EOF
	services:
	  s: {image: bb}
	  ptr: {image: bb, cap_add: [SYS_PTRACE]}
	  sysadmin: {image: bb, cap_add: [SYS_ADMIN]}
	  noinit: {image: bb, init: false}
	  other:
	    image: bb
	    environment: {OTHER_SECRET: $CANARY_ENV}
	    env_file: [other.env]
	EOF
}
teardown() { run_env_teardown; }

# ---- keystroke injection ------------------------------------------------

# in_pty CMD: run the shell command CMD on a new terminal of its own (the
# user's, for the test); prints what the terminal showed, then rc=N.
in_pty() {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/helpers/pty_session.py" -- bash -c "$1"
}

# stack_cmd ARGS...: the quoted command line of stack on ./stack.yaml.
stack_cmd() {
	printf '%q ' timeout --foreground -k 5 60 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" "$@"
}

# inject_from SERVICE [RUN ARGS...]: in a terminal, `stack run ARGS
# SERVICE tiocsti-probe inject ...`, then the terminal's pending input is
# drained on the host (what the user's shell would have read and run).
inject_from() {
	local svc=$1
	shift
	in_pty "$(stack_cmd run --rm "$@" "$svc" tiocsti-probe inject 'echo INJECTED'); $HOST_PROBE drain"
	[[ "$output" == *"rc=0"* ]] || { echo "$output" >&2; return 1; }
}

# assert_no_injection: every TIOCSTI of the probe failed and the terminal
# has nothing pending.
assert_no_injection() {
	local t
	for t in fd0 fd1 fd2 tty; do
		grep -Eq "^$t (EPERM|EIO|ENOTTY|ENXIO)\$" <<<"$output" ||
			{ echo "TIOCSTI on $t was not refused:"$'\n'"$output" >&2; return 1; }
	done
	grep -qx 'pending=\[\]' <<<"$output" || { echo "input reached the terminal:"$'\n'"$output" >&2; return 1; }
}

@test "-T in a terminal, as root: TIOCSTI on fds 0-2 and /dev/tty fails, nothing reaches the user's terminal" {
	inject_from s -T
	assert_no_injection
	assert_no_leftovers
}

@test "-T in a terminal, as uid 1000: TIOCSTI fails, nothing reaches the user's terminal" {
	inject_from s -T -u 1000
	assert_no_injection
}

@test "-T in a terminal with cap_add SYS_ADMIN: the terminal itself is never handed to the container" {
	# CAP_SYS_ADMIN may TIOCSTI into any terminal it holds, controlling or
	# not: only not holding one protects.
	inject_from sysadmin -T
	assert_no_injection
}

@test "-T in a terminal with init: false: TIOCSTI fails, nothing reaches the user's terminal" {
	inject_from noinit -T
	assert_no_injection
}

@test "no TTY because stdout is a file (stack run s > file in a terminal): TIOCSTI fails" {
	in_pty "$(stack_cmd run --rm s tiocsti-probe inject 'echo INJECTED') >out.txt; cat out.txt; $HOST_PROBE drain"
	[[ "$output" == *"rc=0"* ]]
	assert_no_injection
}

@test "-t: TIOCSTI reaches only the container's own pty, never the user's terminal (root and uid 1000)" {
	for u in 0 1000; do
		inject_from s -t -u $u
		# The container's pty is its own to play with (what it pushes is
		# echoed by that pty: the lines start with it).
		grep -q 'fd0 OK$' <<<"$output"
		grep -q 'tty OK$' <<<"$output"
		grep -qx 'pending=\[\]' <<<"$output"
	done
}

@test "-T in a terminal: terminal fds become pipes, and so does a file on stdout (review_stdio.bats)" {
	in_pty "$(stack_cmd run --rm -T s sh -c 'stat -L -c %F /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; echo to-err >&2') >out.txt; cat out.txt"
	[[ "$output" == *"rc=0"* ]]
	[ "$(sed -n 1p out.txt)" = fifo ]
	[ "$(sed -n 2p out.txt)" = fifo ]
	[ "$(sed -n 3p out.txt)" = fifo ]
	[[ "$output" == *"to-err"* ]] # stderr relayed to the terminal
}

@test "stack run with its stdin and stderr closed: the container's fds 0 and 2 are no file of the host" {
	# shellcheck disable=SC2016 # expanded in the container
	run bash -c "$(stack_cmd run --rm -T s sh -c 'for f in 0 2; do echo "fd$f $(readlink /proc/self/fd/$f || echo unreadable)"; done') <&- 2>&-"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fd0 /dev/null" ]
	[ "${lines[1]}" = "fd2 /dev/null" ]
}

@test "-T in a terminal: typed input reaches the container through the relay, and ^C stops it" {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/helpers/pty_session.py" \
		--expect 'ready' --send 'typed-line' \
		--expect 'got=typed-line' --send $'\x03' \
		-- timeout --foreground -k 5 60 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" run --rm -T s \
		sh -c 'trap "echo got-int; exit 9" INT; echo ready; read l; echo got=$l; while :; do sleep 0.05; done'
	[ "$status" -eq 0 ]
	[[ "$output" == *"got-int"* ]]
	[[ "$output" == *"rc=9"* ]]
	assert_no_leftovers
}

# sessions_differ SERVICE [RUN ARGS...]: while `stack run` runs a sleep,
# every process of the container is in a session other than ours.
sessions_differ() {
	local svc=$1 pid ours n=0
	shift
	ours=$(ps -o sid= -p $$ | tr -d ' ')
	# The shell traps TERM: with init: false it is PID 1, which the
	# kernel spares signals it has no handler for.
	stack_bg out err run --rm -T "$@" "$svc" sh -c 'trap "exit 0" TERM; echo up; sleep 30 & wait'
	wait_for 20 grep -q up out
	for pid in $(run_env_cgroup_pids); do
		sid=$(ps -o sid= -p "$pid" | tr -d ' ')
		[ -n "$sid" ] || continue
		[ "$sid" != "$ours" ] || { echo "container pid $pid is in our session $ours" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 0 ]
}

@test "every container process is in a session of its own, not the caller's (root, uid 1000, init: false)" {
	sessions_differ s
	sessions_differ s -u 1000
	sessions_differ noinit
	assert_no_leftovers
}

# ---- PID 1 ---------------------------------------------------------------

hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

# pid1_view SERVICE [RUN ARGS...]: what a process in the container reads of
# PID 1 (environ, cmdline, and the canaries searched in its memory), with
# the host canary in the environment of `stack run`.
pid1_view() {
	local svc=$1
	shift
	STACK_CANARY_SECRET=$CANARY_HOST run --separate-stderr stack run --rm -T "$@" "$svc" sh -c '
		echo "environ: $(tr "\0" " " </proc/1/environ 2>&1)"
		echo "cmdline: $(tr "\0" " " </proc/1/cmdline 2>&1)"
		for h in '"$(hex "$CANARY_HOST") $(hex "$CANARY_ENV") $(hex "$CANARY_FILE")"'; do
			echo "mem: $(pid1-probe mem-grep $h)"
		done'
	[ "$status" -eq 0 ] || { echo "stack run failed ($status): $stderr" >&2; return 1; }
	[[ "$output" != *canary-* ]] || { echo "a canary leaked:"$'\n'"$output" >&2; return 1; }
	[ "$(grep -c '^mem: ' <<<"$output")" = 3 ]
	if grep '^mem: ' <<<"$output" | grep -qv -e '^mem: open EACCES$' -e '^mem: not-found [1-9]'; then
		echo "init's memory gave a canary away:"$'\n'"$output" >&2
		return 1
	fi
}

@test "PID 1's environ, cmdline and memory hold no host variable nor another service's secrets (root, uid 1000)" {
	pid1_view s
	grep -qx 'mem: open EACCES' <<<"$output" # not even readable
	pid1_view s -u 1000
	grep -qx 'mem: open EACCES' <<<"$output"
}

@test "with cap_add SYS_PTRACE init's memory is readable, and holds nothing of the host" {
	pid1_view ptr
	# The memory was really read, and the environment is the payload's.
	[ "$(grep -c '^mem: not-found [1-9]' <<<"$output")" = 3 ]
	[[ "$output" == *"environ: "*"PATH=/usr/local/sbin"* ]]
	[[ "$output" == *"HOSTNAME=ptr"* ]]
}

@test "init: false: PID 1 is the payload, with nothing of the host either" {
	# `; true`: the shell stays PID 1 (busybox sh execs a last command).
	STACK_CANARY_SECRET=$CANARY_HOST run --separate-stderr stack run --rm -T noinit sh -c \
		'echo pid=$$; tr "\0" " " </proc/1/environ; pid1-probe mem-grep '"$(hex "$CANARY_HOST")"'; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"pid=1"* ]]
	[[ "$output" == *"PATH="* ]]
	[[ "$output" != *canary-* ]]
	[[ "$output" == *"not-found"* ]]
}

@test "init holds no fd but its socket to the runtime (none of the host's)" {
	# init reads its exec pipe (fd 3) to EOF when the payload has exec'd,
	# and closes it a moment after: the payload can run first.  Wait (for
	# at most 5 s) for init's fds to settle, then look.
	run --separate-stderr stack run --rm -T ptr sh -c 'for i in $(seq 100); do set -- /proc/1/fd/*; [ $# -le 1 ] && break; sleep 0.05; done
		for f in /proc/1/fd/*; do readlink $f; done'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == socket:* ]]
}

@test "/proc/1/mem cannot be opened read-write and PID 1 cannot be ptraced (root, uid 1000)" {
	for u in 0 1000; do
		run --separate-stderr stack run --rm -T -u $u s sh -c 'echo "rw $(pid1-probe mem-rw)"; echo "ptrace $(pid1-probe ptrace)"'
		[ "$status" -eq 0 ]
		[ "${lines[0]}" != "rw OK" ]
		[[ "${lines[0]}" == "rw E"* ]]
		[ "${lines[1]}" != "ptrace OK" ]
		[[ "${lines[1]}" == "ptrace E"* ]]
	done
}

@test "PID 1 runs under the payload's seccomp filter and no-new-privileges, without capabilities (root, uid 1000)" {
	for u in 0 1000; do
		# init sheds its capabilities (and becomes the payload's user)
		# once it has seen the payload exec: wait for that (at most 5 s).
		run --separate-stderr stack run --rm -T -u $u s sh -c 'for i in $(seq 100); do grep -q "^CapEff:	0*$" /proc/1/status && break; sleep 0.05; done
			cat /proc/1/status; echo ---; cat /proc/self/status'
		[ "$status" -eq 0 ]
		init=$(sed '/^---$/q' <<<"$output")
		self=$(sed '1,/^---$/d' <<<"$output")
		output=$init
		[ "$(status_field Seccomp)" = 2 ]
		[ "$(status_field NoNewPrivs)" = 1 ]
		[ "$(status_field CapEff)" = 0000000000000000 ]
		[ "$(status_field CapPrm)" = 0000000000000000 ]
		filters=$(status_field Seccomp_filters)
		output=$self
		[ "$filters" = "$(status_field Seccomp_filters)" ]
		# init runs as the payload's user.
		[ "$(sed -n 's/^Uid:\t\([0-9]*\).*/\1/p' <<<"$init")" = $u ]
	done
}

@test "/proc/1/exe cannot be opened for writing nor leads to the host binary (root, uid 1000, SYS_PTRACE)" {
	for args in "s" "-u 1000 s" "ptr"; do
		# shellcheck disable=SC2086 # $args is split on purpose
		run --separate-stderr stack run --rm -T $args sh -c \
			'echo "write $(pid1-probe exe-write)"; echo "path $(pid1-probe exe-path)"; echo "link $(pid1-probe exe-link)"'
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "write E"* ]]
		# The link names no host path: refused, or the root of the
		# detached read-only copy init runs from.
		[[ "${lines[2]}" == "link EACCES" || "${lines[2]}" == "link /" ]] ||
			{ echo "$args: ${lines[2]}" >&2; return 1; }
		[[ "$output" != *"$(dirname "$STACK_BIN")"* ]]
	done
	# Without CAP_SYS_PTRACE not even an O_PATH handle (CVE-2019-5736's first step).
	run --separate-stderr stack run --rm -T s pid1-probe exe-path
	[ "$output" = EACCES ]
	# With it, the handle is on a read-only mount: reopened for writing
	# once no init runs the binary (ETXTBSY no more), it still fails.
	run --separate-stderr stack run --rm -T ptr pid1-probe exe-mount
	[ "$output" = ro ]
}

# Reaping is tested in run_isolation.bats ("init reaps orphaned zombies").
@test "init still forwards SIGTERM and reports 127/126 as the payload's" {
	run -127 --separate-stderr stack run --rm -T s no-such-command
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"exec \`no-such-command\`: No such file or directory"* ]]
	run -126 --separate-stderr stack run --rm -T s /etc
	stack_bg out err run --rm -T s sh -c 'trap "exit 7" TERM; echo up; while :; do sleep 0.05; done'
	wait_for 10 grep -q up out
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 20
	[ "$BG_STATUS" -eq 7 ]
	assert_no_leftovers
}
