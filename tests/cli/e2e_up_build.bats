#!/usr/bin/env bats
# stack up builds what is stale of the images its services run (the
# builder's cache makes an unchanged one a no-op), --no-build runs them as
# `stack build` left them, and a failing build starts nothing.  On the
# busybox base: seconds, no network.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env
load helpers/build_env

setup_file() {
	run_env_setup_file
	export STACK_CGROUP_PARENT="stack-e2e-$$"
}
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	df app 'FROM bb' 'COPY msg /msg' 'RUN cat /msg >/built'
	echo "first-$RANDOM" >"$BATS_TEST_TMPDIR/app/msg"
	build_stack_file <<-EOF
	images:
	  app: {context: app}
	services:
	  s: {image: app, command: [sh, -c, "cat /built; exec sleep 1000"]}
	EOF
}
teardown() { up_env_teardown; }

# built_says TEXT: the service printed TEXT, its image's /built
built_says() { grep -qF "$1" "$STACK_ROOT/logs/t/s.log" 2>/dev/null; }

@test "up builds an image not built yet, then the same up builds nothing and recreates nothing" {
	run -0 --separate-stderr stack up -d
	[[ "$stderr" == *"[app 3/3] RUN cat /msg >/built"* ]]
	! grep -q '\[app 3/3\] RUN .*  CACHED$' <<<"$stderr" || false
	[[ "$stderr" == *"t-s-1  Started"* ]]
	wait_for 10 built_says "$(cat "$BATS_TEST_TMPDIR/app/msg")"
	local pid
	pid=$(stack ps --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
	run -0 --separate-stderr stack up -d
	output=$stderr assert_all_cached
	[[ "$stderr" == *"Service s  Running"* ]]
	[ "$(stack ps --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')" = "$pid" ]
	# compose's --build: the same (the cache decides), and it excludes --no-build
	run -0 --separate-stderr stack up -d --build
	output=$stderr assert_all_cached
	[ "$(stack ps --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')" = "$pid" ]
	run -2 stack up -d --build --no-build
	[[ "$output" == *"--build and --no-build exclude each other"* ]]
}

@test "up after an edit of the context rebuilds and recreates the service with the new image" {
	run -0 stack up -d
	wait_for 10 built_says "$(cat "$BATS_TEST_TMPDIR/app/msg")"
	echo "second-$RANDOM" >"$BATS_TEST_TMPDIR/app/msg"
	run -0 --separate-stderr stack up -d
	grep -qE '^\[app 2/3\] COPY msg /msg  [0-9.]+s$' <<<"$stderr"
	[[ "$stderr" == *"Service s  Recreated"* ]]
	wait_for 10 built_says "$(cat "$BATS_TEST_TMPDIR/app/msg")"
}

@test "up --no-build does not build: an image not built yet is an error naming stack build, nothing starts" {
	sed -i 's/\bapp\b/fresh/g' "$BATS_TEST_TMPDIR/stack.yaml"
	mv "$BATS_TEST_TMPDIR/app" "$BATS_TEST_TMPDIR/fresh"
	run -1 --separate-stderr stack up -d --no-build
	[[ "$stderr" == *"image \`fresh\` is built from a Dockerfile and is not built yet: run \`stack build fresh\`"* ]]
	! grep -q '^\[fresh ' <<<"$stderr" || false
	! sup_alive || false
	run -0 stack build --progress quiet
	run -0 --separate-stderr stack up -d --no-build
	! grep -q '^\[fresh ' <<<"$stderr" || false
	[[ "$stderr" == *"t-s-1  Started"* ]]
}

@test "up with an image that fails to build says so and starts nothing, leaving nothing behind" {
	df app 'FROM bb' 'RUN echo broken-step; exit 3'
	run -1 --separate-stderr stack up -d
	[[ "$stderr" == *"broken-step"* ]]
	[[ "$stderr" == *"stack up: an image did not build; nothing was started or changed"* ]]
	! sup_alive || false
	[ ! -e "$STACK_RUN/t/supervisor.pid" ]
	assert_build_clean
}
