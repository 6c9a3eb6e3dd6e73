# bench/all-probe.sh: the `probe` section of bench/all.sh (sourced there,
# after the peers' setup; uses its variables and helpers).
#
# CPU time per 1,000 health probes of a busybox httpd service: stack's own
# `tcp:` and `http:` checks, docker compose's exec probe (`CMD-SHELL wget`,
# docker's usual HEALTHCHECK for an image without curl) and podman-compose's.
# Each tool runs the service once without a check (idle) and once per
# check, PROBE_SECS each, one after the other.  Counted over the window:
# the CPU (user + sys) of the tool's processes that stay (stack's
# supervisor; dockerd, containerd and the shim; conmon), moved into a
# cpuacct cgroup of ours for the window, plus the container's own cgroup
# (httpd, and the exec'd probes); and the probes, as the connections the
# container's network namespace accepted.  Written to probe.tsv: tool,
# check, seconds, probes, tool ns, container ns, what was counted;
# bench_all.py subtracts the idle run of the same tool.
# shellcheck shell=bash disable=SC2154,SC2153 # all.sh's variables

probe_ms=$PROBE_MS
probe_iv=${probe_ms}ms
probe_dir=$tmp/probe
probe_cg=$bench_cpu_root/$tag-probe
mkdir -p "$probe_dir"
httpd_cmd="[httpd, -f, -p, '8080', -h, /www]"
wget_test='wget -q -O- http://127.0.0.1:8080/ || exit 1'

# probe_window TOOL CHECK CTPID WHAT PID...: one window into probe.tsv.
probe_window() {
	local tool=$1 check=$2 ctpid=$3 what=$4 ctcg d0 c0 a0 t0 d1 c1 a1 t1
	shift 4
	ctcg=$(bench_cpu_cg "$ctpid")
	if [ -z "$ctcg" ] || [ "$ctcg" = "$bench_cpu_root" ]; then
		peer "$tool-probe" failed "the container (pid $ctpid) has no cgroup of its own in $bench_cpu_root"
		return 0
	fi
	bench_cpu_adopt "$probe_cg" "$probe_dir/origin" "$@"
	d0=$(bench_cpu_ns "$probe_cg") c0=$(bench_cpu_ns "$ctcg") a0=$(bench_tcp_accepts "$ctpid") t0=$(date +%s.%N)
	sleep "$PROBE_SECS"
	d1=$(bench_cpu_ns "$probe_cg") c1=$(bench_cpu_ns "$ctcg") a1=$(bench_tcp_accepts "$ctpid") t1=$(date +%s.%N)
	bench_cpu_release "$probe_cg" "$probe_dir/origin"
	printf '%s\t%s\t%.3f\t%s\t%s\t%s\t%s\n' "$tool" "$check" "$(echo "$t1 - $t0" | bc)" $((a1 - a0)) \
		$((d1 - d0)) $((c1 - c0)) "$what" >>"$res/probe.tsv"
	log "probe $tool $check: $((a1 - a0)) probes, tool $(((d1 - d0) / 1000000)) ms, container $(((c1 - c0) / 1000000)) ms CPU"
}

