#!/usr/bin/env bats
# Hostile stack files and command lines: names that would become paths
# outside the state dirs, values that would add lines to a generated
# /etc/hosts, and limits that would silently mean "no limit" or fail only at
# run.  Each is refused by `stack config` and by `stack run` with exit 2, a
# FILE:LINE:COL error and a hint, and nothing is written anywhere (neither
# under STACK_ROOT/STACK_RUN nor at the path the name points to).  And a
# base is keyed by what it was imported from: two projects with a base of
# the same name each run their own rootfs, and a changed rootfs is imported
# again.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

# refused SERVICES_AND_MORE PATTERN: ./stack.yaml (project t, base bb) with
# the given text after it; `stack config` and `stack run s true` both exit 2
# with a stack.yaml:LINE:COL error matching PATTERN and a hint, and leave
# the file system as it was.
refused() {
	printf '%s\n' "$1" | stack_file
	local before after
	before=$(snapshot)
	run --separate-stderr stack config
	[ "$status" -eq 2 ] || { echo "config exited $status, want 2: $stderr" >&2; return 1; }
	[ -z "$output" ] || { echo "config printed: $output" >&2; return 1; }
	grep -Eq "stack\.yaml:[0-9]+:[0-9]+: error: .*$2" <<<"$stderr" ||
		{ echo "config: no stack.yaml:LINE:COL error matching /$2/ in: $stderr" >&2; return 1; }
	grep -q '^  hint: ' <<<"$stderr" || { echo "config: no hint in: $stderr" >&2; return 1; }
	export V=pwned
	run --separate-stderr stack run -T s true
	unset V
	[ "$status" -eq 2 ] || { echo "run exited $status, want 2: $stderr" >&2; return 1; }
	grep -Eq "stack\.yaml:[0-9]+:[0-9]+: error: .*$2" <<<"$stderr" ||
		{ echo "run: no stack.yaml:LINE:COL error matching /$2/ in: $stderr" >&2; return 1; }
	after=$(snapshot)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; return 1; }
}

# accepted SERVICES_AND_MORE: the same stack file passes `stack config`.
accepted() {
	printf '%s\n' "$1" | stack_file
	run --separate-stderr stack config -q
	[ "$status" -eq 0 ] || { echo "config exited $status for: $1: $stderr" >&2; return 1; }
}

@test "a secret named ../../../x with environment: is refused, and stack run writes nothing at that host path" {
	# STACK_RUN/t/ID.secrets/../../../x is this file's temp dir /x.
	refused 'secrets:
  "../../../x": {environment: V}
services:
  s: {image: bb, secrets: ["../../../x"]}' 'invalid secret name `\.\./\.\./\.\./x`'
	[ ! -e "$BATS_FILE_TMPDIR/x" ]
	[ ! -e "$STACK_RUN/x" ]
}

