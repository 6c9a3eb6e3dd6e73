#!/usr/bin/env bats
# Names from a hostile source reach error messages: a rootfs tarball's
# entry name with terminal escapes and a newline was printed as it was, so
# it could clear the user's screen, retitle the terminal, or add a forged
# line ("fake: all good") after hiding the real error.  Errors are printed
# with control bytes escaped (\n, \x1b), on one line.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

@test "a tarball entry name with escapes and a newline is printed escaped, on one line" {
	python3 - "$BATS_TEST_TMPDIR/esc.tar" <<-'PY'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
	    ti = tarfile.TarInfo("../\x1b]0;pwned\x07\x1b[2J\nfake: all good")
	    t.addfile(ti, io.BytesIO(b""))
	PY
	printf 'name: t\nbases:\n  e: {rootfs: ./esc.tar}\nservices:\n  s: {image: e}\n' >"$BATS_TEST_TMPDIR/stack.yaml"
	run --separate-stderr stack run --rm s true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"esc.tar"* ]] || { echo "not the import's error: $stderr" >&2; return 1; }
	! grep -q $'\x1b' <<<"$stderr" || { echo "an escape byte reached the terminal: $(od -c <<<"$stderr" | head)" >&2; return 1; }
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || { echo "the name added a line:"$'\n'"$stderr" >&2; return 1; }
	[[ "$stderr" == *'\x1b]0;pwned\x07\x1b[2J\nfake: all good'* ]] || { echo "not shown escaped: $stderr" >&2; return 1; }
	assert_no_leftovers
}
