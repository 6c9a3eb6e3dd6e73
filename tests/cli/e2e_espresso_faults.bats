#!/usr/bin/env bats
# The seeds' app under faults, as a user (and a hostile app) makes them, on
# a copy of examples/espresso and the machine's espresso store
# (helpers/espresso_env.bash): a failing /health is restarted, a fork bomb
# is held at the service's 256 pids while the host forks, the app going
# past its 1G is OOM-killed, reported (its `oom` event: e2e_espresso_events.bats)
# and restarted, a second `up` after
# `down` builds nothing, an edited espresso.py rebuilds only its two images
# and recreates the service, and `down` after all of it leaves nothing.
# Each restart waits on the example's own health check (interval 2s,
# retries 3).  Needs root and host port 5055.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/espresso_env
load helpers/build_env

setup_file() {
	espresso_setup_file
	export STACK_CGROUP_PARENT="stack-e2e-$$"
	# The app's memory switch (espresso.py): only this copy's .env has it.
	printf 'DEBUG_ALLOC=1\n' >>"$ESP/.env"
	# The chain, minutes the first time on a machine; cached after.
	STACK_ROOT="$ESP_ROOT" RUN_TIMEOUT=3600 esp build --progress quiet
}
teardown_file() { run_env_teardown_file; }
setup() {
	espresso_setup
	ESP_FILES=("$ESP/stack.yaml")
}
teardown() {
	local f
	for f in "${ESP_FILES[@]}"; do
		timeout -k 5 120 "$STACK_BIN" -f "$f" down >/dev/null 2>&1 || true
	done
	run_env_teardown
}