@test "secret, volume, service and project names that are paths or not one file name are refused" {
	local s='s: {image: bb}'
	refused "secrets: {\"/tmp/stack-hostile-x\": {environment: V}}
services: {$s}" 'invalid secret name `/tmp/stack-hostile-x`'
	[ ! -e /tmp/stack-hostile-x ]
	refused "secrets: {\"a\\nb\": {environment: V}}
services: {$s}" 'invalid secret name `a\\nb`'
	refused "secrets: {.hidden: {environment: V}}
services: {$s}" 'invalid secret name `\.hidden`'
	refused "secrets: {-x: {environment: V}}
services: {$s}" 'invalid secret name `-x`'
	refused "volumes: {..: }
services: {s: {image: bb, volumes: [\"..:/data\"]}}" 'invalid volume name `\.\.`'
	refused "services: {$s, ../up: {image: bb}}" 'invalid service name `\.\./up`'
	refused "services: {$s, $(printf 'w%.0s' $(seq 64)): {image: bb}}" 'invalid service name'
	# the project name is the run dir STACK_RUN/NAME
	printf 'services:\n  s: {image: bb}\n' | stack_file '../../escape'
	run --separate-stderr stack run -T s true
	[ "$status" -eq 2 ]
	[[ "$stderr" =~ stack\.yaml:1:7:\ error:\ invalid\ project\ name ]]
	# one test per line: in `a && b` a failing `a` does not fail the test (set -e)
	[ ! -e "$BATS_FILE_TMPDIR/escape" ]
	[ ! -e "$STACK_RUN/../../escape" ]
	run --separate-stderr stack -p ../x run -T s true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *'invalid project name `../x` given with -p'* ]]
	[ ! -e "$BATS_FILE_TMPDIR/x" ]
}

@test "the longest names (63 characters) are accepted" {
	local n63
	n63=$(printf 'n%.0s' $(seq 63))
	accepted "secrets: {$n63: {environment: V}}
volumes: {$n63: }
services: {$n63: {image: bb, secrets: [$n63], volumes: [\"$n63:/data\"]}}"
}

@test "a hostname that would add a line to /etc/hosts, or that sethostname refuses, is refused" {
	refused 'services: {s: {image: bb, hostname: "a\n6.6.6.6 bank"}}' '`hostname`: `a\\n6\.6\.6\.6 bank` is not a valid host name'
	refused 'services: {s: {image: bb, hostname: "a 6.6.6.6"}}' '`hostname`'
	refused 'services: {s: {image: bb, hostname: "a\tb"}}' '`hostname`'
	refused 'services: {s: {image: bb, hostname: -a}}' '`hostname`'
	refused "services: {s: {image: bb, hostname: $(printf 'h%.0s' $(seq 65))}}" '`hostname`'
	refused "services: {s: {image: bb, hostname: $(printf 'h%.0s' $(seq 64))}}" '`hostname`'
	accepted "services: {s: {image: bb, hostname: $(printf 'h%.0s' $(seq 63))}}"
	accepted "services: {s: {image: bb, hostname: $(printf 'h%.0s' $(seq 62)).b}}"
	# and a valid one reaches the container's /etc/hosts as one line
	one_service '{image: bb, hostname: web-1.example}'
	run --separate-stderr stack run -T s cat /etc/hosts
	[ "$status" -eq 0 ]
	[ "$(grep -c 'web-1.example' <<<"$output")" -eq 1 ]
	[[ "$output" == *$'127.0.0.1\tlocalhost web-1.example'* ]]
}

@test "cpus below 0.01 or above the host's CPU count is refused with the range; both ends are accepted" {
	local n
	n=$(getconf _NPROCESSORS_ONLN)
	refused 'services: {s: {image: bb, cpus: 1e10}}' "\`cpus\`: 1e10 is out of range: expected 0\.01 to $n"
	refused 'services: {s: {image: bb, cpus: 0.000001}}' '`cpus`: 0\.000001 is out of range: expected 0\.01 to'
	refused 'services: {s: {image: bb, cpus: 0.009}}' '`cpus`: 0\.009 is out of range'
	refused "services: {s: {image: bb, cpus: $n.01}}" '`cpus`: .* is out of range'
	refused 'services: {s: {image: bb, deploy: {resources: {limits: {cpus: "0.001"}}}}}' '`deploy\.resources\.limits\.cpus`: 0\.001 is out of range'
	accepted 'services: {s: {image: bb, cpus: 0.01}}'
	accepted "services: {s: {image: bb, cpus: $n}}"
	accepted 'services: {s: {image: bb, cpus: 0}}'
}

@test "pids_limit above the kernel's 4194304 or below -1 is refused with the range; -1, 0, 1 and 4194304 are accepted" {
	refused 'services: {s: {image: bb, pids_limit: 9223372036854775807}}' '`pids_limit`: expected an integer from -1 to 4194304'
	refused 'services: {s: {image: bb, pids_limit: 4194305}}' '`pids_limit`: expected an integer from -1 to 4194304'
	refused 'services: {s: {image: bb, pids_limit: -2}}' '`pids_limit`: expected an integer from -1 to 4194304'
	refused 'services: {s: {image: bb, deploy: {resources: {limits: {pids: 4194305}}}}}' 'limits\.pids`: expected an integer from -1 to 4194304'
	local v
	for v in -1 0 1 4194304; do
		accepted "services: {s: {image: bb, pids_limit: $v}}"
	done
}

@test "a memory limit below Docker's 6m is refused at load time, not with 'init exited' at run" {
	refused 'services: {s: {image: bb, mem_limit: 1}}' '`mem_limit`: 1 is below the minimum of 6m'
	refused 'services: {s: {image: bb, mem_limit: 6291455}}' '`mem_limit`: 6291455 is below the minimum of 6m'
	refused 'services: {s: {image: bb, mem_limit: 1k}}' '`mem_limit`: 1k is below the minimum of 6m'
	refused 'services: {s: {image: bb, mem_limit: 64m, memswap_limit: 5m}}' '`memswap_limit`: 5m is below the minimum'
	refused 'services: {s: {image: bb, deploy: {resources: {limits: {memory: 1m}}}}}' 'limits\.memory`: 1m is below the minimum'
	accepted 'services: {s: {image: bb, mem_limit: 0}}'
	accepted 'services: {s: {image: bb, mem_limit: 6291456}}'
	accepted 'services: {s: {image: bb, mem_limit: 6m, memswap_limit: -1}}'
	# the minimum is enough to run a container
	one_service '{image: bb, mem_limit: 6m}'
	run --separate-stderr stack run -T s echo ran
	[ "$status" -eq 0 ] && [ "$output" = ran ] || { echo "exit $status: $stderr" >&2; return 1; }
	assert_no_leftovers
}

@test "nofile above fs.nr_open and cpu_shares outside 2..262144 are refused with the range; the ends are accepted" {
	local max
	max=$(cat /proc/sys/fs/nr_open)
	refused "services: {s: {image: bb, ulimits: {nofile: $((max + 1))}}}" "\`ulimits\.nofile\`: $((max + 1)) is out of range: expected 0 to $max"
	refused 'services: {s: {image: bb, ulimits: {nofile: unlimited}}}' '`ulimits\.nofile`: unlimited is out of range'
	refused "services: {s: {image: bb, ulimits: {nofile: {soft: 1024, hard: $((max + 1))}}}}" '`ulimits\.nofile`: .* is out of range'
	accepted "services: {s: {image: bb, ulimits: {nofile: $max}}}"
	accepted 'services: {s: {image: bb, ulimits: {nofile: 0, core: unlimited}}}'
	refused 'services: {s: {image: bb, cpu_shares: 1}}' '`cpu_shares`: expected an integer from 2 to 262144'
	refused 'services: {s: {image: bb, cpu_shares: 262145}}' '`cpu_shares`: expected an integer from 2 to 262144'
	accepted 'services: {s: {image: bb, cpu_shares: 2}}'
	accepted 'services: {s: {image: bb, cpu_shares: 262144}}'
}

@test "stack run --name that is not one file name is refused before any file is touched" {
	printf 'services:\n  s: {image: bb}\n' | stack_file
	# STACK_RUN/t/../../dir/f.lock is this file's temp dir /dir/f.lock
	mkdir -p "$BATS_FILE_TMPDIR/dir"
	echo keep >"$BATS_FILE_TMPDIR/dir/f.lock"
	local before name
	before=$(snapshot)
	for name in ../../dir/f a/b .x -x "a
b" "$(printf 'n%.0s' $(seq 64))"; do
		run --separate-stderr stack run -T --name "$name" s true
		[ "$status" -eq 2 ] || { echo "--name '$name': exit $status: $stderr" >&2; return 1; }
		[[ "$stderr" == *"--name: invalid container name"* ]]
		[[ "$stderr" != *$'\n'b\`* ]] # the newline is shown escaped
	done
	[ "$(cat "$BATS_FILE_TMPDIR/dir/f.lock")" = keep ]
	[ "$before" = "$(snapshot)" ]
	rm -r "$BATS_FILE_TMPDIR/dir"
	# a valid name still runs
	run --separate-stderr stack run -T --name my_ct.1 s true
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

# two_projects KIND: projects p1 and p2 in ./p1 and ./p2, each with a base
# named `debian` made from its own copy of the busybox rootfs (a directory,
# or with KIND=tar an archive of it) whose /marker names the project.
two_projects() {
	local p
	for p in p1 p2; do
		mkdir -p "$p"
		cp -a "$ROOTFS" "$p/rootfs"
		echo "$p" >"$p/rootfs/marker"
		local src=./rootfs
		if [ "$1" = tar ]; then
			tar -C "$p/rootfs" -cf "$p/rootfs.tar" .
			src=./rootfs.tar
		fi
		printf 'name: %s\nbases:\n  debian: {rootfs: %s}\nservices:\n  s: {image: debian}\n' "$p" "$src" >"$p/stack.yaml"
	done
}

# marker_of PROJECT: what `cat /marker` prints in that project's container.
marker_of() {
	timeout -k 5 60 "$STACK_BIN" -f "$1/stack.yaml" run -T s cat /marker
}

@test "two projects with a base named debian (directories) each run their own rootfs; a changed rootfs is imported again" {
	two_projects dir
	[ "$(marker_of p1)" = p1 ]
	[ "$(marker_of p2)" = p2 ]
	[ "$(marker_of p1)" = p1 ]
	# a file at the top rewritten in place, and a file added one level down
	echo p1-changed >p1/rootfs/marker
	[ "$(marker_of p1)" = p1-changed ]
	echo p2-etc >p2/rootfs/etc/motd
	run --separate-stderr timeout 60 "$STACK_BIN" -f p2/stack.yaml run -T s cat /etc/motd /marker
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'p2-etc\np2')" ]
	assert_no_leftovers
}

@test "two projects with a base named debian (archives) each run their own rootfs; a changed archive is imported again" {
	two_projects tar
	[ "$(marker_of p1)" = p1 ]
	[ "$(marker_of p2)" = p2 ]
	echo p2-new >p2/rootfs/marker
	tar -C p2/rootfs -cf p2/rootfs.tar .
	[ "$(marker_of p2)" = p2-new ]
	[ "$(marker_of p1)" = p1 ]
	assert_no_leftovers
}

@test "an environment, label or build-arg name with = or a newline is refused; the value may hold both" {
	refused 'services: {s: {image: bb, environment: {"A=B": x}}}' '`environment`: the name `A=B` contains `='
	refused 'services: {s: {image: bb, environment: {"A\nB": x}}}' '`environment`: the name `A\\nB` contains a control character'
	refused 'services: {s: {image: bb, environment: ["A\nB=x"]}}' '`environment`: the name `A\\nB` contains a control character'
	refused 'services: {s: {image: bb, environment: {"A\tB": x}}}' 'contains a control character'
	refused 'services: {s: {image: bb, labels: {"l\nx": v}}}' '`labels`: the name `l\\nx` contains a control character'
	refused 'images: {i: {context: ., dockerfile_inline: "FROM bb", args: {"A=B": x}}}
services: {s: {image: bb}}' 'the name `A=B` contains `='
	# `=` and newlines in a value are the value's: the process sees them whole
	one_service '{image: bb, environment: {A: "x=y\nz"}, labels: {l: "a=b"}}'
	run --separate-stderr stack run -T s sh -c 'printf "%s|" "$A"'
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
	[ "$output" = $'x=y\nz|' ]
}
