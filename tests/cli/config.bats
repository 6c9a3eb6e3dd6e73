#!/usr/bin/env bats
# stack config: validation, the normalized dump, listings, file lookup,
# project names, interpolation and exit codes.

setup() {
	FIX="$STACK_SRC/tests/fixtures/stacks"
	# A clean environment: fixtures interpolate only what the tests set.
	CLEAN=(env -i PATH="$PATH" HOME=/home/tester VERSION=7 FROM_SHELL=shell HOST_PORT=7000)
	export STACK_ROOT="$BATS_TEST_TMPDIR/root" STACK_RUN="$BATS_TEST_TMPDIR/run"
}

@test "every fixture prints its expected normalized JSON" {
	cd "$FIX"
	local failed=0
	while IFS=: read -r name args; do
		case "$name" in '#'* | '') continue ;; esac
		# shellcheck disable=SC2086
		"${CLEAN[@]}" "$STACK_BIN" $args config --format json >"$BATS_TEST_TMPDIR/out.json" || {
			echo "$name: exit $?"
			failed=1
			continue
		}
		sed "s#$FIX#@DIR@#g" "$BATS_TEST_TMPDIR/out.json" >"$BATS_TEST_TMPDIR/norm.json"
		diff -u "$name.json" "$BATS_TEST_TMPDIR/norm.json" || failed=1
	done <cases.txt
	[ "$failed" -eq 0 ]
}

@test "the YAML output is the same stack: loading it again prints it unchanged" {
	cd "$FIX"
	for args in "-f full.yaml" "-f compose.yaml" "-f anchors.yaml" "-f override.base.yaml -f override.dev.yaml"; do
		# shellcheck disable=SC2086
		"${CLEAN[@]}" "$STACK_BIN" $args config >"$BATS_TEST_TMPDIR/once.yaml"
		"${CLEAN[@]}" "$STACK_BIN" -f "$BATS_TEST_TMPDIR/once.yaml" config >"$BATS_TEST_TMPDIR/twice.yaml"
		diff -u "$BATS_TEST_TMPDIR/once.yaml" "$BATS_TEST_TMPDIR/twice.yaml"
	done
}

@test "YAML and JSON outputs describe the same stack" {
	cd "$FIX"
	"${CLEAN[@]}" "$STACK_BIN" -f full.yaml config >"$BATS_TEST_TMPDIR/a.yaml"
	"${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --format json >"$BATS_TEST_TMPDIR/a.json"
	python3 - "$BATS_TEST_TMPDIR/a.yaml" "$BATS_TEST_TMPDIR/a.json" <<'PY'
import json, sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
j = json.load(open(sys.argv[2]))
assert y == j, (y, j)
PY
}

@test "secret values never appear; env_file values of a mounted secret are masked" {
	cd "$FIX"
	for fmt in yaml json; do
		run "${CLEAN[@]}" API_TOKEN=tok-123 "$STACK_BIN" -f full.yaml config --format "$fmt"
		[ "$status" -eq 0 ]
		[[ "$output" != *hunter2* ]]
		[[ "$output" != *"s3cr3t value"* ]]
		[[ "$output" != *tok-123* ]]
		[[ "$output" == *DB_PASSWORD* ]]
		[[ "$output" == *"********"* ]]
		[[ "$output" == *API_TOKEN* ]]
	done
	# An env_file that is not a secret is printed as compose prints it.
	run "${CLEAN[@]}" "$STACK_BIN" -f compose.yaml config
	[[ "$output" == *"APP_GREETING: hello 80"* ]]
}

@test "--services, --images and --build-order list names" {
	cd "$FIX"
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --services
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'espresso\ndb\nprobe')" ]
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --images
	[ "$output" = "$(printf 'python3-pip3\nespresso')" ]
	# images from build: are listed too, named PROJECT-SERVICE
	run "${CLEAN[@]}" "$STACK_BIN" -f compose.yaml config --images
	[ "$output" = "stacks-app" ]
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --build-order
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'python3-pip3\nespresso')" ]
	run "${CLEAN[@]}" "$STACK_BIN" -f profiles.yaml config --services
	[ "$output" = "web" ]
	run "${CLEAN[@]}" "$STACK_BIN" -f profiles.yaml --profile debug config --services
	[ "$output" = "$(printf 'web\ndebug-shell\nmetrics')" ]
}