field() { esp_ps_field "$@"; }
healthy() { [ "$(field health.status)" = healthy ]; }
# restarted_past N: the policy restarted it more than N times in all
restarted_past() { [ "$(field restarts)" -gt "$1" ]; }
serves() { curl -fsS -m 5 -o /dev/null http://127.0.0.1:5055/health; }

# The page and its .env value on the first request.
assert_page() {
	run -0 curl -fsS -m 5 http://127.0.0.1:5055/
	[[ "$output" == *"espresso-$CANARY"* ]]
}

@test "espresso faults: /health failing (toggle file, via exec) is seen, restarted, healthy and serving again" {
	run -0 esp up -d --wait --wait-timeout 60
	local pid0 restarts0
	pid0=$(field pid)
	restarts0=$(field restarts)
	[ "$pid0" -gt 0 ]
	run -0 esp exec -T espresso touch /tmp/espresso-unhealthy
	run -0 curl -sS -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:5055/health
	[ "$output" = 503 ]
	# ps shows the failing probes before the policy acts
	wait_for 30 eval '[ "$(field health.failing_streak)" -ge 1 ]'
	run -0 esp ps
	[[ "$output" == *"(streak "* ]]
	wait_for 60 restarted_past "$restarts0"
	# the restart says why: its health check, not an exit of the app
	[ "$(field restart_history.-1.unhealthy)" = True ]
	[ "$(field restart_history.-1.oom_killed)" = False ]
	wait_for 60 healthy
	[ "$(field pid)" != "$pid0" ]
	# a new container from the image's files: the toggle is gone
	run -0 esp exec -T espresso sh -c 'test -e /tmp/espresso-unhealthy && echo still-there || echo gone'
	[ "$output" = gone ]
	assert_page
}

# A fork bomb, as earl: every process forks until the deadline (argv[2]
# seconds), then waits for its children, so the bomb ends whole; the first
# process prints how often fork failed (EAGAIN: the pids limit).
BOMB='
import os, sys, time
end = time.monotonic() + float(sys.argv[2])
kids, fails, first = [], 0, True
while time.monotonic() < end:
    try:
        pid = os.fork()
    except BlockingIOError:
        fails += 1
        time.sleep(0.02)
        continue
    if pid == 0:
        kids, fails, first = [], 0, False
        continue
    kids.append(pid)
for k in kids:
    os.waitpid(k, 0)
if first:
    print("fork failures", fails, flush=True)
os._exit(0)
'

@test "espresso faults: a fork bomb inside is held at 256 pids, the host still forks, the app serves, nothing of it stays" {
	run -0 esp up -d --wait --wait-timeout 60
	local pid0 restarts0 cg pids
	pid0=$(field pid)
	restarts0=$(field restarts)
	cg=$(field cgroup)
	[ -n "$cg" ] && [ "$cg" != None ] || false
	pids=/sys/fs/cgroup/pids/$cg
	[ -f "$pids/pids.current" ] || pids=/sys/fs/cgroup/$cg # v2
	[ "$(cat "$pids/pids.max")" = 256 ]
	local before refused0
	before=$(cat "$pids/pids.current")
	refused0=$(awk '$1 == "max" { print $2 }' "$pids/pids.events")
	# 3 s: the app shares the 256 (Flask serves each request on a new
	# thread), so a longer bomb fails its probes and the health check
	# restarts it; that is allowed below, but said
	esp exec -T espresso python3 -S -c "$BOMB" espresso-forkbomb 3 >"$BATS_TEST_TMPDIR/bomb.out" 2>&1 &
	local bomb=$! max=0 n host_forked=0 i ok
	RUN_BG_PIDS+=("$bomb")
	# sample pids.current while it runs (bounded: exec has its timeout);
	# once it is at the limit, the host forks 20 times
	while kill -0 "$bomb" 2>/dev/null; do
		n=$(cat "$pids/pids.current")
		[ "$n" -le "$max" ] || max=$n
		if [ "$n" -ge 250 ] && [ "$host_forked" = 0 ]; then
			ok=0
			for i in $(seq 20); do /bin/true && ok=$((ok + 1)); done
			[ "$ok" != 20 ] || host_forked=1
		fi
		sleep 0.05
	done
	local rc=0
	wait "$bomb" || rc=$?
	cat "$BATS_TEST_TMPDIR/bomb.out"
	echo "# fork bomb: pids.current peaked at $max (limit 256), host forked during it: $host_forked" >&3
	[ "$max" -eq 256 ]
	[ "$host_forked" = 1 ]
	# seen inside: fork failed, and the kernel counted the refusals
	local fails
	fails=$(awk '/^fork failures/ { print $3 }' "$BATS_TEST_TMPDIR/bomb.out")
	[ "${fails:-0}" -gt 0 ]
	[ "$(awk '$1 == "max" { print $2 }' "$pids/pids.events")" -gt "$refused0" ]
	# the app survived it, or its starved probes had it restarted (and
	# the bomb with it: SIGKILL, 137); nothing else
	if [ "$(field restarts)" = "$restarts0" ]; then
		[ "$rc" = 0 ]
		[ "$(field pid)" = "$pid0" ]
	else
		echo "# fork bomb: the app's probes failed, its health check restarted it" >&3
		[ "$rc" = 137 ]
		[ "$(field restart_history.-1.unhealthy)" = True ]
		wait_for 60 healthy
	fi
	# the bomb is gone whole: the count as before, no process of it
	wait_for 30 eval '[ "$(cat "$pids/pids.current")" -le "$before" ]'
	local p
	for p in $(cat "$pids/cgroup.procs"); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q espresso-forkbomb; then
			echo "left: bomb process $p" >&2
			return 1
		fi
	done
	serves
	assert_page
}

@test "espresso faults: the app past its 1G is OOM-killed, reported, restarted and serving again" {
	run -0 esp up -d --wait --wait-timeout 60
	local pid0 restarts0
	pid0=$(field pid)
	restarts0=$(field restarts)
	# the app itself (the flask process serving the request) allocates
	run curl -sS -m 60 http://127.0.0.1:5055/debug/alloc/1536
	[ "$status" -ne 0 ]
	[[ "$output" != *allocated_mb* ]]
	wait_for 60 restarted_past "$restarts0"
	# reported: this restart followed an OOM kill, exit 137
	[ "$(field restart_history.-1.oom_killed)" = True ]
	[ "$(field restart_history.-1.exit_code)" = 137 ]
	[ "$(field restart_history.-1.unhealthy)" = False ]
	wait_for 60 healthy
	[ "$(field pid)" != "$pid0" ]
	serves
	assert_page
}

@test "espresso faults: a hog exec'd beside the app is OOM-killed alone; the app keeps running" {
	run -0 esp up -d --wait --wait-timeout 60
	local pid0 restarts0
	pid0=$(field pid)
	restarts0=$(field restarts)
	run esp exec -T espresso python3 -c '
held = []
while True:
    held.append(b"\x01" * (64 << 20))'
	# SIGKILLed by the kernel's OOM killer in the container's cgroup
	[ "$status" -eq 137 ]
	[ "$(field pid)" = "$pid0" ]
	[ "$(field restarts)" = "$restarts0" ]
	# the container did not exit: no exit to report
	[ "$(field oom_killed)" = False ]
	serves
}

# The seconds since the epoch with nanoseconds, for what the report prints.
now() { date +%s.%N; }

@test "espresso faults: a second up -d after down builds nothing and serves on the first request" {
	run -0 esp up -d --wait --wait-timeout 60
	run -0 esp down
	local t0 t1
	t0=$(now)
	run -0 --separate-stderr esp up -d --wait --wait-timeout 60
	t1=$(now)
	assert_page
	echo "$stderr"
	# every step of every image from the cache: no RUN (nor COPY) ran,
	# and every image of the chain was looked at
	output=$stderr assert_all_cached
	local img
	for img in python3-pip3 flask112 espresso espresso-run; do
		grep -qx "\[$img\] built" <<<"$stderr"
	done
	[ "$(grep -c '^\[espresso-run [0-9]*/[0-9]*\] RUN .*  CACHED$' <<<"$stderr")" = 1 ]
	echo "# cached up -d --wait after down: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" >&3
}

@test "espresso faults: an edited espresso.py rebuilds only espresso and espresso-run and recreates the service" {
	run -0 esp up -d --wait --wait-timeout 60
	local pid0 images0
	pid0=$(field pid)
	images0=$(esp images)
	# The edit, in a second copy (same project, same .env): a new route.
	local edit=$BATS_TEST_TMPDIR/espresso-edit mark="edited-$RANDOM"
	cp -a "$ESP" "$edit"
	ESP_FILES+=("$edit/stack.yaml")
	python3 - "$edit/espresso.py" "$mark" <<-'PY'
		import sys
		path, mark = sys.argv[1], sys.argv[2]
		src = open(path).read()
		route = '@app.route("/edited")\ndef edited():\n    return "%s"\n\n\n' % mark
		assert 'if __name__ == "__main__":' in src
		open(path, "w").write(src.replace('if __name__ == "__main__":', route + 'if __name__ == "__main__":'))
	PY
	local t0 t1
	t0=$(now)
	run -0 --separate-stderr timeout -k 5 300 "$STACK_BIN" -f "$edit/stack.yaml" up -d --wait --wait-timeout 60
	t1=$(now)
	echo "$stderr"
	# python3-pip3 and flask112: every step cached
	[ "$(grep -cE '^\[(python3-pip3|flask112) [0-9]+/[0-9]+\] ' <<<"$stderr")" -ge 2 ]
	! grep -E '^\[(python3-pip3|flask112) [0-9]+/[0-9]+\] ' <<<"$stderr" | grep -v '  CACHED$' || false
	# espresso: its COPY of the context ran again; espresso-run: its RUN
	grep -qE '^\[espresso [0-9]+/[0-9]+\] COPY \. /espresso  [0-9.]+s$' <<<"$stderr"
	grep -qE '^\[espresso-run [0-9]+/[0-9]+\] RUN useradd .*  [0-9.]+s$' <<<"$stderr"
	[[ "$stderr" == *"Service espresso  Recreated"* ]]
	# a new container serving the new code
	[ "$(field pid)" != "$pid0" ]
	run -0 curl -fsS -m 5 http://127.0.0.1:5055/edited
	[ "$output" = "$mark" ]
	assert_page
	# the store: espresso and espresso-run are new images, the others not
	local images1 img
	images1=$(esp images)
	for img in python3-pip3 flask112; do
		[ "$(awk -v i="$img" '$1 == i { print $3 }' <<<"$images0")" = "$(awk -v i="$img" '$1 == i { print $3 }' <<<"$images1")" ]
	done
	for img in espresso espresso-run; do
		[ -n "$(awk -v i="$img" '$1 == i { print $3 }' <<<"$images0")" ]
		[ "$(awk -v i="$img" '$1 == i { print $3 }' <<<"$images0")" != "$(awk -v i="$img" '$1 == i { print $3 }' <<<"$images1")" ]
	done
	echo "# up -d --wait after editing espresso.py (rebuild of 2 images, recreate): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" >&3
}

@test "espresso faults: down after all of these leaves no process, mount, cgroup, netns, port or socket" {
	local links sup
	links=$(espresso_host_links)
	run -0 esp up -d --wait --wait-timeout 60
	sup=$(field supervisor_pid)
	[ "$sup" -gt 0 ]
	# a fault of each kind first: a failing probe's streak, a bomb, a hog
	run -0 esp exec -T espresso python3 -S -c "$BOMB" espresso-forkbomb 2
	run esp exec -T espresso python3 -c 'held = [b"\x01" * (64 << 20) for _ in range(40)]'
	[ "$status" -eq 137 ]
	run -0 esp exec -T espresso touch /tmp/espresso-unhealthy
	wait_for 30 eval '[ "$(field health.failing_streak)" -ge 1 ]'
	run -0 esp down
	espresso_assert_down_clean "$links" "$sup"
}
