#!/usr/bin/env bash
# bench/all.sh: every benchmark of the runtime, builder and supervisor
# issues, stack beside its peers, in ONE run, into docs/benchmarks.md and
# docs/benchmarks.png.  Needs root, Debian 12.
#
#   start      stack run vs crun/runc (bench/run.sh, hyperfine)
#   up, down   `up -d` cached / `down` of a one-service busybox stack vs
#              docker compose and podman-compose (hyperfine)
#   noop       no-op rebuild of the espresso chain vs podman build, buildah
#              bud, docker build (BuildKit) (hyperfine)
#   cold-copy  cold build of a COPY of COLD_FILES small files (hyperfine)
#   cold-esp   cold build of the espresso chain (once each: apt, minutes)
#   wrk        published-port throughput, a keep-alive static server (bench/kaserver.c) and Flask, vs the
#              app reached directly in its network namespace
#   rss        supervisor RSS with one service and with N_SERVICES
#   up100      `up -d` of N_SERVICES busybox services (hyperfine)
#   probe      CPU per 1,000 health probes: stack's tcp: and http: checks vs
#              docker compose's and podman-compose's exec probe
#              (bench/all-probe.sh)
#   pull       a 3-layer image from a loopback docker-registry: stack pull vs
#              skopeo copy, podman pull, docker pull (bench/all-pull.sh,
#              hyperfine)
#
# Environment (defaults for the real run): SECTIONS (all: or a list of the
# names above, e.g. "probe pull"; the peers' setup always runs), RUNS (10),
# WARMUP (2), RUNS_START (50), RUNS_100 (3), N_SERVICES (100), COLD_FILES
# (10000), WRK_SECS (10), ESPRESSO (1; 0 skips noop, cold-esp and Flask),
# PROBE_SECS (30: each window of the probe section), PROBE_MS (100: the
# probe interval), PULL_MB (8: MiB per layer of the pulled image),
# PORT_BASE (24000: ports PORT_BASE..+99 on 127.0.0.1), INSTALL (1: apt-get
# the peers), STACK_BIN (default: build/ rebuilt), BASE_STORE (the stack
# store holding the debootstrap bookworm base; default /var/lib/stack),
# BENCH_NOTE (a line put at the top of the page), BENCH_OUT
# (docs/benchmarks.md; the chart goes beside it, .png).
#
# dockerd runs only for the run, on its own socket, data and exec roots,
# with --iptables=false --ip-forward=false (published ports go through
# docker-proxy, which is what a client on 127.0.0.1 gets anyway).  podman,
# buildah and podman-compose use a temp storage and CNI config dir.  On exit
# (also on failure or ^C) every container, network, mount, cgroup and temp
# dir is removed, and whatever the peers added to the firewall, the links
# and the host dirs they create is undone (compared with a snapshot).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"

# The page names the command that made it, with the variables set.
invocation="bench/all.sh"
for v in SECTIONS RUNS WARMUP RUNS_START RUNS_100 N_SERVICES COLD_FILES WRK_SECS ESPRESSO PROBE_SECS PROBE_MS PULL_MB STACK_BIN BASE_STORE; do
	case ${!v:-} in
	"") ;;
	*[[:space:]]*) invocation="$v=\"${!v}\" $invocation" ;;
	*) invocation="$v=${!v} $invocation" ;;
	esac
