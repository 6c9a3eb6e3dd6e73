#!/usr/bin/env bats
# A hostile image's /sys/fs/cgroup (a regular file, a dangling symlink):
# the container still gets its own read-only cgroups there (the kernel's
# sysfs covers the image's /sys), and nothing lands on the host.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	HOST=$BATS_TEST_TMPDIR/host
	mkdir -p "$HOST"
}
teardown() { run_env_teardown; }

@test "an image whose /sys/fs/cgroup is a file or a dangling symlink: the container's own cgroups, read-only, host untouched" {
	for code in 'mkdir -p sys/fs && echo image >sys/fs/cgroup' \
		'mkdir -p sys/fs && ln -s "$HOST/gone" sys/fs/cgroup'; do
		hostile_image "$code" '{image: evil, pids_limit: 77}' </dev/null
		run --separate-stderr stack run --rm -T s sh -c \
			'cat /sys/fs/cgroup/pids/pids.max; touch /sys/fs/cgroup/pids/x 2>/dev/null || echo ro'
		[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
		[ "$output" = $'77\nro' ]
		[ ! -e "$HOST/gone" ]
	done
	assert_no_leftovers
}
