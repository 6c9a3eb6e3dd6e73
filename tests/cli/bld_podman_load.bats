#!/usr/bin/env bats
# `stack image save` archives load into podman (`podman load`, an OCI
# archive) with their config as stack built it: Env, Cmd, User,
# Entrypoint, WorkingDir, Labels, and a container of it runs.  Podman gets
# a storage of its own under the test's temp dir (vfs driver, its own
# run and tmp dirs), removed after; the host's podman storage is never
# touched.  Needs root and podman (scripts/deps.sh).

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env
load helpers/store_env

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed (scripts/deps.sh)"
	run_env_setup_file
}
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	PM_DIR="$BATS_TEST_TMPDIR/podman"
	PM_CGROUP="$STACK_CGROUP_PARENT-podman"
	mkdir -p "$PM_DIR/root" "$PM_DIR/run" "$PM_DIR/tmp"
	df app 'FROM bb' 'ENV GREETING=hello MODE=saved' 'WORKDIR /srv' \
		'RUN echo "$GREETING" > /srv/made && chown -R 1000:1000 /srv' 'USER 1000:1000' \
		'LABEL org.example.role=podman' 'ENTRYPOINT ["/bin/sh", "-c"]' \
		'CMD ["echo $GREETING $MODE uid=$(id -u) cwd=$(pwd) $(cat made)"]'
	build_stack_file <<-'EOF2'
	images:
	  app: {context: app}
	EOF2
}
teardown() {
	# podman's storage (vfs layers, its lock files, a container's state):
	# all of it is under $PM_DIR; its mounts, if any, go first.
	if [ -d "${PM_DIR:-}/root" ]; then
		pm rm -af >/dev/null 2>&1 || true
		pm rmi -af >/dev/null 2>&1 || true
		grep -F "$PM_DIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
		rm -rf "$PM_DIR"
	fi
	# The cgroups podman made (the container's goes with --rm; conmon's and
	# the parent stay): empty by now, deepest first.
	local d
	for d in /sys/fs/cgroup/*/"${PM_CGROUP:-none}"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	run_env_teardown
}

pm() {
	podman --root "$PM_DIR/root" --runroot "$PM_DIR/run" --tmpdir "$PM_DIR/tmp" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none "$@"
}

@test "podman load of a stack image save archive keeps Env, Cmd, User, Entrypoint, WorkingDir, Labels" {
	run -0 stack build app
	name=$("$STACK_BIN" images --format json | json_get '[i["name"] for i in j if "app" in i["name"]][0]')
	[ -n "$name" ]
	run -0 "$STACK_BIN" image save "$name" -o "$BATS_TEST_TMPDIR/app.tar"
	run -0 pm load -i "$BATS_TEST_TMPDIR/app.tar"
	loaded=$(sed -n 's/^Loaded image[^:]*: //p' <<<"$output" | head -1)
	[ -n "$loaded" ]
	run -0 pm image inspect "$loaded"
	[ "$(json_get 'j[0]["Config"]["User"]' <<<"$output")" = "1000:1000" ]
	[ "$(json_get 'j[0]["Config"]["WorkingDir"]' <<<"$output")" = "/srv" ]
	[ "$(json_get 'j[0]["Config"]["Entrypoint"]' <<<"$output")" = "['/bin/sh', '-c']" ]
	[ "$(json_get 'j[0]["Config"]["Cmd"]' <<<"$output")" = "['echo \$GREETING \$MODE uid=\$(id -u) cwd=\$(pwd) \$(cat made)']" ]
	[ "$(json_get 'j[0]["Config"]["Labels"]["org.example.role"]' <<<"$output")" = "podman" ]
	env=$(json_get 'j[0]["Config"]["Env"]' <<<"$output")
	[[ "$env" == *"'GREETING=hello'"* ]]
	[[ "$env" == *"'MODE=saved'"* ]]
	# The same config stack has (its own inspect), field by field.
	ours=$("$STACK_BIN" image inspect "$name")
	[ "$(json_get 'j[0]["Config"]["config"]["Env"]' <<<"$ours")" = "$env" ]
	# The layer stack built is the layer podman has.
	[ "$(json_get 'j[0]["Config"]["rootfs"]["diff_ids"]' <<<"$ours")" = \
		"$(pm image inspect "$loaded" | json_get 'j[0]["RootFS"]["Layers"]')" ]
	# And podman runs it with that config.
	# runc with limits under the sandbox's hard ones (podman's default
	# nofile and nproc are above them here; crun also refuses a hybrid
	# cgroup setup), in a cgroup parent of this test's, removed after.
	run -0 pm run --rm --network none --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		--cgroup-parent "/$PM_CGROUP" "$loaded"
	[ "${lines[-1]}" = "hello saved uid=1000 cwd=/srv hello" ]
}
