# bench/lib.sh: shared by bench/run.sh and bench/all.sh (sourced, not run).
# What the pages need from the host (machine, cgroup layout, versions) and
# the pieces of cleanup both scripts do.
# shellcheck shell=bash

# bench_need TOOL...: exit with a hint when one is missing.
bench_need() {
	local tool
	for tool; do
		command -v "$tool" >/dev/null ||
			{ echo "bench: $tool not found: run scripts/deps.sh (bench/all.sh installs the peers)" >&2; exit 1; }
	done
}

bench_need_root() {
	[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
}

bench_machine() {
	printf '%s CPUs (%s), %s GiB RAM, kernel %s, %s' "$(nproc)" \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
		"$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" \
		"$(uname -r)" "$(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release)"
}

# The cgroup2 mount of a hybrid host lists its controllers here; crun
# refuses such a host (see bench_hide_v2_needed).
BENCH_V2CTL=/sys/fs/cgroup/unified/cgroup.controllers

bench_cgroups() {
	local layout
	layout="cgroup v1 at /sys/fs/cgroup/{$(awk '$3 == "cgroup" {print $2}' /proc/mounts | xargs -r -n1 basename | paste -sd, -)}"
	if grep -q ' cgroup2 ' /proc/mounts; then
		layout="$layout + cgroup2 at $(awk '$3 == "cgroup2" {print $2}' /proc/mounts | paste -sd' ' -) (controllers: $(cat "$BENCH_V2CTL" 2>/dev/null || echo none))"
	fi
	printf '%s' "$layout"
}

# crun 1.8 treats a host whose cgroup2 mount lists a controller as v2 and
# then refuses the hybrid layout; an empty file bind-mounted over that list
# (in a private mount namespace) makes it use the v1 hierarchies.
# cgroupfs files stat as empty: read it.
bench_hide_v2_needed() { [ -n "$(cat "$BENCH_V2CTL" 2>/dev/null)" ]; }

bench_stack_version() {
	local src=$1
	printf '%s%s' "$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
}

# bench_rm_cgroups PREFIX: remove the cgroups whose name starts with PREFIX,
# at any depth of any hierarchy (runc nests under its own memory cgroup),
# with whatever is inside, deepest first.  A process still in one (a
# container whose shim was killed) belongs to the run by construction: it
# is killed first, or the cgroup could not go.
bench_rm_cgroups() {
	local dirs p
	dirs=$(find /sys/fs/cgroup -mindepth 2 -type d -name "$1*" -prune 2>/dev/null)
	[ -n "$dirs" ] || return 0
	# shellcheck disable=SC2086 # one path a line, none with blanks
	for p in $(find $dirs -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
		kill -KILL "$p" 2>/dev/null
	done
	sleep 0.5
	for d in $dirs; do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
	return 0
}

# bench_fw_snapshot FILE: the host's firewall (iptables and ip6tables, every
# table) and interfaces, to compare after the run.
bench_fw_snapshot() {
	{
		echo "# iptables-save"
		iptables-save 2>/dev/null | sed -E -e '/^#/d' -e 's/\[[0-9]+:[0-9]+\]/[0:0]/'
		echo "# ip6tables-save"
		ip6tables-save 2>/dev/null | sed -E -e '/^#/d' -e 's/\[[0-9]+:[0-9]+\]/[0:0]/'
		echo "# links"
		ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
		echo "# sysctl"
		sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.route_localnet 2>/dev/null || true
	} >"$1"
}

# bench_fw_restore BEFORE: undo what the peers added to the firewall and
# the interfaces since BEFORE was taken: rules appended (deleted one by
# one), chains created (flushed, removed), links created (deleted).  Only
# the difference is touched, so rules other programs added meanwhile stay.
bench_fw_restore() {
	local before=$1 now
	now=$(mktemp /tmp/bench-fw.XXXXXX)
	bench_fw_snapshot "$now"
	python3 - "$before" "$now" <<'EOF'
import shlex, subprocess, sys

def sections(path):
    out, cur, table = {}, None, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# "):
            cur = line[2:]
            continue
        if cur in ("iptables-save", "ip6tables-save") and line.startswith("*"):
            table = line[1:]
            continue
        out.setdefault(cur, []).append((table, line))
    return out

before, now = sections(sys.argv[1]), sections(sys.argv[2])
for sec, tool in (("iptables-save", "iptables"), ("ip6tables-save", "ip6tables")):
    old = set(before.get(sec, []))
    added = [x for x in now.get(sec, []) if x not in old]
    for table, line in added:
        if line.startswith("-A "):
            subprocess.call([tool, "-t", table, "-D"] + shlex.split(line)[1:])
    for table, line in added:
        if line.startswith(":"):
            chain = line[1:].split()[0]
            subprocess.call([tool, "-t", table, "-F", chain])
    for table, line in added:
        if line.startswith(":"):
            subprocess.call([tool, "-t", table, "-X", line[1:].split()[0]])
old_links = {l for _, l in before.get("links", [])}
for _, link in now.get("links", []):
    if link not in old_links:
        subprocess.call(["ip", "link", "del", link], stderr=subprocess.DEVNULL)
EOF
	rm -f "$now"
}

# CPU time of a set of processes, to the nanosecond: the hierarchy that
# accounts it (v1's cpuacct, else the cgroup2 mount, whose cpu.stat has
# usage_usec without any controller enabled), a process's cgroup in it,
# and the time everything in a cgroup used.  /proc/PID/stat would do
# without moving anything, but counts in clock ticks (10 ms), as much as
# a few hundred probes cost.
bench_cpu_init() {
	bench_cpu_root=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ {print $2; exit}' /proc/mounts)
	bench_cpu_v1=1
	if [ -z "$bench_cpu_root" ]; then
		bench_cpu_root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
		bench_cpu_v1=0
	fi
	[ -n "$bench_cpu_root" ]
}

# bench_cpu_cg PID: the cgroup dir of PID in that hierarchy.
bench_cpu_cg() {
	local rel
	if [ "$bench_cpu_v1" = 1 ]; then
		rel=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' "/proc/$1/cgroup")
	else
		rel=$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")
	fi
	[ -n "$rel" ] && printf '%s%s' "$bench_cpu_root" "${rel%/}"
}

# bench_cpu_ns DIR: user + system CPU time of everything in cgroup DIR, ns.
bench_cpu_ns() {
	if [ -f "$1/cpuacct.usage" ]; then
		cat "$1/cpuacct.usage"
	else
		awk '$1 == "usage_usec" {printf "%d\n", $2 * 1000}' "$1/cpu.stat"
	fi
}

# bench_cpu_adopt DIR NOTE PID...: move the processes (with all their
# threads; what they fork later is born there) into cgroup DIR, made if
# missing, noting in file NOTE where each came from, for bench_cpu_release.
bench_cpu_adopt() {
	local dir=$1 note=$2 p
	shift 2
	mkdir -p "$dir"
	for p; do
		printf '%s %s\n' "$p" "$(bench_cpu_cg "$p")" >>"$note"
		echo "$p" >"$dir/cgroup.procs"
	done
}

# bench_cpu_release DIR NOTE: every process in DIR back where it came from
# (one forked meanwhile: where the first adopted one came from), DIR and
# NOTE removed.
bench_cpu_release() {
	local dir=$1 note=$2 p from first procs
	[ -d "$dir" ] || return 0
	first=$(awk 'NR == 1 {print $2}' "$note" 2>/dev/null)
	mapfile -t procs <"$dir/cgroup.procs"
	for p in "${procs[@]}"; do
		from=$(awk -v p="$p" '$1 == p {print $2}' "$note" 2>/dev/null)
		echo "$p" >"${from:-${first:-$bench_cpu_root}}/cgroup.procs" 2>/dev/null || true
	done
	rm -f "$note"
	rmdir "$dir" 2>/dev/null || true
}

# bench_tcp_accepts PID: TCP connections accepted so far in PID's network
# namespace (PassiveOpens of /proc/PID/net/snmp): each probe of a server in
# it is one, whoever makes it.
bench_tcp_accepts() {
	awk '$1 == "Tcp:" && $2 ~ /^[0-9]+$/ {print $7}' "/proc/$1/net/snmp"
}
