#!/usr/bin/env bats
# `stack up` on a running stack reconciles it to the stack file, as
# compose does: only services whose config changed are recreated (a new
# process), the others keep theirs; --force-recreate and --no-recreate;
# a new service is started; one removed from the file is an orphan, kept
# with a warning unless --remove-orphans.  A slow starter is waited for.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() { up_env_setup; }
teardown() { up_env_teardown; }

two_services() {
	stack_file <<-EOF
	services:
	  a: {image: bb, command: [sleep, "${1:-1000}"]}
	  b: {image: bb, command: [sleep, "1001"], environment: {B: "${2:-one}"}}
	EOF
}

@test "up twice with the same file recreates nothing" {
	two_services
	stack up -d
	a=$(ps_field a pid) b=$(ps_field b pid) spid=$(sup_pid)
	run -0 stack up -d
	[[ "$output" == *"Service a  Running"* ]]
	[[ "$output" == *"Service b  Running"* ]]
	[ "$(ps_field a pid)" = "$a" ]
	[ "$(ps_field b pid)" = "$b" ]
	[ "$(sup_pid)" = "$spid" ]
}

@test "a changed command or environment recreates only that service" {
	two_services
	stack up -d
	a=$(ps_field a pid) b=$(ps_field b pid)
	two_services 1000 two
	run -0 stack up -d
	[[ "$output" == *"Service b  Recreated"* ]]
	[[ "$output" == *"Service a  Running"* ]]
	[ "$(ps_field a pid)" = "$a" ]
	state_is b running
	[ "$(ps_field b pid)" != "$b" ]
	# the new config is the one that runs
	run -0 cat "/proc/$(ps_field b pid)/task/$(ps_field b pid)/children"
	child=$output
	tr '\0' '\n' <"/proc/${child%% *}/environ" | grep -qx B=two
	# an interpolated variable counts as a change too
	stack_file <<-'EOF'
	services:
	  a: {image: bb, command: [sleep, "${NAP:-1000}"]}
	  b: {image: bb, command: [sleep, "1001"], environment: {B: two}}
	EOF
	b=$(ps_field b pid)
	NAP=2000 run -0 stack up -d
	[[ "$output" == *"Service a  Recreated"* ]]
	[ "$(ps_field a pid)" != "$a" ]
	[ "$(ps_field b pid)" = "$b" ]
}

@test "--force-recreate recreates all; --no-recreate none" {
	two_services
	stack up -d
	a=$(ps_field a pid) b=$(ps_field b pid)
	two_services 1000 changed
	run -0 stack up -d --no-recreate
	[ "$(ps_field b pid)" = "$b" ]
	run -0 stack up -d --force-recreate
	[ "$(ps_field a pid)" != "$a" ]
	[ "$(ps_field b pid)" != "$b" ]
	run -2 stack up -d --force-recreate --no-recreate
}

@test "a new service is started; a removed one is an orphan until --remove-orphans" {
	two_services
	stack up -d
	stack_file <<-'EOF'
	services:
	  a: {image: bb, command: [sleep, "1000"]}
	  c: {image: bb, command: [sleep, "1002"]}
	EOF
	a=$(ps_field a pid)
	run -0 stack up -d
	[[ "$output" == *"Service c  Started"* ]]
	[[ "$output" == *"service \`b\` is no longer in the stack file"* ]]
	state_is c running
	[ "$(ps_field a pid)" = "$a" ]
	run -0 stack up -d --remove-orphans
	wait_for 20 eval '! stack ps -a -q | grep -qx t-b-1'
	[ "$(ps_field a pid)" = "$a" ]
	stack down
	[ "$(project_leftovers)" -eq 0 ]
}

@test "a stopped service is started again by up; an invalid file changes nothing" {
	two_services
	stack up -d
	stack stop a
	run -0 stack up -d
	state_is a running
	b=$(ps_field b pid)
	printf 'services:\n  a: {image: bb, restart: sometimes}\n' | stack_file
	run -2 stack up -d
	[[ "$output" == *"unknown policy"* ]]
	two_services
	[ "$(ps_field b pid)" = "$b" ]
	state_is a running
}

@test "up -d waits for a slow starter that its dependent needs" {
	stack_file <<-'EOF'
	services:
	  slow: {image: bb, command: [sh, -c, "sleep 2; echo ready; exit 0"]}
	  app:
	    image: bb
	    command: [sleep, "1000"]
	    depends_on: {slow: {condition: service_completed_successfully}}
	EOF
	run -0 stack up -d
	state_is app running
	state_is slow exited
	[ "$(ps_field app started_at)" -ge "$(ps_field slow finished_at)" ]
}

@test "an environment secret comes from the environment of the up that (re)creates the service" {
	stack_file <<-'EOF'
	secrets:
	  token: {environment: RECONCILE_TOKEN}
	services:
	  s: {image: bb, command: [sh, -c, 'cat /run/secrets/token; echo; exec sleep 1000'], secrets: [token]}
	EOF
	RECONCILE_TOKEN=first-value stack up -d
	wait_for 10 grep -q first-value "$STACK_ROOT/logs/t/s.log"
	RECONCILE_TOKEN=second-value run -0 stack up -d --force-recreate
	# the supervisor started with first-value; the recreate has the new one
	wait_for 10 grep -q second-value "$STACK_ROOT/logs/t/s.log"
	# and without it exported the recreate fails, naming what to export
	run stack up -d --force-recreate
	[ "$status" -ne 0 ]
	[[ "$output" == *"RECONCILE_TOKEN is not set"* ]]
}