@test "images in one build level are printed on one line" {
	mkdir -p "$BATS_TEST_TMPDIR/p/a" "$BATS_TEST_TMPDIR/p/b" "$BATS_TEST_TMPDIR/p/c"
	cd "$BATS_TEST_TMPDIR/p"
	printf 'FROM scratch\nCOPY x /x\n' >a/Dockerfile
	printf 'FROM scratch\nCOPY y /y\n' >b/Dockerfile
	printf 'FROM a\nFROM b\n' >c/Dockerfile
	printf 'images:\n  c: {context: c}\n  a: {context: a}\n  b: {context: b}\n' >stack.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config --build-order
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a b\nc')" ]
}

@test "-f files override in order: later wins" {
	cd "$FIX"
	run "${CLEAN[@]}" "$STACK_BIN" -f override.base.yaml -f override.dev.yaml config --format json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"nginx-debug"'* ]]
	[[ "$output" == *'"MODE": "dev"'* ]]
	run "${CLEAN[@]}" "$STACK_BIN" -f override.dev.yaml -f override.base.yaml config --format json
	[ "$status" -eq 0 ]
	[[ "$output" != *'"nginx-debug"'* ]]
	[[ "$output" == *'"MODE": "prod"'* ]]
}

@test "a stack file on stdin with -f -" {
	cd "$BATS_TEST_TMPDIR"
	run "${CLEAN[@]}" "$STACK_BIN" -p piped -f - config --services <<<$'services:\n  one: {image: busybox}\n'
	[ "$status" -eq 0 ]
	[ "$output" = "one" ]
}

@test "a stack file on stdin over the size limit is refused, not read on" {
	cd "$BATS_TEST_TMPDIR"
	run "${CLEAN[@]}" "$STACK_BIN" -p piped -f - config < <(head -c 9000000 /dev/zero | tr '\0' '#')
	[ "$status" -eq 2 ]
	[ "$output" = "<stdin>: error: stack file is larger than 8388608 bytes" ]
}

@test "a .env that cannot be read is an error naming it, with a hint" {
	mkdir -p "$BATS_TEST_TMPDIR/e/.env"
	cd "$BATS_TEST_TMPDIR/e"
	printf 'services:\n  one: {image: busybox}\n' >stack.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config --services
	[ "$status" -eq 2 ]
	[[ "$output" == *".env: error: cannot read .env file: read \`$BATS_TEST_TMPDIR/e/.env\`: Is a directory"* ]]
	[[ "$output" == *"hint: it holds variables for interpolation"* ]]
	rmdir .env
	run "${CLEAN[@]}" "$STACK_BIN" config --services
	[ "$status" -eq 0 ]
	[ "$output" = "one" ]
}

