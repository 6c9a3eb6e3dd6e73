#!/usr/bin/env bats
# Health checks under `stack up`: busybox httpd on 5000 with an http check
# becomes healthy; kill httpd and it is restarted and healthy again; a
# failing check makes the container unhealthy and, with a restart policy,
# restarted; ps shows the health with the failing streak and the last
# probe results; `up --wait` exits 0 once healthy and non-zero naming the
# service and its last probe output when it is unhealthy or exits, or at
# --wait-timeout; depends_on service_healthy starts the dependent only
# once its dependency is healthy; the image's HEALTHCHECK is used when the
# service has none.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	UP_PORT_BASE=15800
}
teardown() { up_env_teardown; }

# health_of SERVICE: its health status ("" without a check or a container).
health_of() {
	stack ps -a --format json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["service"] == sys.argv[1]:
        h = r.get("health") or {}
        print(h.get("status", ""))
' "$1"
}
health_is() { [ "$(health_of "$1")" = "$2" ]; }
restarts_ge() { [ "$(ps_field "$1" restarts)" -ge "$2" ]; }

web_stack() {
	stack_file <<-EOF
	services:
	  web:
	    image: bb
	    restart: ${1:-always}
	    command: [sh, -c, 'mkdir -p /www; echo "hello from web" >/www/index.html; exec httpd -f -p 5000 -h /www']
	    healthcheck: {http: {port: 5000, path: /index.html}, interval: 200ms, timeout: 1s, retries: 2}
	EOF
}

@test "an http check makes httpd healthy; ps shows the health and the last probe results" {
	web_stack
	run -0 stack up -d --wait
	health_is web healthy
	run -0 stack ps --format json
	python3 -c '
import json, sys
r = [r for r in json.loads(sys.argv[1]) if r["service"] == "web"][0]
h = r["health"]
assert h["status"] == "healthy", h
assert h["failing_streak"] == 0, h
assert 1 <= len(h["log"]) <= 5, h
assert h["log"][-1]["exit_code"] == 0, h
' "$output"
	run -0 stack ps
	[[ "$output" == *"HEALTH"* ]]
	[[ "$output" == *"t-web-1"*"running"*"healthy"* ]]
}

@test "kill httpd: restarted, healthy again" {
	web_stack
	stack up -d --wait
	pid=$(ps_field web pid)
	kill -KILL "$pid"
	wait_for 30 restarts_ge web 1
	wait_for 30 state_is web running
	wait_for 30 health_is web healthy
	[ "$(ps_field web pid)" != "$pid" ]
	[ "$(ps_field web restarts)" -ge 1 ]
}

@test "a failing check: unhealthy with its failing streak, then restarted (policy always)" {
	stack_file <<-'EOF'
	services:
	  bad:
	    image: bb
	    restart: always
	    command: [sleep, "1000"]
	    healthcheck: {test: [CMD-SHELL, "echo probe-says-no; exit 3"], interval: 200ms, timeout: 1s, retries: 2}
	EOF
	run -0 stack up -d
	pid=$(ps_field bad pid)
	wait_for 30 restarts_ge bad 1
	wait_for 30 state_is bad running
	[ "$(ps_field bad pid)" != "$pid" ]
	grep -q "t-bad-1  Restarting (unhealthy)" "$STACK_ROOT/logs/t/_supervisor.log"
	# the new container's check starts over
	[ "$(health_of bad)" != healthy ]
}

@test "a failing check with restart: no stays unhealthy, with its streak and output in ps" {
	stack_file <<-'EOF'
	services:
	  bad:
	    image: bb
	    command: [sleep, "1000"]
	    healthcheck: {test: [CMD-SHELL, "echo probe-says-no; exit 3"], interval: 200ms, timeout: 1s, retries: 2}
	EOF
	run -0 stack up -d
	pid=$(ps_field bad pid)
	wait_for 30 health_is bad unhealthy
	run -0 stack ps --format json
	python3 -c '
import json, sys
r = [r for r in json.loads(sys.argv[1]) if r["service"] == "bad"][0]
h = r["health"]
assert h["status"] == "unhealthy", h
assert h["failing_streak"] >= 2, h
assert h["log"][-1]["exit_code"] == 3, h
assert "probe-says-no" in h["log"][-1]["output"], h
' "$output"
	run -0 stack ps
	[[ "$output" == *"unhealthy (streak "* ]]
	[ "$(ps_field bad pid)" = "$pid" ]
	[ "$(ps_field bad restarts)" -eq 0 ]
}

@test "up --wait: non-zero naming the service and its last probe output when it becomes unhealthy" {
	stack_file <<-'EOF'
	services:
	  bad:
	    image: bb
	    command: [sleep, "1000"]
	    healthcheck: {test: [CMD-SHELL, "echo probe-says-no; exit 3"], interval: 200ms, timeout: 1s, retries: 2}
	EOF
	run --separate-stderr stack up -d --wait
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"service \`bad\` is unhealthy"*"probe-says-no"* ]]
}

@test "up --wait: non-zero naming the service when it exits; --wait-timeout ends the wait" {
	stack_file <<-'EOF'
	services:
	  crash:
	    image: bb
	    command: [sh, -c, "sleep 0.3; exit 4"]
	    healthcheck: {test: [CMD, "false"], interval: 1h, start_period: 1h, start_interval: 1h}
	EOF
	run --separate-stderr stack up --wait
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"service \`crash\` exited (code 4)"* ]]
	run -0 stack down
	stack_file <<-'EOF'
	services:
	  slow:
	    image: bb
	    command: [sleep, "1000"]
	    healthcheck: {test: [CMD, "true"], interval: 1h, start_period: 1h, start_interval: 1h}
	EOF
	run --separate-stderr stack up --wait --wait-timeout 1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--wait-timeout"*"not every service was healthy after 1 s"* ]]
	# the stack keeps running, as compose leaves it
	state_is slow running
	health_is slow starting
	run -2 stack up --wait-timeout 1
}

@test "depends_on service_healthy starts the dependent only once the dependency is healthy" {
	stack_file <<-'EOF'
	services:
	  db:
	    image: bb
	    command: [sh, -c, 'sleep 1; touch /tmp/ready; exec sleep 1000']
	    healthcheck: {test: [CMD, test, -e, /tmp/ready], interval: 100ms, retries: 100}
	  app:
	    image: bb
	    depends_on: {db: {condition: service_healthy}}
	    command: [sleep, "1000"]
	EOF
	run -0 stack up -d --wait
	health_is db healthy
	state_is app running
	# app started after db was healthy (the supervisor's own order of events)
	log=$STACK_ROOT/logs/t/_supervisor.log
	healthy_line=$(grep -n "t-db-1  Health: healthy" "$log" | head -1 | cut -d: -f1)
	app_line=$(grep -n "t-app-1  Started" "$log" | head -1 | cut -d: -f1)
	[ -n "$healthy_line" ]
	[ -n "$app_line" ]
	[ "$app_line" -gt "$healthy_line" ]
}

@test "depends_on service_healthy on a service without a health check is an error naming it" {
	stack_file <<-'EOF'
	services:
	  db: {image: bb, command: [sleep, "1000"]}
	  app:
	    image: bb
	    depends_on: {db: {condition: service_healthy}}
	    command: [sleep, "1000"]
	EOF
	run --separate-stderr stack up -d
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"\`db\` has no health check"* ]]
}
