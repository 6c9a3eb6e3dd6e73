#!/usr/bin/env bats
# The `oom` event of issue 9: the espresso app past its 1G, OOM-killed,
# shows in `stack events` while it runs.  A file of its own, so that while
# `stack events` does not exist only this reads as Skipped
# (e2e_espresso_faults.bats checks the kill, OOMKilled in ps and the
# restart).  Needs root and host port 5055.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/espresso_env

# Whether `stack events` exists yet: each test skips without it.
have_events() { "$STACK_BIN" events --help >/dev/null 2>&1; }

setup_file() {
	have_events || return 0
	espresso_setup_file
	export STACK_CGROUP_PARENT="stack-e2e-$$"
	printf 'DEBUG_ALLOC=1\n' >>"$ESP/.env"
	STACK_ROOT="$ESP_ROOT" RUN_TIMEOUT=3600 esp build --progress quiet
}
teardown_file() {
	have_events || return 0
	run_env_teardown_file
}
setup() {
	have_events || skip "stack events is not built yet (another helper's part this session): the oom event is checked once it lands"
	espresso_setup
}
teardown() {
	have_events || return 0
	esp down >/dev/null 2>&1 || true
	run_env_teardown
}

@test "espresso events: the app OOM-killed at its 1G is an oom event, then its die 137, then its restart" {
	run -0 esp up -d --wait --wait-timeout 60
	local since restarts0
	since=$(date -u +%s.%N)
	restarts0=$(esp_ps_field restarts)
	run curl -sS -m 60 http://127.0.0.1:5055/debug/alloc/1536
	[ "$status" -ne 0 ]
	wait_for 60 eval '[ "$(esp_ps_field restarts)" -gt "$restarts0" ]'
	# the recorded events since, one JSON object a line (`stack events
	# --json`, as up_events.bats of the events work reads them)
	run -0 --separate-stderr esp events --json --since "$since" --until "$(date -u +%s.%N)" espresso
	echo "$output"
	run -0 python3 -c '
import json, sys
acts = []
for line in sys.stdin:
    e = json.loads(line)
    a = e.get("attributes") or {}
    if e["action"] == "die":
        acts.append("die %s %s" % (a.get("exit_code"), a.get("oom_killed")))
    else:
        acts.append(e["action"])
print("|" + "|".join(acts) + "|")' <<<"$output"
	echo "$output"
	# oom before its die (137, OOMKilled), a start after
	[[ "$output" == *"|oom|"*"die 137 True|"*"start|"* ]]
}