# ---- stack: no check, tcp:, http: ----
for check in none tcp http; do
	case $check in
	none) hc="" ;;
	tcp) hc="healthcheck: {tcp: {port: 8080}, interval: $probe_iv, timeout: 1s}" ;;
	http) hc="healthcheck: {http: {port: 8080, path: /}, interval: $probe_iv, timeout: 1s}" ;;
	esac
	cat >"$probe_dir/$check.yaml" <<-EOF
	name: benchprobe$$
	bases:
	  bench-busybox: {rootfs: $bb}
	services:
	  web:
	    image: bench-busybox
	    command: $httpd_cmd
	    $hc
	EOF
	stack_projects+=("$probe_dir/$check.yaml")
	cmdrec probe "stack $check" "$S -f TMP/probe/$check.yaml up -d --wait   (${hc:-no healthcheck})"
	if ! "$S" -f "$probe_dir/$check.yaml" up -d --wait >"$tmp/err" 2>&1; then
		peer stack-probe failed "up -d --wait ($check): $(tail -n 3 "$tmp/err")"
		continue
	fi
	sleep 1
	pid=$("$S" -f "$probe_dir/$check.yaml" ps --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
	probe_window stack "$check" "$pid" "stack supervisor + the container's cgroup" "$(stack_sup_pid "benchprobe$$")"
	"$S" -f "$probe_dir/$check.yaml" down -t 0 >/dev/null 2>&1 || true
done

# ---- docker compose: no check, exec wget ----
# compose_probe_file CHECK FILE: the service, with docker's exec probe or none.
compose_probe_file() {
	{
		printf 'services:\n  web:\n    image: bench-busybox:latest\n    command: %s\n' "$httpd_cmd"
		[ "$1" = none ] || printf '    healthcheck:\n      test: ["CMD-SHELL", "%s"]\n      interval: %s\n      timeout: 1s\n      retries: 3\n' \
			"$wget_test" "$probe_iv"
	} >"$2"
}
# compose_probe_up NAME CLI PREFIX CHECK: `CLI -f PREFIX-CHECK.yaml up -d`
# (recorded; output in PREFIX-up.log), then 2 s to settle; fails, reported,
# when up does.
compose_probe_up() {
	local f=$probe_dir/$3-$4.yaml
	compose_probe_file "$4" "$f"
	cmdrec probe "$1 $4" "$2 -f TMP/probe/$3-$4.yaml up -d   (healthcheck: ${4/exec/CMD-SHELL $wget_test, interval $probe_iv})"
	if ! $2 -f "$f" up -d >"$tmp/$3-up.log" 2>&1; then
		peer "$1-probe" failed "up -d ($4): $(tail -n 3 "$tmp/$3-up.log")"
		return 1
	fi
	sleep 2
}
if [ "$have_dc" = 1 ]; then
	dcp="docker-compose -p benchprobe$$"
	for check in none exec; do
		compose_probe_up "docker compose" "$dcp" docker "$check" || continue
		id=$($dcp -f "$probe_dir/docker-$check.yaml" ps -q web)
		# shellcheck disable=SC2046 # a list of pids
		probe_window "docker compose" "$check" "$(/usr/bin/docker inspect -f '{{.State.Pid}}' "$id")" \
			"dockerd + containerd + containerd-shim + the container's cgroup" $(docker_pids)
		$dcp -f "$probe_dir/docker-$check.yaml" down -t 0 >/dev/null 2>&1 || true
	done
fi

# ---- podman-compose: no check, exec wget ----
# podman runs a container's probes from a systemd timer (`podman
# healthcheck run ID` each interval).  Without systemd it starts the
# container, logs the error and never probes: then the same command the
# timer would run is driven by a shell loop (`sleep` for the interval,
# measured from the end of the last probe as docker and stack do),
# counted with conmon: check `exec-loop` in the table.  (The loop waits
# 1 s first, to be in our cgroup before it probes.)
if [ "$have_pc" = 1 ]; then
	pcp="podman-compose -p benchprobe$$"
	for check in none exec; do
		compose_probe_up podman-compose "$pcp" podman "$check" || continue
		name=benchprobe$$_web_1
		pid=$(podman inspect -f '{{.State.Pid}}' "$name")
		kind=$check loop_pid=""
		if [ "$check" = exec ]; then
			a0=$(bench_tcp_accepts "$pid")
			sleep 3
			if [ "$(bench_tcp_accepts "$pid")" = "$a0" ]; then
				peer podman-compose "not available for probe" "no probe in 3 s at interval $probe_iv: $(grep -m1 -o 'unable to get systemd connection[^"]*' "$tmp/podman-up.log" || tail -n 2 "$tmp/podman-up.log") -- measured instead: \`podman healthcheck run\` (what the timer runs) from a shell loop, interval $probe_iv"
				kind=exec-loop
				# shellcheck disable=SC2016 # expanded by that shell
				bash -c 'sleep 1; while :; do podman healthcheck run "$1" >/dev/null 2>&1; sleep "$2"; done' _ "$name" \
					"$(awk -v m="$probe_ms" 'BEGIN {printf "%.3f", m / 1000}')" &
				loop_pid=$!
				bg_pids+=("$loop_pid")
				cmdrec probe "podman-compose $kind" "while :; do podman healthcheck run $name; sleep $probe_iv; done"
			fi
		fi
		# shellcheck disable=SC2046 # a list of pids
		probe_window podman-compose "$kind" "$pid" "conmon + the container's cgroup${loop_pid:+ + the loop and its podman processes}" \
			$(podman_pids) $loop_pid
		if [ -n "$loop_pid" ]; then kill "$loop_pid" 2>/dev/null; wait "$loop_pid" 2>/dev/null || true; fi
		$pcp -f "$probe_dir/podman-$check.yaml" down -t 0 >/dev/null 2>&1 || true
	done
fi
