#!/usr/bin/env bats
# The seeds' espresso chain (examples/espresso), built for real: the
# debootstrap bookworm base, then python3-pip3 -> flask112 -> espresso ->
# espresso-run with apt-get from the Debian archive, as a user runs it.
#
# The first build on a machine takes minutes (debootstrap, apt); its store
# is kept at /var/cache/stack-ci/espresso (STACK_ESPRESSO_CACHE overrides
# it), so later runs of this file on the machine start from the cache, as a
# developer's second `stack build` does.  The example is copied to a temp
# dir first: the test writes its .env and edits files there, never in the
# source tree.  Needs root and the Debian archive as the host's apt
# configuration reaches it.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/espresso_env
load helpers/build_env

setup_file() { espresso_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { espresso_setup; }
teardown() { run_env_teardown; }

# the line number in $output of IMAGE's "built" line
built_at() {
	grep -n "^\[$1\] built$" <<<"$output" | cut -d: -f1
}

@test "espresso: the four images build in their FROM order from the debootstrap base, then all CACHED" {
	RUN_TIMEOUT=3600 run -0 esp build --progress plain
	local a b c d
	a=$(built_at python3-pip3) b=$(built_at flask112) c=$(built_at espresso) d=$(built_at espresso-run)
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ] || { echo "$output" >&2; return 1; }
	[ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] && [ "$c" -lt "$d" ] || false
	run -0 esp build --progress plain
	assert_all_cached
	[ "$(grep -c '^\[python3-pip3 [0-9]*/[0-9]*\] RUN apt-get' <<<"$output")" -eq 3 ]
	assert_build_clean
}

@test "espresso: stack run starts Flask as earl, reading the read-only .env secret" {
	run -0 esp build --progress quiet
	# the image's ENTRYPOINT is `flask run`; run it in the background and
	# ask it from inside the container (ports come with stack up)
	run -0 esp run --rm -T --entrypoint "" espresso sh -c '
		id -u; id -un
		flask run --host 0.0.0.0 --port 5000 >/tmp/flask.log 2>&1 &
		for i in $(seq 100); do
			python3 -c "import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:5000/\").read().decode())" 2>/dev/null && break
			sleep 0.1
		done
		echo x >>/espresso/.env || echo env-read-only'
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = earl ]
	[[ "$output" == *"espresso-$CANARY"* ]]
	[[ "$output" == *env-read-only* ]]
	assert_no_leftovers
}

@test "espresso: .env is in no layer of any image (store and stack image save)" {
	run -0 esp build --progress quiet
	local img layer layers app=0
	for img in python3-pip3 flask112 espresso espresso-run; do
		run -0 esp image inspect "$img"
		# every layer directory of the image
		layers=$(grep -oE '"/[^"]*/layers/[0-9a-f]{64}"' <<<"$output" | tr -d '"')
		[ -n "$layers" ] || { echo "$img: no layer dirs in: $output" >&2; return 1; }
		for layer in $layers; do
			[ ! -e "$layer/espresso/espresso.py" ] || app=1 # the COPY . layer is among them
			[ ! -e "$layer/espresso/.env" ] || { echo "$img: $layer holds .env" >&2; return 1; }
			! grep -rqs "s3cr3t-$CANARY" "$layer/espresso" || { echo "$img: $layer holds the secret" >&2; return 1; }
		done
	done
	[ "$app" = 1 ] # the scan saw the layer COPY . wrote
	run -0 esp image save espresso-run -o "$BATS_TEST_TMPDIR/esp.tar"
	mkdir "$BATS_TEST_TMPDIR/x"
	tar -xf "$BATS_TEST_TMPDIR/esp.tar" -C "$BATS_TEST_TMPDIR/x"
	local blob n=0
	for blob in "$BATS_TEST_TMPDIR"/x/blobs/sha256/*; do
		if tar -tf "$blob" >/dev/null 2>&1; then
			n=$((n + 1))
			! tar -tf "$blob" | grep -qE '(^|/)\.env$' || { echo "a saved layer holds .env" >&2; return 1; }
			[ "$(tar -xOf "$blob" 2>/dev/null | grep -c "s3cr3t-$CANARY")" -eq 0 ]
		fi
	done
	[ "$n" -ge 5 ] # the base and the RUN/COPY layers of the chain
}

@test "espresso: editing espresso.py rebuilds only espresso and espresso-run" {
	run -0 esp build --progress plain
	echo "# touched by the test $$" >>espresso.py
	run -0 esp build --progress plain
	! grep -E '^\[(python3-pip3|flask112) [0-9]+/[0-9]+\] ' <<<"$output" | grep -v '  CACHED$' || false
	grep -E '^\[espresso [0-9]+/[0-9]+\] COPY ' <<<"$output" | grep -vq '  CACHED$'
	grep -E '^\[espresso-run [0-9]+/[0-9]+\] RUN useradd' <<<"$output" | grep -vq '  CACHED$'
	# put it back: the cache has the original too
	sed -i "/# touched by the test $$/d" espresso.py
	run -0 esp build --progress plain
	assert_all_cached
}
