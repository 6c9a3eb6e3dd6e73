#!/usr/bin/env bats
# stack build on a chain of three images over the busybox base (FROM each
# other, COPY, RUN, ENV, USER, WORKDIR, ENTRYPOINT): built in order, run by
# `stack run` with the image's config, a second build all CACHED without a
# container, a changed COPY source rebuilding exactly its step and what
# comes after it (in its image and in the images built FROM it).

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	df a 'FROM bb' 'ENV GREETING=hello' 'COPY hello.txt /opt/a/' \
		'RUN echo "$GREETING from a" > /opt/a/ran && cat /opt/a/hello.txt'
	echo "hi there" >a/hello.txt
	df b 'FROM a' 'WORKDIR /opt/b' 'COPY . .' 'RUN cat /opt/a/ran && chown -R 1000:1000 /opt/b' 'USER earl'
	echo one >b/one
	mkdir -p b/sub
	echo two >b/sub/two
	df c 'FROM b' 'ENV WHO=c' \
		'ENTRYPOINT ["/bin/sh", "-c", "echo $WHO $GREETING uid=$(id -u) cwd=$(pwd) $(cat /opt/b/one) $(cat /opt/a/ran) \"$@\"", "sh"]' \
		'CMD ["default-arg"]'
	build_stack_file <<-'EOF2'
	images:
	  c: {context: c}
	  b: {context: b}
	  a: {context: a}
	services:
	  app: {image: c}
	EOF2
}
teardown() { run_env_teardown; }

@test "a three-image chain builds in FROM order and runs with the image's config" {
	run stack build
	[ "$status" -eq 0 ]
	# a before b before c, whatever the stack file's order
	a=$(grep -n '^\[a\] built' <<<"$output" | cut -d: -f1)
	b=$(grep -n '^\[b 1/' <<<"$output" | cut -d: -f1)
	b_done=$(grep -n '^\[b\] built' <<<"$output" | cut -d: -f1)
	c=$(grep -n '^\[c 1/' <<<"$output" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] || false
	[ "$a" -lt "$b" ] && [ "$b_done" -lt "$c" ] || false
	# RUN output comes prefixed with its image
	grep -qx 'a | hi there' <<<"$output"
	grep -qx 'b | hello from a' <<<"$output"
	# one line per step with n/N
	step_line a 4 | grep -q 'RUN echo'
	step_line c 4 | grep -q 'CMD \["default-arg"\]'
	run -0 stack run -T app
	[ "$output" = "c hello uid=1000 cwd=/opt/b one hello from a default-arg" ]
	# the service's overrides win over the image's
	run -0 stack run -T -u 0 -w /opt/a -e WHO=override app other
	[ "$output" = "override hello uid=0 cwd=/opt/a one hello from a other" ]
	assert_build_clean
}

@test "a second build is all CACHED and starts no container" {
	run -0 stack build
	# (LeakSanitizer cannot run under ptrace: off in a sanitizer build)
	run -0 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=mount,pivot_root,clone3 -o "$BATS_TEST_TMPDIR/trace" \
		"$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build
	assert_all_cached
	# no container: no mount, no new root, no namespace made
	! grep -E 'pivot_root|mount\(|CLONE_NEW' "$BATS_TEST_TMPDIR/trace" || false
	assert_build_clean
}

@test "a changed COPY source rebuilds exactly its step and what comes after it" {
	run -0 stack build
	echo changed >b/one
	run -0 stack build
	# a: untouched
	[ "$(grep -cE '^\[a [0-9]/4\] .*  CACHED$' <<<"$output")" -eq 4 ]
	# b: FROM and WORKDIR from the cache, the COPY and after it not
	step_line b 1 | grep -q 'CACHED$'
	step_line b 2 | grep -q 'CACHED$'
	for n in 3 4 5; do ! step_line b $n | grep -q 'CACHED$'; done
	grep -qx 'b | hello from a' <<<"$output"
	# c, built FROM b: every step after its FROM again
	for n in 2 3 4; do ! step_line c $n | grep -q 'CACHED$'; done
	run -0 stack run -T app
	[ "$output" = "c hello uid=1000 cwd=/opt/b changed hello from a default-arg" ]
}

@test "a touched but unchanged COPY source is still CACHED (content, not mtime)" {
	run -0 stack build
	touch -d '2001-01-01' b/one b/sub/two a/hello.txt
	run -0 stack build
	assert_all_cached
}

@test "--no-cache runs every step again" {
	run -0 stack build a
	run -0 stack build --no-cache a
	grep -qx 'a | hi there' <<<"$output"
	! step_line a 4 | grep -q 'CACHED$' || false
}

@test "naming a service builds its image and what that builds FROM, nothing else" {
	df other 'FROM bb' 'RUN echo other'
	build_stack_file <<-'EOF2'
	images:
	  c: {context: c}
	  b: {context: b}
	  a: {context: a}
	  other: {context: other}
	services:
	  app: {image: c}
	EOF2
	run -0 stack build app
	grep -q '^\[c\] built' <<<"$output"
	grep -q '^\[a\] built' <<<"$output"
	! grep -q '^\[other' <<<"$output" || false
	run -2 stack build nosuch
	[[ "$output" == *"no image or service \`nosuch\`"* ]]
}

@test "--progress json: one JSON object a line; quiet: nothing but errors" {
	run -0 stack build --no-cache --progress json a
	python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin.read().splitlines()]
steps = [l for l in lines if "step" in l]
assert [s["step"] for s in steps] == [1, 2, 3, 4], steps
assert all(s["steps"] == 4 and s["image"] == "a" for s in steps)
assert any(l.get("output") == "hi there" for l in lines), lines
assert lines[-1] == {"image": "a", "built": True}, lines[-1]
' <<<"$output"
	run -0 stack build --progress quiet a
	[ -z "$output" ]
	run -2 stack build --progress fancy
	[[ "$output" == *"--progress"* ]]
}

@test "an unchanged context is not read again: digests are kept by file metadata" {
	run -0 stack build
	# (LeakSanitizer cannot run under ptrace: off in a sanitizer build)
	run -0 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=open,openat,openat2 -o "$BATS_TEST_TMPDIR/trace" \
		"$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" build
	assert_all_cached
	! grep -E '"(one|sub/two|hello\.txt)"' "$BATS_TEST_TMPDIR/trace" || false
	# a rewrite with the same size and mtime is still seen (its ctime moved)
	echo uno >b/one
	touch -r a/hello.txt b/one
	run -0 stack build
	! step_line b 3 | grep -q 'CACHED$' || false
}

@test "--pull imports the base again; a RUN's non-UTF-8 output still reaches --progress json" {
	run -0 stack build a
	run -0 stack build --pull a
	! step_line a 1 | grep -q 'CACHED$' || false
	# same content: the steps after FROM come from the cache
	step_line a 4 | grep -q 'CACHED$'
	df a 'FROM bb' 'RUN printf "caf\351 ok\n"'
	run -0 stack build --progress json a
	grep -qiF '"output":"caf\ufffd ok"' <<<"$output"
}
