# Helpers for the supervisor tests (tests/cli/up_*.bats), on top of
# run_env.bash (a busybox rootfs, STACK_ROOT, STACK_RUN and
# STACK_CGROUP_PARENT of the test file's own).
#
#     load helpers/run_env
#     load helpers/up_env
#     setup_file()    { run_env_setup_file; }
#     teardown_file() { up_env_teardown_file; }
#     setup()         { up_env_setup; }
#     teardown()      { up_env_teardown; }
#
# Every supervisor a test starts lives in this file's STACK_RUN, so the
# teardown finds each by its pid file and stops it (down, then SIGKILL by
# that pid if it is still there): nothing of a failed test outlives it.

up_env_setup() {
	run_env_setup
	UP_PORT_BASE=${UP_PORT_BASE:-15100}
	# The supervisor runs detached, its stderr in a log that `down`
	# removes: a sanitizer report of it (a sanitized build) goes to a file
	# of the test instead, which the teardown turns into a failure.
	SANITIZER_LOG="$BATS_TEST_TMPDIR/sanitizer"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SANITIZER_LOG"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SANITIZER_LOG"
}

# A sanitizer report of any stack process of the test fails it.
up_env_check_sanitizers() {
	local f bad=0
	for f in "$SANITIZER_LOG".*; do
		[ -e "$f" ] || continue
		echo "sanitizer report $f:" >&2
		cat "$f" >&2
		bad=1
	done
	return $bad
}

# sup_pid [PROJECT]: the pid in the project's supervisor pid file (empty if none).
sup_pid() {
	local f="$STACK_RUN/${1:-t}/supervisor.pid"
	[ -f "$f" ] && awk '{ print $1 }' "$f"
}

# sup_alive [PROJECT]: its supervisor holds the pid file's lock.
sup_alive() {
	local f="$STACK_RUN/${1:-t}/supervisor.pid"
	[ -f "$f" ] || return 1
	! flock -n -s "$f" true
}

# proc_gone PID: no such process, or only its zombie: it has exited, and
# reaping it is its parent's (a detached supervisor's is init, which here
# may not reap at once, so `kill -0` still succeeds on it).
proc_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

up_env_kill_supervisors() {
	local f pid
	for f in "$STACK_RUN"/*/supervisor.pid; do
		[ -f "$f" ] || continue
		pid=$(awk '{ print $1 }' "$f")
		if [ -n "$pid" ] && ! flock -n -s "$f" true; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}

up_env_teardown() {
	if [ -f "$BATS_TEST_TMPDIR/stack.yaml" ]; then
		timeout -k 5 30 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" down -t 1 >/dev/null 2>&1 || true
	fi
	up_env_kill_supervisors
	run_env_teardown
	up_env_check_sanitizers
}

up_env_teardown_file() {
	up_env_kill_supervisors
	run_env_teardown_file
}

# ps_field_is SERVICE FIELD VALUE: ps_field says VALUE (for wait_for).
ps_field_is() {
	[ "$(ps_field "$1" "$2")" = "$3" ]
}

# ps_field SERVICE FIELD: FIELD of SERVICE in `stack ps -a --format json`.
ps_field() {
	local svc=$1 field=$2
	stack ps -a --format json | python3 -c '
import json, sys
svc, field = sys.argv[1], sys.argv[2]
for r in json.load(sys.stdin):
    if r["service"] == svc:
        v = r.get(field)
        print("" if v is None else v)
' "$svc" "$field"
}

# A state of SERVICE, for wait_for.
state_is() {
	[ "$(ps_field "$1" state)" = "$2" ]
}

# Every process, mount, cgroup, pid file and socket of the project, as a
# count (what `down` must bring back to nothing).
project_leftovers() {
	local n=0
	n=$((n + $(run_env_cgroup_pids | wc -l)))
	n=$((n + $(run_env_cgroup_dirs | wc -l)))
	n=$((n + $(mountinfo_ours | wc -l)))
	if [ -d "$STACK_RUN/t" ]; then n=$((n + $(find "$STACK_RUN/t" | wc -l))); fi
	if [ -d "$STACK_ROOT/logs/t" ]; then n=$((n + $(find "$STACK_ROOT/logs/t" | wc -l))); fi
	echo "$n"
}
