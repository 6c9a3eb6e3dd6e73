#!/usr/bin/env bash
# bench/run.sh: container start latency of `stack run --rm SERVICE true`
# against crun and runc (each with and without seccomp) and a bare floor
# (bench/floor.c), all on the same busybox rootfs, in ONE hyperfine run.
# Writes docs/benchmarks.md (or $BENCH_OUT).  Needs root.
#
# Environment: STACK_BIN (default: build/orchestrator/stack, rebuilt with
# scripts/build.sh first), RUNS (50), WARMUP (5), BENCH_OUT
# (docs/benchmarks.md).  With BENCH_RESULTS=DIR (bench/all.sh sets it) the
# results are left in DIR (start.json, start-checks.txt, start-stack.yaml,
# start-meta.json) for all.sh's page instead of writing one.
#
# Everything it creates (temp dir, bundles, container state, cgroups) is
# removed on exit, also on failure or ^C.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
# Without STACK_BIN, build/ is brought up to date first (scripts/build.sh).
build_stack=no
[ -n "${STACK_BIN:-}" ] || build_stack=yes
invocation="bench/run.sh"
[ "$build_stack" = yes ] || invocation="STACK_BIN=${STACK_BIN#"$src/"} $invocation"
[ -z "${RUNS:-}" ] || invocation="RUNS=$RUNS $invocation"
[ -z "${WARMUP:-}" ] || invocation="WARMUP=$WARMUP $invocation"
STACK_BIN=${STACK_BIN:-$src/build/orchestrator/stack}
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
BENCH_OUT=${BENCH_OUT:-$src/docs/benchmarks.md}

bench_need hyperfine crun runc cc python3 unshare
bench_need_root

# Container ids and the stack cgroup parent all start with this, so the
# cleanup can find what a crash left behind.
tag=stackbench-$$
tmp=$(mktemp -d /tmp/stackbench.XXXXXX)

cleanup() {
	local rc=$?
	set +e
	if [ -n "$hf_pid" ]; then
		kill -TERM "$hf_pid" 2>/dev/null
		wait "$hf_pid" 2>/dev/null
	fi
	for rt in crun runc; do
		"$rt" list -q 2>/dev/null | grep "^$tag" | while read -r id; do "$rt" delete -f "$id"; done
	done
	# No mounts to undo: the only one (hide_v2's bind) and every
	# container's are in mount namespaces that are gone by now.
	# Cgroups named after $tag (crun's and runc's containers, stack's parent).
	bench_rm_cgroups "$tag"
	rm -rf "$tmp"
	exit "$rc"
}
hf_pid=""
trap cleanup EXIT
trap '[ -z "$hf_pid" ] || kill -TERM "$hf_pid" 2>/dev/null; exit 130' INT TERM

# ---- what is timed -------------------------------------------------------
echo "bench: preparing in $tmp"
cc -O2 -Wall -Wextra -o "$tmp/floor" "$src/bench/floor.c"
"$src/tests/fixtures/busybox-rootfs.sh" "$tmp/rootfs" >/dev/null

# Run once in each configuration (untimed) to show, in the report, that the
# settings are in force: caps, no_new_privs, seccomp mode, cgroup limits as
# seen from inside (v1 paths, then v2), network devices.
# shellcheck disable=SC2016 # expanded inside the container
probe='c=$(grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t\n" "  ")
m=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max 2>/dev/null || echo "?")
p=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null || echo "?")
s=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || echo "?")
n=$(ls /sys/class/net 2>/dev/null | tr "\n" " ")
echo "${c}memory=$m pids=$p cpu.shares=$s netdevs=${n:-?}"'