@test "project name: -p, then name:, then the directory, normalized" {
	mkdir -p "$BATS_TEST_TMPDIR/My_Proj.Dir"
	cd "$BATS_TEST_TMPDIR/My_Proj.Dir"
	printf 'services:\n  web:\n    build: .\n' >stack.yaml
	printf 'FROM scratch\n' >Dockerfile
	run "${CLEAN[@]}" "$STACK_BIN" config --images
	[ "$output" = "my_projdir-web" ]
	run "${CLEAN[@]}" "$STACK_BIN" -p other config --images
	[ "$output" = "other-web" ]
	printf 'name: named\nservices:\n  web:\n    build: .\n' >stack.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config --images
	[ "$output" = "named-web" ]
	run "${CLEAN[@]}" "$STACK_BIN" -p Bad.Name config
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid project name \`Bad.Name\` given with -p"* ]]
}

@test "file lookup: stack.yaml before compose.yaml; none found is exit 2 with a hint" {
	cd "$BATS_TEST_TMPDIR"
	run "${CLEAN[@]}" "$STACK_BIN" config
	[ "$status" -eq 2 ]
	[[ "$output" == *"no stack file found in $BATS_TEST_TMPDIR"* ]]
	[[ "$output" == *"hint: create stack.yaml"* ]]
	printf 'services:\n  from-compose: {image: busybox}\n' >compose.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config --services
	[ "$output" = "from-compose" ]
	printf 'services:\n  from-stack: {image: busybox}\n' >stack.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config --services
	[ "$output" = "from-stack" ]
	run "${CLEAN[@]}" "$STACK_BIN" -f nope.yaml config
	[ "$status" -eq 2 ]
	[[ "$output" == *"nope.yaml: error: cannot open stack file: No such file or directory"* ]]
}

@test ".env beside the first file feeds interpolation; the environment wins" {
	cd "$FIX"
	run "${CLEAN[@]}" "$STACK_BIN" -f interp/stack.yaml config --format json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"GREETING": "hello from .env"'* ]]
	[[ "$output" == *'"published": 7000'* ]]
	[[ "$output" == *'"LITERAL": "$HOME stays"'* ]]
	run "${CLEAN[@]}" GREETING=from-env PROJECT=renamed "$STACK_BIN" -f interp/stack.yaml config --format json
	[[ "$output" == *'"GREETING": "from-env"'* ]]
	[[ "$output" == *'"name": "renamed"'* ]]
}

@test "exit codes: 0 valid, 2 invalid file, 2 usage errors; -q prints nothing" {
	cd "$FIX"
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "${CLEAN[@]}" "$STACK_BIN" -f "$STACK_SRC/tests/corpus/stack/bad-restart.yaml" config -q
	[ "$status" -eq 2 ]
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --format xml
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown format"* ]]
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --bogus
	[ "$status" -eq 2 ]
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config --services --images
	[ "$status" -eq 2 ]
	run "${CLEAN[@]}" "$STACK_BIN" -f full.yaml config extra
	[ "$status" -eq 2 ]
	run "$STACK_BIN" config --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--build-order"* ]]
}

@test "a stack with an empty services: is refused" {
	cd "$BATS_TEST_TMPDIR"
	printf 'name: nothing\nservices: {}\n' >stack.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config
	[ "$status" -eq 2 ]
	[ "$output" = "$(printf 'stack.yaml:1:1: error: stack file defines no services and no images\n  hint: add a `services:` section (each service needs `image:` or `build:`)')" ]
}

@test "Dockerfile errors found by the planner are invalid input (exit 2)" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p a
	printf 'FROM b\n' >a/Dockerfile
	mkdir -p b
	printf 'FROM a\n' >b/Dockerfile
	printf 'images:\n  a: {context: a}\n  b: {context: b}\n' >stack.yaml
	run "${CLEAN[@]}" "$STACK_BIN" config
	[ "$status" -eq 2 ]
	[[ "$output" == *"cycle"* ]]
}

@test "config writes nothing on disk, valid or not" {
	mkdir -p "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
	printf 'services:\n  web:\n    image: nginx\n    restart: sometimes\n    volumes: ["./data:/data"]\n' >stack.yaml
	before=$(find "$BATS_TEST_TMPDIR" -printf '%p %s %T@\n' | sort)
	run "${CLEAN[@]}" STACK_ROOT="$STACK_ROOT" STACK_RUN="$STACK_RUN" "$STACK_BIN" config
	[ "$status" -eq 2 ]
	after=$(find "$BATS_TEST_TMPDIR" -printf '%p %s %T@\n' | sort)
	[ "$before" = "$after" ]
	sed -i 's/restart: sometimes/restart: always/' stack.yaml
	before=$(find "$BATS_TEST_TMPDIR" -printf '%p %s %T@\n' | sort)
	run "${CLEAN[@]}" STACK_ROOT="$STACK_ROOT" STACK_RUN="$STACK_RUN" "$STACK_BIN" config
	[ "$status" -eq 0 ]
	after=$(find "$BATS_TEST_TMPDIR" -printf '%p %s %T@\n' | sort)
	[ "$before" = "$after" ]
	[ ! -e data ]
	[ ! -e "$STACK_ROOT" ]
	[ ! -e "$STACK_RUN" ]
}