done
invocation=${invocation//$src\//}

RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
RUNS_START=${RUNS_START:-50}
RUNS_100=${RUNS_100:-3}
N_SERVICES=${N_SERVICES:-100}
COLD_FILES=${COLD_FILES:-10000}
WRK_SECS=${WRK_SECS:-10}
ESPRESSO=${ESPRESSO:-1}
PROBE_SECS=${PROBE_SECS:-30}
PROBE_MS=${PROBE_MS:-100}
PULL_MB=${PULL_MB:-8}
SECTIONS=${SECTIONS:-all}
PORT_BASE=${PORT_BASE:-24000}
INSTALL=${INSTALL:-1}
BASE_STORE=${BASE_STORE:-/var/lib/stack}
BENCH_OUT=${BENCH_OUT:-$src/docs/benchmarks.md}
BENCH_NOTE=${BENCH_NOTE:-}

bench_need_root
[ "$PORT_BASE" != 5000 ] || { echo "bench: PORT_BASE 5000 collides" >&2; exit 1; }
all_sections="start up down wrk-busybox up100 cold-copy cold-esp noop wrk-flask probe pull"
SECTIONS=${SECTIONS//,/ }
for s in $SECTIONS; do
	[ "$s" = all ] || [[ " $all_sections " == *" $s "* ]] ||
		{ echo "bench: SECTIONS: no section \`$s\` (there are: all $all_sections)" >&2; exit 1; }
done
# section_on NAME: whether SECTIONS selects it.
section_on() { [[ " $SECTIONS " == *" all "* || " $SECTIONS " == *" $1 "* ]]; }
esp_on() { [ "$ESPRESSO" = 1 ] && { section_on cold-esp || section_on noop || section_on wrk-flask; }; }
for v in PROBE_SECS PROBE_MS PULL_MB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, got \`${!v}\`" >&2; exit 1; }
done
p_web_stack=$((PORT_BASE + 1)) p_web_docker=$((PORT_BASE + 2)) p_web_podman=$((PORT_BASE + 3))
p_flask_stack=$((PORT_BASE + 11)) p_flask_docker=$((PORT_BASE + 12)) p_flask_podman=$((PORT_BASE + 13))
p_reg=$((PORT_BASE + 20))

if [ "$INSTALL" = 1 ]; then
	echo "bench: installing the peers from Debian"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc crun podman buildah podman-compose \
		docker.io docker-compose hyperfine wrk gnuplot-nox busybox-static curl docker-registry skopeo >/dev/null
fi
bench_need hyperfine wrk gnuplot python3 curl nsenter

STACK_BIN=${STACK_BIN:-}
created_dirs=()
have_docker=0 have_dc=0 have_pstore=0 have_podman=0 have_buildah=0 have_pc=0 have_esp=0
dockerd_pid=""
stack_projects=()
bg_pids=()   # processes of the sections' own (a registry, a probe loop): stopped on exit

log() { echo "bench: $*" >&2; }
peer() { printf '%s\t%s\t%s\n' "$1" "$2" "$(printf '%s' "$3" | tr '\t\n' '  ' | cut -c1-400)" >>"$res/peers.tsv"; log "peer $1: $2 ${3:0:200}"; }
cmdrec() { # the temp dir as TMP, the source tree's paths relative
	local c=${3//$tmp/TMP}
	printf '%s\t%s\t%s\n' "$1" "$2" "${c//$src\//}" >>"$res/commands.tsv"
}
section_t0=0
section_begin() { section_t0=$(date +%s.%N); log "== $1"; }
section_end() { printf '%s\t%.1f\n' "$1" "$(echo "$(date +%s.%N) - $section_t0" | bc)" >>"$res/sections.tsv"; }

cleanup() {
	local rc=$? p
	set +eu
	trap - EXIT INT TERM
	log "cleaning up"
	for p in "${bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${stack_projects[@]}"; do
		timeout 60 "$STACK_BIN" -f "$p" down -t 0 >/dev/null 2>&1
	done
	if [ "$have_podman" = 1 ]; then
		timeout 120 podman pod rm -af -t 0 >/dev/null 2>&1
		timeout 120 podman rm -af -t 0 >/dev/null 2>&1
		timeout 60 podman network ls -q 2>/dev/null | grep -vx podman | xargs -r podman network rm -f >/dev/null 2>&1
		timeout 60 buildah rm -a >/dev/null 2>&1
	fi
	if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
		/usr/bin/docker ps -aq 2>/dev/null | timeout 120 xargs -r /usr/bin/docker rm -f >/dev/null 2>&1
		timeout 60 /usr/bin/docker network prune -f >/dev/null 2>&1
		kill -TERM "$dockerd_pid"
		for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$dockerd_pid" 2>/dev/null
	fi
	# dockerd's own containerd and any shim left (their command lines name
	# our temp dir): by pid.
	for p in $(pgrep -f "containerd.*$tmp" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in $(pgrep -f "(containerd|conmon).*$tmp" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	# Mounts under the temp dir (overlays, netns binds, shm), deepest first.
	awk -v t="$tmp" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	for p in "${bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	bench_rm_cgroups "$tag"
	if [ "${libpod_cg_before:-1}" = 0 ]; then
		for p in /sys/fs/cgroup/*/libpod_parent; do
			[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	if [ -s "$tmp/fw-before" ]; then
		bench_fw_restore "$tmp/fw-before"
		sysctl -qw net.ipv4.ip_forward="$ipfwd_before" 2>/dev/null
		# What is still different: an iptables-nft table that appeared
		# holding only its empty built-in chains (ACCEPT) cannot be removed
		# with iptables itself and changes nothing; anything else is shown.
		bench_fw_snapshot "$tmp/fw-after"
		if ! diff <(grep -vE '^(:|\*|COMMIT)' "$tmp/fw-before") <(grep -vE '^(:|\*|COMMIT)' "$tmp/fw-after") >"$tmp/fw-diff"; then
			log "the host's firewall, links or sysctls differ from before the run:"
			cat "$tmp/fw-diff" >&2
		fi
	fi
	for d in "${created_dirs[@]}"; do
		# podman bind-mounts /run/netns on itself; empty, the mount can go.
		if mountpoint -q "$d" 2>/dev/null && [ -z "$(ls -A "$d" 2>/dev/null)" ]; then umount -l "$d" 2>/dev/null; fi
		if ! awk -v t="$d" 'index($2, t) == 1 {f = 1} END {exit !f}' /proc/mounts; then rm -rf "$d"; fi
	done
	rm -rf "$tmp"
	[ "$rc" = 0 ] || log "failed (exit $rc); everything it made is removed"
	exit "$rc"
}
tag=stack-bench-$$
tmp=$(mktemp -d /tmp/bench-XXXXXX)
res=$tmp/results
mkdir -p "$res"
: >"$res/peers.tsv"      # peer, status, detail
: >"$res/commands.tsv"   # section, name, command
: >"$res/wrk.tsv"
: >"$res/rss.tsv"
: >"$res/times.tsv"      # section, name, seconds, status
: >"$res/sections.tsv"   # section, wall seconds
: >"$res/probe.tsv"      # tool, check, seconds, probes, tool ns, container ns, what

trap cleanup EXIT
trap 'exit 130' INT TERM

# Host state the peers may change, to put back on exit.
bench_fw_snapshot "$tmp/fw-before"
ipfwd_before=$(sysctl -n net.ipv4.ip_forward)
host_dirs=(/var/lib/containers /run/containers /run/libpod /var/lib/cni /etc/cni/net.d /run/cni /run/netns /var/run/docker /run/docker /var/lib/docker)
created_dirs=()
for d in "${host_dirs[@]}"; do [ -e "$d" ] || created_dirs+=("$d"); done
# podman (cgroupfs) puts conmon in libpod_parent/conmon of every hierarchy
# and leaves it: removed on exit when the run made it (rmdir only, so a
# cgroup that holds a process stays).
libpod_cg_before=$(find /sys/fs/cgroup/ -mindepth 2 -maxdepth 2 -name libpod_parent 2>/dev/null | wc -l)


# ---- stack -------------------------------------------------------------
if [ -z "${STACK_BIN:-}" ]; then
	log "building stack (scripts/build.sh)"
	(cd "$src" && BUILD_DIR=build scripts/build.sh >"$tmp/build.log" 2>&1) ||
		{ tail -n 20 "$tmp/build.log" >&2; exit 1; }
	STACK_BIN=$src/build/orchestrator/stack
fi
STACK_BIN=$(realpath "$STACK_BIN")
export STACK_ROOT=$tmp/stack-root STACK_RUN=$tmp/stack-run STACK_CGROUP_PARENT=$tag
mkdir -p "$STACK_ROOT" "$STACK_RUN"
S=$STACK_BIN

# ---- start (bench/run.sh) --------------------------------------------
if section_on start; then
	section_begin start
	STACK_BIN=$S RUNS=$RUNS_START WARMUP=5 BENCH_RESULTS=$res "$src/bench/run.sh" ||
		peer start failed "bench/run.sh exited $?"
	section_end start
fi

# ---- the peers' daemons and storage ----------------------------------
section_begin setup
bb=$tmp/bb-rootfs
"$src/tests/fixtures/busybox-rootfs.sh" "$bb" >/dev/null
# The throughput section's server (keep-alive; busybox httpd closes every
# connection), in the rootfs that every tool runs.
cc -O2 -Wall -Wextra -static -o "$bb/bin/kaserver" "$src/bench/kaserver.c"
# The probe section's server: busybox httpd serving /www.
mkdir -p "$bb/www"
echo ok >"$bb/www/index.html"
tar -C "$bb" -cf "$tmp/bb.tar" .

# docker: dockerd for this run only.
if [ -x /usr/bin/docker ] && command -v dockerd >/dev/null; then
	mkdir -p "$tmp/docker"
	export DOCKER_HOST=unix://$tmp/docker/docker.sock
	dockerd --data-root "$tmp/docker/root" --exec-root "$tmp/docker/exec" \
		--pidfile "$tmp/docker/docker.pid" -H "$DOCKER_HOST" \
		--iptables=false --ip-forward=false --ip-masq=false --ip6tables=false \
		--cgroup-parent "/$tag-docker" --storage-driver overlay2 --log-level warn \
		>"$tmp/docker/dockerd.log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 150); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.2; done
	if /usr/bin/docker version >/dev/null 2>&1 && /usr/bin/docker import "$tmp/bb.tar" bench-busybox:latest >/dev/null 2>"$tmp/err"; then
		if out=$(/usr/bin/docker run --rm bench-busybox true 2>&1); then
			have_docker=1
			peer docker ok "dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), --iptables=false --ip-forward=false, own data/exec root and socket"
		else
			peer docker "not available" "docker run: $out"
		fi
	else
		peer docker "not available" "dockerd did not start: $(tail -n 3 "$tmp/docker/dockerd.log") $(cat "$tmp/err" 2>/dev/null)"
	fi
else
	peer docker "not available" "no /usr/bin/docker or dockerd (Debian docker.io)"
fi
if [ "$have_docker" = 1 ]; then
	if command -v docker-compose >/dev/null; then have_dc=1; else peer docker-compose "not available" "not installed"; fi
fi

# podman, buildah, podman-compose: temp storage and network config.
if command -v podman >/dev/null; then
	mkdir -p "$tmp/podman/tmp" "$tmp/podman/cni"
	cat >"$tmp/podman/storage.conf" <<-EOF
	[storage]
	driver = "overlay"
	graphroot = "$tmp/podman/root"
	runroot = "$tmp/podman/run"
	EOF
	podman_conf() {
		# podman raises RLIMIT_NOFILE/NPROC to 1M by default, which root
		# without CAP_SYS_RESOURCE (this sandbox) may not: the current
		# hard limits instead, as bench/mkbundle.py does for crun and runc
		# (NPROC also capped at pid_max, the limit podman's own process
		# ends up with here).
		local nproc
		nproc=$(ulimit -Hu)
		if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$(cat /proc/sys/kernel/pid_max)" ]; then
			nproc=$(cat /proc/sys/kernel/pid_max)
		fi
		cat >"$tmp/podman/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$nproc:$nproc"]
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$tmp/podman/events.log"
		tmp_dir = "$tmp/podman/tmp"
		runtime = "$1"
		[network]
		network_backend = "cni"
		network_config_dir = "$tmp/podman/cni"
		EOF
	}
	export CONTAINERS_STORAGE_CONF=$tmp/podman/storage.conf CONTAINERS_CONF=$tmp/podman/containers.conf
	podman_conf crun
	if podman import "$tmp/bb.tar" bench-busybox:latest >/dev/null 2>"$tmp/err"; then
		have_pstore=1
		if out=$(timeout 60 podman run --rm bench-busybox true 2>&1); then
			have_podman=1
			peer podman "ok with workaround" "$(podman --version), runtime crun, cgroupfs, CNI, temp storage; default_ulimits = the current hard limits (podman's 1M nofile default: \`setrlimit RLIMIT_NOFILE: Operation not permitted\`, no CAP_SYS_RESOURCE here)"
		else
			podman_conf runc
			if out2=$(timeout 60 podman run --rm bench-busybox true 2>&1); then
				have_podman=1
				peer podman "ok with workaround" "with crun: ${out:0:300} -- workaround: runtime = runc in containers.conf (crun refuses this hybrid cgroup host); default_ulimits = the current hard limits (podman's 1M defaults: \`setrlimit RLIMIT_NOFILE: Operation not permitted\`, no CAP_SYS_RESOURCE here)"
			else
				peer podman "not available" "crun: $out; runc: $out2 (podman-compose and Flask skipped; builds without RUN still measured)"
			fi
		fi
	else
		peer podman "not available" "podman import: $(cat "$tmp/err")"
	fi
else
	peer podman "not available" "not installed"
fi
if [ "$have_pstore" = 1 ]; then
	if command -v buildah >/dev/null; then have_buildah=1; peer buildah ok "$(buildah --version | cut -d' ' -f1-3), same storage as podman"; else peer buildah "not available" "not installed"; fi
fi
if [ "$have_podman" = 1 ]; then
	if command -v podman-compose >/dev/null; then have_pc=1; else peer podman-compose "not available" "not installed"; fi
fi

# The espresso base: the debootstrap bookworm layer of a stack store, saved
# as an OCI archive and loaded into every builder, so each builds the same
# chain from the same base without a registry.
if esp_on; then
	base_ref=$(python3 - "$BASE_STORE/refs.json" <<-'EOF' 2>/dev/null || true
	import json, sys
	refs = json.load(open(sys.argv[1]))["refs"]
	print(next(n for n, r in refs.items() if r.get("source", "").startswith("debootstrap bookworm")))
	EOF
	)
	if [ -z "$base_ref" ]; then
		peer espresso-base "not available" "no debootstrap bookworm base in $BASE_STORE: run \`stack pull\` in examples/espresso first (or BASE_STORE=); ESPRESSO sections skipped"
	elif ! out=$(STACK_ROOT=$BASE_STORE "$S" image save "$base_ref" -o "$tmp/base.oci.tar" 2>&1); then
		peer espresso-base "not available" "stack image save $base_ref: $out"
	else
		have_esp=1
		log "espresso base $base_ref: $(du -h "$tmp/base.oci.tar" | cut -f1)"
		# docker 20.10 loads only docker archives, and podman 4.3 does not
		# recognise the archive either ("payload does not match any of the
		# supported image formats"): the base's one layer is imported as a
		# rootfs into both (`docker import`, `podman import`).
		if python3 - "$tmp/base.oci.tar" >"$tmp/base.layer" 2>"$tmp/err" <<-'EOF' &&
			import json, sys, tarfile
			t = tarfile.open(sys.argv[1])
			blob = lambda d: t.extractfile("blobs/" + d.replace(":", "/"))
			index = json.load(t.extractfile("index.json"))
			manifest = json.load(blob(index["manifests"][0]["digest"]))
			layers = manifest["layers"]
			if len(layers) != 1:
			    sys.exit(f"the base has {len(layers)} layers, expected 1")
			print(layers[0]["digest"])
			EOF
				python3 -c 'import sys, tarfile; t = tarfile.open(sys.argv[1]); sys.stdout.buffer.write(t.extractfile("blobs/" + sys.argv[2].replace(":", "/")).read())' \
					"$tmp/base.oci.tar" "$(cat "$tmp/base.layer")" >"$tmp/base.layer.tar" 2>>"$tmp/err"; then
			if [ "$have_docker" = 1 ] && ! /usr/bin/docker import "$tmp/base.layer.tar" bench-base:bookworm >/dev/null 2>"$tmp/err"; then
				peer docker-base failed "docker import of the base layer: $(cat "$tmp/err")"
			fi
			if [ "$have_pstore" = 1 ] && ! podman import "$tmp/base.layer.tar" bench-base:bookworm >/dev/null 2>"$tmp/err"; then
				peer podman-base failed "podman import of the base layer: $(cat "$tmp/err")"
			fi
			rm -f "$tmp/base.layer.tar"
		else
			peer espresso-base failed "reading the base layer from the archive: $(cat "$tmp/err" 2>/dev/null)"
		fi
	fi
fi
section_end setup

# ---- stack files and compose files -----------------------------------
w=$tmp/web
mkdir -p "$w"
web_cmd="[/bin/kaserver, '8080']"
cat >"$w/stack.yaml" <<EOF
name: benchweb$$
bases:
  bench-busybox: {rootfs: $bb}
services:
  web:
    image: bench-busybox
    command: $web_cmd
    ports: ["127.0.0.1:$p_web_stack:8080"]
EOF
for peer_name in docker podman; do
	port=$p_web_docker
	[ $peer_name = podman ] && port=$p_web_podman
	cat >"$w/$peer_name.yaml" <<-EOF
	services:
	  web:
	    image: bench-busybox:latest
	    command: $web_cmd
	    ports: ["127.0.0.1:$port:8080"]
	EOF
done
stack_projects+=("$w/stack.yaml")
many=$tmp/many
mkdir -p "$many"
python3 - "$many" "$bb" "$N_SERVICES" "$$" <<'EOF'
import sys
d, bb, n, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
svc = "".join(f"  s{i}:\n    image: bench-busybox{':latest' if 0 else ''}\n    command: [sleep, '3600']\n" for i in range(n))
open(f"{d}/stack.yaml", "w").write(f"name: benchmany{pid}\nbases:\n  bench-busybox: {{rootfs: {bb}}}\nservices:\n" + svc)
open(f"{d}/compose.yaml", "w").write("services:\n" + svc.replace("image: bench-busybox\n", "image: bench-busybox:latest\n"))
EOF
stack_projects+=("$many/stack.yaml")

dc="docker-compose -p benchdc$$"
pc="podman-compose -p benchpc$$"

# hf SECTION RUNS WARMUP [NAME COMMAND PREPARE]...: one hyperfine run of
# the available commands (PREPARE "" for none), exported to SECTION.json.
# Each command is first run once untimed (after its PREPARE): one that
# fails is reported as a peer that cannot run, with its error, and left
# out (hyperfine would abort the whole section).
hf() {
	local section=$1 runs=$2 warm=$3 args=() preps=() any_prep=0
	shift 3
	while [ $# -gt 0 ]; do
		if ! { bash -c "${3:-true}" >/dev/null 2>&1 && timeout 900 bash -c "$2" >/dev/null 2>"$tmp/err"; }; then
			peer "$1" "not available for $section" "\`${2//$tmp/TMP}\` failed: $(tail -n 3 "$tmp/err")"
			shift 3
			continue
		fi
		args+=(-n "$1" "$2")
		preps+=(--prepare "${3:-true}")
		[ -z "$3" ] || any_prep=1
		cmdrec "$section" "$1" "$2${3:+   (before each run: $3)}"
		shift 3
	done
	[ ${#args[@]} -gt 0 ] || return 0
	[ "$any_prep" = 1 ] || preps=()
	hyperfine -N --runs "$runs" --warmup "$warm" --output=pipe --time-unit millisecond \
		--export-json "$res/$section.json" "${preps[@]}" "${args[@]}" ||
		peer "$section" failed "hyperfine exited $? (see the log above)"
}
sh_q() { printf "sh -c '%s'" "$*"; }

# ---- up -d cached, down -----------------------------------------------
if section_on up || section_on down; then
	if ! { "$S" -f "$w/stack.yaml" up -d >/dev/null && "$S" -f "$w/stack.yaml" down -t 0 >/dev/null; }; then
		peer stack-up failed "first stack up/down failed"
	fi
fi
up_cmds=(stack "$S -f $w/stack.yaml up -d" "$(sh_q "$S -f $w/stack.yaml down -t 0 >/dev/null")")
down_cmds=(stack "$S -f $w/stack.yaml down" "$(sh_q "$S -f $w/stack.yaml up -d >/dev/null")")
if [ "$have_dc" = 1 ]; then
	up_cmds+=("docker compose" "$dc -f $w/docker.yaml up -d" "$(sh_q "$dc -f $w/docker.yaml down -t 0 >/dev/null 2>&1")")
	down_cmds+=("docker compose" "$dc -f $w/docker.yaml down" "$(sh_q "$dc -f $w/docker.yaml up -d >/dev/null 2>&1")")
fi
if [ "$have_pc" = 1 ]; then
	up_cmds+=(podman-compose "$pc -f $w/podman.yaml up -d" "$(sh_q "$pc -f $w/podman.yaml down -t 0 >/dev/null 2>&1")")
	down_cmds+=(podman-compose "$pc -f $w/podman.yaml down" "$(sh_q "$pc -f $w/podman.yaml up -d >/dev/null 2>&1")")
fi
if section_on up; then
	section_begin up
	hf up "$RUNS" "$WARMUP" "${up_cmds[@]}"
	section_end up
fi
if section_on down; then
	section_begin down
	hf down "$RUNS" 1 "${down_cmds[@]}"
	section_end down
fi

# ---- RSS and wrk with one service -------------------------------------
rss_kb() { # PID... -> summed VmRSS in kB
	local p t=0 k
	for p; do
		k=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		t=$((t + ${k:-0}))
	done
	echo "$t"
}
stack_sup_pid() { read -r p _ <"$STACK_RUN/$1/supervisor.pid" && echo "$p"; }  # "PID STARTTIME"
docker_pids() { # dockerd, its containerd, the shims, docker-proxy
	{ echo "$dockerd_pid"; pgrep -P "$dockerd_pid"; pgrep -f "containerd-shim.*$tmp"; } 2>/dev/null | sort -u | tr '\n' ' '
}
podman_pids() { pgrep -f "conmon.*$tmp" 2>/dev/null | tr '\n' ' '; }
rss_row() { # SCENARIO TOOL "PIDS" WHAT
	local kb
	# shellcheck disable=SC2086 # a list of pids
	kb=$(rss_kb $3)
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$kb" "$4 ($(wc -w <<<"$3") processes)" >>"$res/rss.tsv"
}
# wrk_row NAME TOOL URL DIRECT_PID DIRECT_URL: published vs direct in the netns
wrk_one() {
	"$@" 2>&1 | awk '/Requests\/sec:/ {r = $2} /^ +99%/ {p = $2} END {print r "\t" p}'
}
wrk_row() {
	local pub direct
	cmdrec wrk "$1 $2" "wrk -t2 -c50 -d${WRK_SECS}s --latency $3   (direct: nsenter -t PID -n wrk ... $5)"
	pub=$(wrk_one wrk -t2 -c50 -d"${WRK_SECS}s" --latency "$3")
	direct=$(wrk_one nsenter -t "$4" -n wrk -t2 -c50 -d"${WRK_SECS}s" --latency "$5")
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$pub" "$direct" >>"$res/wrk.tsv"
	log "wrk $1 $2: published $pub, direct $direct"
}
wait_http() { # URL: up to 60 s
	for _ in $(seq 300); do curl -sf -o /dev/null --max-time 1 "$1" && return 0; sleep 0.2; done
	return 1
}
if section_on wrk-busybox; then
	section_begin wrk-busybox
	"$S" -f "$w/stack.yaml" up -d >/dev/null
	if [ "$have_dc" = 1 ]; then $dc -f "$w/docker.yaml" up -d >/dev/null 2>&1 || peer "dc" failed "up -d failed: dc -f w/docker.yaml up -d"; fi
	if [ "$have_pc" = 1 ]; then $pc -f "$w/podman.yaml" up -d >/dev/null 2>&1 || peer "pc" failed "up -d failed: pc -f w/podman.yaml up -d"; fi
	sleep 1
	rss_row "1 service" stack "$(stack_sup_pid "benchweb$$")" "stack supervisor"
	[ "$have_docker" = 1 ] && rss_row "1 service" "docker compose" "$(docker_pids)" "dockerd + containerd + containerd-shim + docker-proxy"
	[ "$have_pc" = 1 ] && rss_row "1 service" podman-compose "$(podman_pids)" "conmon (one per container)"
	if wait_http "http://127.0.0.1:$p_web_stack/"; then
		pid=$("$S" -f "$w/stack.yaml" ps --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
		wrk_row "static (kaserver)" stack "http://127.0.0.1:$p_web_stack/" "$pid" http://127.0.0.1:8080/
	else peer stack-wrk failed "no answer on $p_web_stack"; fi
	if [ "$have_dc" = 1 ] && wait_http "http://127.0.0.1:$p_web_docker/"; then
		pid=$(/usr/bin/docker inspect -f '{{.State.Pid}}' "$($dc -f "$w/docker.yaml" ps -q web)")
		wrk_row "static (kaserver)" "docker compose" "http://127.0.0.1:$p_web_docker/" "$pid" http://127.0.0.1:8080/
	fi
	if [ "$have_pc" = 1 ] && wait_http "http://127.0.0.1:$p_web_podman/"; then
		pid=$(podman inspect -f '{{.State.Pid}}' "benchpc$$_web_1")
		wrk_row "static (kaserver)" podman-compose "http://127.0.0.1:$p_web_podman/" "$pid" http://127.0.0.1:8080/
	fi
	"$S" -f "$w/stack.yaml" down -t 0 >/dev/null
	if [ "$have_dc" = 1 ]; then $dc -f "$w/docker.yaml" down -t 0 >/dev/null 2>&1 || true; fi
	if [ "$have_pc" = 1 ]; then $pc -f "$w/podman.yaml" down -t 0 >/dev/null 2>&1 || true; fi
	section_end wrk-busybox
fi

# ---- 100 services --------------------------------------------------------
if section_on up100; then
	section_begin up100
	m_cmds=(stack "$S -f $many/stack.yaml up -d" "$(sh_q "$S -f $many/stack.yaml down -t 0 >/dev/null")")
	[ "$have_dc" = 1 ] && m_cmds+=("docker compose" "docker-compose -p benchmany$$ -f $many/compose.yaml up -d" "$(sh_q "docker-compose -p benchmany$$ -f $many/compose.yaml down -t 0 >/dev/null 2>&1")")
	[ "$have_pc" = 1 ] && m_cmds+=(podman-compose "podman-compose -p benchmany$$ -f $many/compose.yaml up -d" "$(sh_q "podman-compose -p benchmany$$ -f $many/compose.yaml down -t 0 >/dev/null 2>&1")")
	hf up100 "$RUNS_100" 0 "${m_cmds[@]}"
	# hyperfine leaves each stack up after its last run: their RSS now.
	sleep 1
	if [ -f "$STACK_RUN/benchmany$$/supervisor.pid" ]; then
		rss_row "$N_SERVICES services" stack "$(stack_sup_pid "benchmany$$")" "stack supervisor"
	fi
	[ "$have_dc" = 1 ] && rss_row "$N_SERVICES services" "docker compose" "$(docker_pids)" "dockerd + containerd + containerd-shims"
	[ "$have_pc" = 1 ] && rss_row "$N_SERVICES services" podman-compose "$(podman_pids)" "conmon (one per container)"
	"$S" -f "$many/stack.yaml" down -t 0 >/dev/null 2>&1 || true
	if [ "$have_dc" = 1 ]; then docker-compose -p "benchmany$$" -f "$many/compose.yaml" down -t 0 >/dev/null 2>&1 || true; fi
	if [ "$have_pc" = 1 ]; then podman-compose -p "benchmany$$" -f "$many/compose.yaml" down -t 0 >/dev/null 2>&1 || true; fi
	section_end up100
fi

# ---- cold COPY-heavy build ---------------------------------------------
if section_on cold-copy; then
	section_begin cold-copy
	ctx=$tmp/copyctx
	mkdir -p "$ctx"
	python3 - "$ctx" "$COLD_FILES" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, "src", f"d{i // 100:03d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:05d}.txt"), "w") as f:
        f.write(f"file {i}\n" * (1 + i % 20))
open(os.path.join(d, "Dockerfile"), "w").write("FROM bench-busybox\nCOPY src /data\n")
EOF
	cat >"$tmp/copy.yaml" <<EOF
name: benchcopy$$
bases:
  bench-busybox: {rootfs: $bb}
images:
  copyheavy: {context: $ctx}
EOF
	"$S" -f "$tmp/copy.yaml" build --progress quiet >/dev/null || peer stack-build failed "first stack build of the COPY context failed"
	c_cmds=(stack "$S -f $tmp/copy.yaml build --no-cache --progress quiet" "")
	[ "$have_pstore" = 1 ] && c_cmds+=("podman build" "podman build -q --no-cache -t copyheavy $ctx" "")
	[ "$have_buildah" = 1 ] && c_cmds+=("buildah bud" "buildah bud -q --no-cache --layers -t copyheavy $ctx" "")
	[ "$have_docker" = 1 ] && c_cmds+=("docker build (BuildKit)" "env DOCKER_BUILDKIT=1 /usr/bin/docker build -q --no-cache -t copyheavy $ctx" "")
	hf cold-copy "$RUNS" 1 "${c_cmds[@]}"
	section_end cold-copy
fi

# ---- espresso: cold chain, no-op rebuild, Flask through the port -------
# The three share the copies and the chain scripts; noop's untimed first
# run builds the chain when cold-esp did not, and wrk-flask runs what
# either built.
if [ "$have_esp" = 1 ]; then
	es=$tmp/esp-stack ep=$tmp/esp-peer
	cp -a "$src/examples/espresso" "$es"
	cp -a "$src/examples/espresso" "$ep"
	# .env with a SECRET_KEY of its own, as scripts/espresso.sh makes it:
	# a verbatim copy of .env.example is a copy of the secret, which
	# `COPY . /espresso` would put in a layer (stack's build refuses it).
	key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	for d in "$es" "$ep"; do
		[ -f "$d/.env" ] || sed "s/^SECRET_KEY=.*/SECRET_KEY=$key/" "$d/.env.example" >"$d/.env"
	done
	# stack: the example's own stack file, its base the saved archive
	# instead of a fresh debootstrap, the port in our range.
	sed -i -e "s|^  debian:bookworm: {debootstrap:.*|  debian:bookworm: {oci: $tmp/base.oci.tar}|" \
		-e "s|\"5055:5000\"|\"127.0.0.1:$p_flask_stack:5000\"|" -e "s|^name: espresso|name: benchesp$$|" "$es/stack.yaml"
	grep -q "oci: $tmp/base.oci.tar" "$es/stack.yaml" || { log "could not rewrite the espresso base"; exit 1; }
	stack_projects+=("$es/stack.yaml")
	# the peers: the same Dockerfiles, FROM the loaded base.
	sed -i 's|^FROM debian:bookworm|FROM bench-base:bookworm|' "$ep/images/python3-pip3/Dockerfile"
	chain() { # BUILDER-COMMAND...: the four images in order, from $ep
		printf 'set -e\ncd %s\n' "$ep"
		printf '%s -t python3-pip3 images/python3-pip3\n' "$*"
		for i in flask112 espresso espresso-run; do printf '%s -t %s -f images/%s/Dockerfile .\n' "$*" $i $i; done
	}
	chain podman build -q --network host >"$tmp/chain-podman.sh"
	chain buildah bud -q --layers --network host >"$tmp/chain-buildah.sh"
	chain env DOCKER_BUILDKIT=1 /usr/bin/docker build -q --network host >"$tmp/chain-docker.sh"
	timed() { # NAME COMMAND...: once, into times.tsv
		local t0 t1 st=ok
		t0=$(date +%s.%N)
		"${@:2}" >"$tmp/cold-$1.log" 2>&1 || st="failed: $(tail -n 3 "$tmp/cold-$1.log")"
		t1=$(date +%s.%N)
		printf 'cold-esp\t%s\t%.2f\t%s\n' "$1" "$(echo "$t1 - $t0" | bc)" "$st" | tr -s '\n' ' ' | sed 's/ $/\n/' >>"$res/times.tsv"
		log "cold espresso $1: $(tail -n1 "$res/times.tsv" | cut -f3-)"
	}
	if section_on cold-esp; then
		section_begin cold-esp
		cmdrec cold-esp stack "$S -f TMP/esp-stack/stack.yaml build --progress plain"
		timed stack "$S" -f "$es/stack.yaml" build --progress plain
		if [ "$have_podman" = 1 ]; then cmdrec cold-esp "podman build" "sh TMP/chain-podman.sh: $(sed -n 3p "$tmp/chain-podman.sh") ..."; timed "podman build" sh "$tmp/chain-podman.sh"; fi
		if [ "$have_buildah" = 1 ]; then
			sed 's/ --layers / --layers --no-cache /' "$tmp/chain-buildah.sh" >"$tmp/chain-buildah-cold.sh"
			cmdrec cold-esp "buildah bud" "sh TMP/chain-buildah-cold.sh: $(sed -n 3p "$tmp/chain-buildah-cold.sh") ..."
			timed "buildah bud" sh "$tmp/chain-buildah-cold.sh"
		fi
		if [ "$have_docker" = 1 ]; then cmdrec cold-esp "docker build (BuildKit)" "sh TMP/chain-docker.sh: $(sed -n 3p "$tmp/chain-docker.sh") ..."; timed "docker build (BuildKit)" sh "$tmp/chain-docker.sh"; fi
		section_end cold-esp
	fi

	if section_on noop; then
		section_begin noop
		n_cmds=(stack "$S -f $es/stack.yaml build --progress quiet" "")
		[ "$have_podman" = 1 ] && n_cmds+=("podman build" "sh $tmp/chain-podman.sh" "")
		[ "$have_buildah" = 1 ] && n_cmds+=("buildah bud" "sh $tmp/chain-buildah.sh" "")
		[ "$have_docker" = 1 ] && n_cmds+=("docker build (BuildKit)" "sh $tmp/chain-docker.sh" "")
		hf noop "$RUNS" 1 "${n_cmds[@]}"
		section_end noop
	fi

	if section_on wrk-flask; then
		section_begin wrk-flask
		if "$S" -f "$es/stack.yaml" up -d --wait >"$tmp/esp-up.log" 2>&1 && wait_http "http://127.0.0.1:$p_flask_stack/health"; then
			pid=$("$S" -f "$es/stack.yaml" ps --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
			wrk_row Flask stack "http://127.0.0.1:$p_flask_stack/" "$pid" http://127.0.0.1:5000/
		else peer stack-flask failed "$(tail -n 3 "$tmp/esp-up.log")"; fi
		"$S" -f "$es/stack.yaml" down -t 0 >/dev/null 2>&1 || true
		flask_peer() { # NAME CLI PORT
			local id
			if id=$($2 run -d -p "127.0.0.1:$3:5000" -v "$ep/.env:/espresso/.env:ro" espresso-run 2>"$tmp/err") &&
				wait_http "http://127.0.0.1:$3/health"; then
				wrk_row Flask "$1" "http://127.0.0.1:$3/" "$($2 inspect -f '{{.State.Pid}}' "$id")" http://127.0.0.1:5000/
			else
				peer "$1-flask" failed "$(cat "$tmp/err") $($2 logs "$id" 2>&1 | tail -n 3)"
			fi
			[ -z "$id" ] || $2 rm -f -t 0 "$id" >/dev/null 2>&1 || $2 rm -f "$id" >/dev/null 2>&1 || true
		}
		[ "$have_docker" = 1 ] && flask_peer docker /usr/bin/docker "$p_flask_docker"
		[ "$have_podman" = 1 ] && flask_peer podman podman "$p_flask_podman"
		section_end wrk-flask
	fi
fi

# ---- health probes: CPU per 1,000 ---------------------------------------
if section_on probe; then
	section_begin probe
	if bench_cpu_init; then
		# shellcheck source=bench/all-probe.sh
		. "$src/bench/all-probe.sh"
	else
		peer probe failed "no cpuacct cgroup hierarchy and no cgroup2 mount: nothing to count CPU time with"
	fi
	section_end probe
fi

# ---- registry pull ---------------------------------------------------------
if section_on pull; then
	section_begin pull
	if command -v docker-registry >/dev/null && command -v skopeo >/dev/null; then
		# shellcheck source=bench/all-pull.sh
		. "$src/bench/all-pull.sh"
	else
		peer pull "not available" "docker-registry or skopeo not installed (Debian docker-registry, skopeo; INSTALL=1 installs them)"
	fi
	section_end pull
fi

# ---- the page ------------------------------------------------------------
# (a version that cannot be read is left empty rather than failing the run)
ver() { "$@" 2>&1 | head -n1 || true; }
versions=(
	"stack=$(bench_stack_version "$src")"
	"crun=$(ver crun --version)"
	"runc=$(ver runc --version)"
	"hyperfine=$(ver hyperfine --version)"
	"wrk=$(ver wrk -v | cut -d' ' -f1-2)"
	"gnuplot=$(ver gnuplot --version)"
)
if [ "$have_docker" = 1 ]; then
	versions+=("docker=$(ver /usr/bin/docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'), $(ver containerd --version | cut -d' ' -f1,3)")
fi
[ "$have_dc" = 0 ] || versions+=("docker-compose=$(ver docker-compose version --short)")
[ "$have_podman" = 0 ] || versions+=("podman=$(ver podman --version | cut -d' ' -f3), conmon $(ver conmon --version | cut -d' ' -f3)")
[ "$have_buildah" = 0 ] || versions+=("buildah=$(ver buildah --version | cut -d' ' -f3)")
[ "$have_pc" = 0 ] || versions+=("podman-compose=$(ver dpkg-query -W -f='${Version}' podman-compose)")
if section_on pull; then
	command -v skopeo >/dev/null && versions+=("skopeo=$(ver skopeo --version | cut -d' ' -f3)")
	# shellcheck disable=SC2016 # dpkg-query's own format
	command -v docker-registry >/dev/null && versions+=("docker-registry=$(ver dpkg-query -W -f='${Version}' docker-registry)")
fi
vargs=()
for v in "${versions[@]}"; do vargs+=(--version "$v"); done
python3 "$src/bench/report.py" "$res/start.json" "$BENCH_OUT" --all "$res" \
	--stack-status "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stack_status"])' "$res/start-meta.json" 2>/dev/null || echo '?')" \
	--invocation "$invocation" --note "$BENCH_NOTE" \
	--stack-file "$res/start-stack.yaml" --checks "$res/start-checks.txt" \
	--machine "$(bench_machine)" --cgroups "$(bench_cgroups)" \
	--hid-v2 "$(bench_hide_v2_needed && echo yes || echo no)" \
	--load "$(cut -d' ' -f1-3 /proc/loadavg)" "${vargs[@]}" \
	--runs "$RUNS_START" --warmup 5 \
	--params "SECTIONS=${SECTIONS// /,} RUNS=$RUNS WARMUP=$WARMUP RUNS_START=$RUNS_START RUNS_100=$RUNS_100 N_SERVICES=$N_SERVICES COLD_FILES=$COLD_FILES WRK_SECS=$WRK_SECS ESPRESSO=$ESPRESSO PROBE_SECS=$PROBE_SECS PROBE_MS=$PROBE_MS PULL_MB=$PULL_MB"
log "wrote $BENCH_OUT and ${BENCH_OUT%.md}.png"
cut -f1,2 "$res/sections.tsv" | sed 's/^/bench: wall time: /' >&2
