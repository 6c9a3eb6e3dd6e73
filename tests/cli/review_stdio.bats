#!/usr/bin/env bats
# A regular file on stack run's stdin or stdout (`stack run s < notes.txt`,
# `>> log`) handed to the container as it is: root inside reopens it
# through /proc/self/fd/N with the permissions of the inode, not of our
# fd, so a file given read-only is written (even at mode 0444, with
# CAP_DAC_OVERRIDE), a log given for appending is truncated, and the host
# path shows.  Without a user namespace uid 1000 inside is uid 1000 on the
# host: the user's own files are open to it too.  Like a terminal or a
# directory, a regular file is relayed through a pipe (what `docker run`
# gives a container too); what the container reads and writes is the same.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

@test "a regular file on stdin cannot be written by the container through /proc/self/fd/0 (root; uid 1000 owning it)" {
	one_service
	local f=$BATS_TEST_TMPDIR/notes.txt
	echo original >"$f"
	chmod 0444 "$f"
	run --separate-stderr stack run --rm -T s sh -c 'echo pwned >/proc/self/fd/0; readlink /proc/self/fd/0; cat' <"$f"
	[ "$(cat "$f")" = original ] || { echo "container root wrote the host file given as stdin: $(cat "$f")" >&2; return 1; }
	[[ "$output" != *"$f"* ]] || { echo "the host path showed: $output" >&2; return 1; }
	# the container still reads it (cat of stdin)
	[[ "$output" == *original* ]] || { echo "stdin not read: $output / $stderr" >&2; return 1; }
	# uid 1000 inside is uid 1000 outside: a file of that user's
	chmod 0644 "$f"
	chown 1000:1000 "$f"
	run --separate-stderr stack run --rm -T -u 1000 s sh -c 'echo pwned >/proc/self/fd/0; cat' <"$f"
	[ "$(cat "$f")" = original ] || { echo "uid 1000 wrote its host file given as stdin: $(cat "$f")" >&2; return 1; }
	[ "$output" = original ]
	assert_no_leftovers
}

@test "a log on stdout opened for appending (>>) cannot be truncated or rewritten by the container; output still reaches it" {
	one_service
	local log=$BATS_TEST_TMPDIR/run.log
	echo earlier-line >"$log"
	stack run --rm -T s sh -c ': >/proc/self/fd/1; echo appended; readlink /proc/self/fd/1 >&2' >>"$log" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$log")" = $'earlier-line\nappended' ] || { echo "the log is now: $(cat "$log")" >&2; return 1; }
	! grep -qF "$log" "$BATS_TEST_TMPDIR/err" || { echo "the host path showed: $(cat "$BATS_TEST_TMPDIR/err")" >&2; return 1; }
	assert_no_leftovers
}

@test "a big regular file in and out goes through whole" {
	one_service
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/in.bin"
	stack run --rm -T s cat <"$BATS_TEST_TMPDIR/in.bin" >"$BATS_TEST_TMPDIR/out.bin"
	cmp "$BATS_TEST_TMPDIR/in.bin" "$BATS_TEST_TMPDIR/out.bin"
	assert_no_leftovers
}

@test "stdout on a file system that fills up: stack run fails and says so (the output is not dropped silently)" {
	one_service
	SMALL=$BATS_TEST_TMPDIR/small
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=1m tmpfs "$SMALL"
	local st=0 err
	stack run --rm -T s head -c 3000000 /dev/zero >"$SMALL/out" 2>"$BATS_TEST_TMPDIR/err" || st=$?
	err=$(cat "$BATS_TEST_TMPDIR/err")
	umount "$SMALL"
	[ "$st" -ne 0 ] || { echo "stack run exited 0 with its output lost: $err" >&2; return 1; }
	[[ "$err" == *"No space left on device"* ]] || { echo "no ENOSPC said: $err" >&2; return 1; }
	assert_no_leftovers
}
