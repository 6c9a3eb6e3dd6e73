# Shared by the espresso suites (build_espresso.bats, e2e_espresso.bats,
# e2e_espresso_faults.bats):
# a copy of examples/espresso with a fresh .env holding a canary, and one
# store per machine at /var/cache/stack-ci/espresso (STACK_ESPRESSO_CACHE
# overrides it) so the chain, minutes of debootstrap and apt, is built
# once.  The tests write and edit only the copy, never the source tree.
# Load after run_env.

# espresso_setup_file: skip without debootstrap; the copy and its .env.
espresso_setup_file() {
	command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/deps.sh)"
	run_env_setup_file
	export ESP_ROOT="${STACK_ESPRESSO_CACHE:-/var/cache/stack-ci/espresso}"
	mkdir -p "$ESP_ROOT"
	export ESP="$BATS_FILE_TMPDIR/espresso"
	cp -a "$STACK_SRC/examples/espresso" "$ESP"
	# A developer's .env (maybe a symlink) is not written through.
	rm -f "$ESP/.env"
	export CANARY="canary-$$-$RANDOM"
	printf 'GREETING=espresso-%s\nSECRET_KEY=s3cr3t-%s\n' "$CANARY" "$CANARY" >"$ESP/.env"
}

# espresso_setup: per test, in the copy, on the shared store.
espresso_setup() {
	run_env_setup
	cd "$ESP"
	export STACK_ROOT="$ESP_ROOT"
}

# esp ARGS...: stack on the copied example's stack file
esp() {
	timeout -k 5 "${RUN_TIMEOUT:-120}" "$STACK_BIN" -f "$ESP/stack.yaml" "$@"
}

# esp_ps_field FIELD [SERVICE]: SERVICE's (default espresso) FIELD in
# `stack ps --format json`, dotted; a number indexes a list (-1: the
# last).  Python's spelling: True/False, None when absent.
esp_ps_field() {
	esp ps --format json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
rows = rows if isinstance(rows, list) else rows.get("containers", [])
row = [r for r in rows if r.get("service") == sys.argv[2]][0]
v = row
for k in sys.argv[1].split("."):
    if isinstance(v, dict):
        v = v.get(k)
    elif isinstance(v, list) and v and k.lstrip("-").isdigit():
        v = v[int(k)]
    else:
        v = None
print(v)' "$1" "${2:-espresso}"
}

# espresso_host_links: the host's network links, sorted (a stack must not
# leave a veth or bridge behind).
espresso_host_links() { ip -o link | awk -F': ' '{print $2}' | sort; }

# espresso_assert_down_clean LINKS_BEFORE [PID...]: after `stack down`,
# nothing of the stack is left: no listener or answer on 5055, no mount
# (the rootfs, the netns files) under STACK_RUN, no state, socket or netns
# file there, no cgroup below ours nor process in one, no process whose
# root is a container's, none of the PIDs (e.g. the supervisor's) but as a
# zombie, no host link of ours new since LINKS_BEFORE.  Each finding is
# said on stderr.
espresso_assert_down_clean() {
	local links_before=$1 bad=0 out p
	shift
	out=$(ss -Hltn 'sport = :5055')
	[ -z "$out" ] || { echo "left: a listener on 5055: $out" >&2; bad=1; }
	out=$(grep -F "$STACK_RUN" /proc/self/mountinfo || true)
	[ -z "$out" ] || { echo "left: mounts:"$'\n'"$out" >&2; bad=1; }
	out=$(find "$STACK_RUN" -mindepth 2 2>/dev/null || true)
	[ -z "$out" ] || { echo "left: under $STACK_RUN:"$'\n'"$out" >&2; bad=1; }
	out=$(ss -Hxa | grep -F "$STACK_RUN" || true)
	[ -z "$out" ] || { echo "left: unix sockets:"$'\n'"$out" >&2; bad=1; }
	out=$(for p in /sys/fs/cgroup/*/"$STACK_CGROUP_PARENT"; do
		if [ -d "$p" ]; then find "$p" -mindepth 1 -type d; fi
	done)
	[ -z "$out" ] || { echo "left: cgroups:"$'\n'"$out" >&2; bad=1; }
	out=$(run_env_cgroup_pids)
	[ -z "$out" ] || { echo "left: processes in our cgroups: $out" >&2; bad=1; }
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/root" 2>/dev/null)" in
		*"$STACK_RUN"*) echo "left: process ${p#/proc/} rooted in $STACK_RUN" >&2; bad=1 ;;
		esac
	done
	# (a zombie has ended: it waits for its parent, init, to reap it)
	for p in "$@"; do
		out=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null || true)
		[ -z "$out" ] || [ "$out" = Z ] || { echo "left: process $p ($out)" >&2; bad=1; }
	done
	# new since LINKS_BEFORE and named as ours (net_attach.c: a veth's end
	# veXXXXXXXX, a bridge brN): a docker beside us makes veth*, br-*
	out=$(comm -13 <(echo "$links_before") <(espresso_host_links) | grep -E '^(ve[0-9a-f]{8}|br[0-9]+)(@|$)' || true)
	[ -z "$out" ] || { echo "left: host links:"$'\n'"$out" >&2; bad=1; }
	if curl -fsS -m 2 -o /dev/null http://127.0.0.1:5055/ 2>/dev/null; then
		echo "left: something answers on 5055" >&2
		bad=1
	fi
	return $bad
}