# crun and runc use the rootfs directory in place (no overlay): each bundle
# gets its own copy so nothing one writes is seen by another.
for rt in crun runc; do
	mkdir -p "$tmp/spec-$rt"
	(cd "$tmp/spec-$rt" && "$rt" spec)
	for sc in seccomp noseccomp; do
		b=$tmp/bundle-$rt-$sc
		mkdir -p "$b"
		cp -a "$tmp/rootfs" "$b/rootfs"
		if [ $sc = seccomp ]; then
			opt=--seccomp=$src/bench/seccomp-default.json
		else
			opt=--no-seccomp
		fi
		python3 "$src/bench/mkbundle.py" "$tmp/spec-$rt/config.json" "$b/rootfs" "$b/config.json" "$opt"
		# Same settings, running the probe instead of `true` (untimed).
		mkdir -p "$tmp/check-$rt-$sc"
		python3 "$src/bench/mkbundle.py" "$tmp/spec-$rt/config.json" "$b/rootfs" \
			"$tmp/check-$rt-$sc/config.json" "$opt" -- sh -c "$probe"
	done
done

# stack: its own STACK_ROOT / STACK_RUN / cgroup parent, a base from the
# same rootfs, and a service with every isolation feature on.  The
# defaults are spelled out where the stack file has a key for them.
mkdir -p "$tmp/stack" "$tmp/stack-root" "$tmp/stack-run"
cat >"$tmp/stack/stack.yaml" <<EOF
name: stackbench
bases:
  busybox: {rootfs: $tmp/rootfs}
services:
  bench:
    image: busybox
    # a private network namespace with only lo, as the peers' config has
    # (the default, the stack's network, is the row "stack run, stack network")
    network_mode: none
    cap_drop: [SETUID, SETGID]
    mem_limit: 256m
    pids_limit: 256
    cpu_shares: 512
    security_opt: [no-new-privileges:true]   # seccomp: the built-in default
    init: true
  benchnet:
    image: busybox
    cap_drop: [SETUID, SETGID]
    mem_limit: 256m
    pids_limit: 256
    cpu_shares: 512
    security_opt: [no-new-privileges:true]
    init: true
EOF
export STACK_ROOT=$tmp/stack-root STACK_RUN=$tmp/stack-run STACK_CGROUP_PARENT=$tag
stack_cmd="$STACK_BIN -f $tmp/stack/stack.yaml run --rm bench true"

# One untimed run: it imports the rootfs into the layer store and fills the
# seccomp BPF cache (hyperfine's warm-up repeats that).  If it fails, stack
# run is reported as not available and the peers are still measured.
stack_status=ok
# shellcheck disable=SC2086 # $stack_cmd is split into words on purpose, as hyperfine -N does
if [ "$build_stack" = yes ] && ! "$src/scripts/build.sh" >"$tmp/build.log" 2>&1; then
	tail -n 5 "$tmp/build.log" >&2
	stack_status="not available: \`scripts/build.sh\` failed"
elif [ ! -x "$STACK_BIN" ]; then
	stack_status="not available: no binary at $STACK_BIN"
elif ! out=$(timeout 60 $stack_cmd 2>&1); then
	stack_status="not available: \`stack run\` failed: $(printf '%s' "$out" | head -n 3 | tr '\n' ' ')"
fi
echo "bench: stack run: $stack_status"

# crun picks cgroup v2 when /sys/fs/cgroup/unified lists any controller
# (here: hugetlb) and then refuses the hybrid layout.  The checks and
# hyperfine run in a private mount namespace where an empty file hides that
# list, so crun uses the v1 hierarchies (memory, pids, cpu) like runc and
# stack.  Every command runs in that same namespace; nothing outside it
# changes, and it goes away with the last process in it.
v2ctl=$BENCH_V2CTL
hide_v2=no
if bench_hide_v2_needed; then
	: >"$tmp/empty"
	hide_v2=yes
fi

cmds=(-n floor "$tmp/floor $tmp/rootfs")
checks=()
if [ "$stack_status" = ok ]; then
	cmds+=(-n "stack run" "$stack_cmd")
	# the same on the stack's default network: a veth into the bridge of
	# the stack's own network namespace, made (and removed) by this one run
	cmds+=(-n "stack run, stack network" "$STACK_BIN -f $tmp/stack/stack.yaml run --rm benchnet true")
	# The limits as the host's cgroups hold them, read while the probe
	# container sleeps (what the container sees is in run_cgroupns.bats).
	cat >"$tmp/check-stack.sh" <<EOF
