#!/usr/bin/env bats
# stack build stopped at random moments of a RUN, by SIGINT and by kill -9:
# no process, mount or cgroup of the build container is left (after a
# kill -9: once the next build swept), no layer, cache entry or image that
# a later build trusts (the interrupted step runs again), and the next
# build succeeds.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	df slow 'FROM bb' 'COPY f /f' 'RUN echo started; echo partial > /written; sleep 2; echo finished'
	echo f >slow/f
	build_stack_file <<-'EOF2'
	images:
	  slow: {context: slow}
	services:
	  s: {image: slow}
	EOF2
}
teardown() { run_env_teardown; }

# many_files N LAST: slow's Dockerfile COPYs N small files, then LAST.
many_files() {
	mkdir -p slow/many
	for i in $(seq 1 "$1"); do echo "$i" >"slow/many/$i"; done
	df slow 'FROM bb' 'COPY many /many/' "$2"
}

# interrupt_builds SIG TENTHS: three `build --no-cache`, each sent SIG a
# random 0 to TENTHS/10 s after it started; after each, what SIG leaves.
interrupt_builds() {
	local sig=$1 tenths=$2 round
	for round in 1 2 3; do
		stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" build --no-cache
		sleep "0.$((RANDOM % tenths))"
		kill -"$sig" "$BG_PID" 2>/dev/null || true # it may have finished already
		wait_exit "$BG_PID" 20
		if [ "$sig" = INT ]; then
			[ "$BG_STATUS" -eq 130 ] || [ "$BG_STATUS" -eq 0 ]
			assert_build_clean
		else
			wait_for 10 no_build_processes
		fi
	done
}

# No process of the build container lives on.
no_build_processes() {
	[ -z "$(run_env_cgroup_pids)" ] && ! pgrep -f 'echo partial > /written' >/dev/null
}

@test "SIGINT and kill -9 mid-RUN, in a loop: nothing trusted is left, the next build succeeds" {
	for round in 1 2 3 4 5 6; do
		sig=INT
		[ $((round % 2)) -eq 0 ] && sig=KILL
		stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" build
		wait_for 20 grep -q 'slow | started' "$BATS_TEST_TMPDIR/out"
		# a random moment of the RUN: 0 to 1.5 s after it started
		sleep "0.$((RANDOM % 15))"
		kill -"$sig" "$BG_PID"
		wait_exit "$BG_PID" 20
		if [ "$sig" = INT ]; then
			[ "$BG_STATUS" -eq 130 ]
			grep -q 'stopped by SIGINT' "$BATS_TEST_TMPDIR/err"
			# SIGINT cleans up by itself
			assert_build_clean
		else
			[ "$BG_STATUS" -eq 137 ]
			wait_for 10 no_build_processes
			[ -z "$(mountinfo_ours)" ]
		fi
		! grep -q 'slow | finished' "$BATS_TEST_TMPDIR/out" || false
		# no image under the name
		run -1 stack run -T s true
		[[ "$output" == *"not built yet"* ]]
	done
	# The next build runs the step again (its cache entry was never
	# written) and succeeds; then everything is gone but the store.
	run -0 stack build
	grep -qx 'slow | finished' <<<"$output"
	! step_line slow 3 | grep -q 'CACHED$' || false
	assert_build_clean
	run -0 stack run -T s cat /written
	[ "$output" = "partial" ]
	run -0 stack build
	assert_all_cached
}

@test "SIGINT while a COPY commits its layer: the store stays consistent" {
	many_files 300 'RUN ls /many | wc -l'
	interrupt_builds INT 3
	run -0 stack build
	grep -qx 'slow | 300' <<<"$output" || assert_all_cached
	run -0 stack run -T s sh -c 'ls /many | wc -l'
	[ "$output" = "300" ]
}

@test "two stack build at once on one store: both succeed, and agree" {
	df slow 'FROM bb' 'COPY f /f' 'RUN echo started; sleep 0.5; echo finished > /done'
	stack_bg "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/err1" build
	p1=$BG_PID
	stack_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" build
	p2=$BG_PID
	wait_exit "$p1" 60
	s1=$BG_STATUS
	wait_exit "$p2" 60
	s2=$BG_STATUS
	cat "$BATS_TEST_TMPDIR/err1" "$BATS_TEST_TMPDIR/err2" >&2
	[ "$s1" -eq 0 ] && [ "$s2" -eq 0 ] || false
	assert_build_clean
	run -0 stack build
	assert_all_cached
	run -0 stack run -T s cat /done
	[ "$output" = "finished" ]
}

@test "kill -9 while a COPY writes its layer: the next build succeeds and copies it all" {
	many_files 2000 'CMD ["sh", "-c", "ls /many | wc -l"]'
	interrupt_builds KILL 4
	run -0 stack build
	assert_build_clean
	run -0 stack run -T s
	[ "$output" = "2000" ]
}
