# Shared by the espresso suites (build_espresso.bats, e2e_espresso.bats):
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