$STACK_BIN -f $tmp/stack/stack.yaml run --rm bench sh -c '$probe; sleep 2' &
sleep 1
lim() { cat /sys/fs/cgroup/\$1/$tag/*/\$2 2>/dev/null || echo '?'; }
echo "host side: memory=\$(lim memory memory.limit_in_bytes) pids=\$(lim pids pids.max) cpu.shares=\$(lim cpu cpu.shares)"
wait
EOF
	checks+=("stack run" "sh $tmp/check-stack.sh")
fi
for rt in crun runc; do
	for sc in seccomp noseccomp; do
		id="$tag-$rt-$sc-\$\$"   # \$\$: the pid of the wrapper sh, new each run
		name="$rt"
		[ $sc = seccomp ] && name="$rt + seccomp"
		cmds+=(-n "$name" "sh -c '$rt run --bundle $tmp/bundle-$rt-$sc $id && $rt delete -f $id'")
		checks+=("$name" "$rt run --bundle $tmp/check-$rt-$sc $tag-check-$rt-$sc")
	done
done

# -N: hyperfine execs each command itself (no shell, nothing to subtract:
# its shell-start-up correction is as noisy as the floor is long).  The
# peers' run+delete pair goes through a `sh -c` wrapper, which they pay
# (dash: ~1 ms).  Output to a pipe so no TTY is handed out.
hf=(hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --output=pipe --time-unit millisecond
    --export-json "$tmp/result.json" --export-markdown "$tmp/result.md" "${cmds[@]}")

in_namespace() {
	if [ "$hide_v2" = yes ]; then
		mount --bind "$tmp/empty" "$v2ctl"
	fi
	local i
	: >"$tmp/checks.txt"
	for ((i = 0; i < ${#checks[@]}; i += 2)); do
		printf '%s\t%s\n' "${checks[i]}" "$(sh -c "${checks[i + 1]}" 2>&1 | tr '\n' ' ')" >>"$tmp/checks.txt"
	done
	sed 's/^/bench: check: /' "$tmp/checks.txt"
	exec "${hf[@]}"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# In the background and waited for: bash runs the INT/TERM trap during
# `wait` (not while a foreground child runs), and hyperfine itself carries
# on after a ^C that only its current command handled; so the trap stops it.
unshare -m --propagation private bash -c "set -euo pipefail
$(declare -p tmp v2ctl hide_v2 checks hf)
$(declare -f in_namespace)
in_namespace" &
hf_pid=$!
wait "$hf_pid"
hf_pid=""

# ---- the report ----------------------------------------------------------
if [ -n "${BENCH_RESULTS:-}" ]; then
	cp "$tmp/result.json" "$BENCH_RESULTS/start.json"
	cp "$tmp/checks.txt" "$BENCH_RESULTS/start-checks.txt"
	sed "s|$tmp|TMP|g" "$tmp/stack/stack.yaml" >"$BENCH_RESULTS/start-stack.yaml"
	python3 -c 'import json, sys; json.dump(dict(zip(sys.argv[1::2], sys.argv[2::2])), sys.stdout)' \
		stack_status "$stack_status" hid_v2 "$hide_v2" load "$load_before" \
		runs "$RUNS" warmup "$WARMUP" >"$BENCH_RESULTS/start-meta.json"
	echo "bench: start results in $BENCH_RESULTS"
	exit 0
fi
python3 "$src/bench/report.py" "$tmp/result.json" "$BENCH_OUT" \
	--stack-status "$stack_status" --invocation "$invocation" \
	--stack-file "$tmp/stack/stack.yaml" --tmp "$tmp" \
	--load "$load_before" \
	--machine "$(bench_machine)" \
	--cgroups "$(bench_cgroups)" \
	--hid-v2 "$hide_v2" --checks "$tmp/checks.txt" \
	--version "crun=$(crun --version | head -n1)" \
	--version "runc=$(runc --version | head -n1) ($(runc --version | grep -i libseccomp || true))" \
	--version "hyperfine=$(hyperfine --version)" \
	--version "stack=$(bench_stack_version "$src")" \
	--runs "$RUNS" --warmup "$WARMUP"
echo "bench: wrote $BENCH_OUT"
