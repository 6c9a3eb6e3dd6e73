#!/usr/bin/env bats
# stack config --build-order: images in the order their FROM lines imply,
# one line per level (images of a level can build in parallel, listed in
# stack file order); cycles, missing Dockerfiles and malformed FROMs are
# refused with exit 2 and FILE:LINE messages; registry images named by FROM
# show up in `stack config` as implicit pull: bases.

setup() {
	cd "$BATS_TEST_TMPDIR"
	export STACK_ROOT="$BATS_TEST_TMPDIR/root" STACK_RUN="$BATS_TEST_TMPDIR/run"
}

# df DIR LINE...: write DIR/Dockerfile
df() {
	local dir=$1
	shift
	mkdir -p "$dir"
	printf '%s\n' "$@" >"$dir/Dockerfile"
}

@test "the espresso example builds its four images one after the other" {
	run "$STACK_BIN" -f "$STACK_SRC/examples/espresso/stack.yaml" config --build-order
	[ "$status" -eq 0 ]
	[ "$output" = "python3-pip3
flask112
espresso
espresso-run" ]
}

@test "a diamond: independent images share a level, in stack file order" {
	df base 'FROM debian:bookworm'
	df right 'FROM base'
	df left 'FROM base:latest'
	df top 'FROM left AS l' 'FROM right' 'COPY --from=l /x /x'
	df other 'FROM scratch'
	cat >stack.yaml <<-'EOF'
	bases:
	  debian:bookworm: {debootstrap: {suite: bookworm}}
	images:
	  top: {context: top}
	  right: {context: right}
	  left: {context: left}
	  base: {context: base}
	  other: {context: other}
	EOF
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 0 ]
	[ "$output" = "base other
right left
top" ]
}

@test "ARGs in FROM: defaults, and the image's args: override them" {
	df one 'FROM scratch'
	df two 'FROM scratch'
	df app 'ARG BASE=one' 'FROM ${BASE}'
	cat >stack.yaml <<-'EOF'
	images:
	  app: {context: app, args: {BASE: two}}
	  one: {context: one}
	  two: {context: two}
	  app1: {context: app, dockerfile: Dockerfile}
	EOF
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 0 ]
	[ "$output" = "one two
app app1" ]
	# Only `two` must come before app: building it needs no `one`.
	sed -i '/app1/d' stack.yaml
	run "$STACK_BIN" config --build-order
	[ "$output" = "one two
app" ]
	sed -i 's/BASE: two/BASE: ""/' stack.yaml
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 2 ]
	[[ "$output" == *"app/Dockerfile:2: error: FROM \${BASE}: the image name is empty after ARG substitution"* ]]
}

@test "target: only the stages the target needs count" {
	df a 'FROM scratch'
	df b 'FROM scratch'
	df multi 'FROM a AS dev' 'FROM b AS prod' 'FROM prod AS test' 'COPY --from=dev / /'
	cat >stack.yaml <<-'EOF'
	images:
	  a: {context: a}
	  b: {context: b}
	  prod: {context: multi, target: prod}
	  test: {context: multi}
	EOF
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 0 ]
	[ "$output" = "a b
prod test" ]
}

@test "a cycle of three images names the whole cycle and each FROM line" {
	df a 'FROM b'
	df b '# the middle' 'FROM c'
	df c 'FROM scratch AS tools' 'FROM a'
	cat >stack.yaml <<-'EOF'
	images:
	  a: {context: a}
	  b: {context: b}
	  c: {context: c}
	EOF
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 2 ]
	[ "$output" = "a/Dockerfile:1: error: images build from each other in a cycle: a -> b -> c -> a
  hint: an image cannot be built before the images it builds from; change one of these lines:
    a/Dockerfile:1: FROM b
    b/Dockerfile:2: FROM c
    c/Dockerfile:2: FROM a" ]
}

@test "an image built FROM itself, and a COPY --from cycle of two" {
	df self 'FROM self'
	df x 'FROM scratch' 'COPY --from=y /bin /bin'
	df y 'FROM x'
	cat >stack.yaml <<-'EOF'
	images:
	  self: {context: self}
	  x: {context: x}
	  y: {context: y}
	EOF
	run "$STACK_BIN" config -q
	[ "$status" -eq 2 ]
	[[ "$output" == *"self/Dockerfile:1: error: image \`self\` builds from itself: self -> self"* ]]
	[[ "$output" == *"x/Dockerfile:2: error: images build from each other in a cycle: x -> y -> x"* ]]
	[[ "$output" == *"    x/Dockerfile:2: COPY --from=y"* ]]
	[[ "$output" == *"    y/Dockerfile:1: FROM x"* ]]
}

@test "a missing Dockerfile is reported at the image in the stack file" {
	mkdir -p gone
	cat >stack.yaml <<-'EOF'
	images:
	  ok: {dockerfile_inline: "FROM scratch"}
	  gone: {context: gone}
	EOF
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 2 ]
	[[ "$output" == "stack.yaml:3:3: error: image \`gone\`: cannot read Dockerfile \`gone/Dockerfile\`: open \`"*"/gone/Dockerfile\`: No such file or directory"* ]]
	[[ "$output" == *"hint: create it, or set \`dockerfile:\` (relative to the context \`gone\`) or \`dockerfile_inline:\`"* ]]
}

@test "a malformed FROM reference is an error at its line" {
	df bad 'ARG V=Ubuntu' 'FROM $V:focal'
	cat >stack.yaml <<-'EOF'
	images:
	  bad: {context: bad}
	EOF
	run "$STACK_BIN" config --build-order
	[ "$status" -eq 2 ]
	[[ "$output" == "bad/Dockerfile:2: error: FROM: invalid image reference \`Ubuntu:focal\`: repository name must be lowercase"* ]]
}

@test "registry images named by FROM and COPY --from are implicit pull: bases" {
	df app 'FROM ubuntu:focal' 'COPY --from=docker.io/library/busybox:1.36 /bin/busybox /bin/'
	df app2 'FROM docker.io/library/ubuntu:focal'
	cat >stack.yaml <<-'EOF'
	bases:
	  debian:bookworm: {debootstrap: {suite: bookworm}}
	images:
	  app: {context: app}
	  app2: {context: app2}
	services:
	  web: {image: app}
	EOF
	run "$STACK_BIN" config --format json
	[ "$status" -eq 0 ]
	# One base per registry image, however the FROM lines spell it.
	run python3 -c '
import json, sys
bases = json.load(sys.stdin)["bases"]
for name in sorted(bases):
    print(name, json.dumps(bases[name], sort_keys=True))
' <<<"$output"
	[ "$output" = 'debian:bookworm {"debootstrap": {"suite": "bookworm"}}
docker.io/library/busybox:1.36 {"pull": "docker.io/library/busybox:1.36"}
ubuntu:focal {"pull": "docker.io/library/ubuntu:focal"}' ]
}
