#!/usr/bin/env bats
# A service's start runs in steps from the supervisor's loop.  A `stack
# down`, or a kill -9 of the supervisor, at any moment of a crash-looping
# service's starts (busy starting, backing off, running or being reaped)
# leaves no process, mount, cgroup or state, and the supervisor keeps
# answering while it starts.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	# One service on the stack's network (its start runs the network
	# hook: the longest start there is) that exits at once, restarted
	# with backoff; one that stays.
	stack_file <<-'EOF'
	services:
	  crash: {image: bb, restart: always, command: ["true"]}
	  stay: {image: bb, command: [sleep, "1000"]}
	EOF
}
teardown() { up_env_teardown; }

# A pause of 0..299 ms.
random_pause() { sleep "0.$(printf %03d $((RANDOM % 300)))"; }

@test "down at random moments of a crash loop leaves nothing behind" {
	for i in $(seq 12); do
		run -0 stack up -d
		random_pause
		run -0 stack ps
		run -0 stack down -t 1
		assert_no_leftovers
	done
}

@test "kill -9 of the supervisor at random moments of a crash loop, then down, leaves nothing behind" {
	for i in $(seq 8); do
		run -0 stack up -d
		random_pause
		spid=$(sup_pid)
		kill -KILL "$spid"
		wait_for 10 eval '! sup_alive'
		run -0 stack down -t 1
		assert_no_leftovers
	done
}
