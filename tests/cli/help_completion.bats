#!/usr/bin/env bats
# completion/stack.bash, sourced as bash-completion would, against the real
# binary: COMPREPLY for commands, options, option values, services of the
# stack file in the current directory (or the one -f names) and image names.

bats_require_minimum_version 1.5.0

setup_file() {
	: "${STACK_BIN:?STACK_BIN must name the stack binary}"
	: "${STACK_SRC:?STACK_SRC must name the source tree}"
	export STACK_ROOT="$BATS_FILE_TMPDIR/root" STACK_RUN="$BATS_FILE_TMPDIR/run"
	export STACK_CGROUP_PARENT="stack-bats-compl-$$"
	export PROJ="$BATS_FILE_TMPDIR/proj"
	mkdir -p "$PROJ/rfs/etc" "$PROJ/other"
	echo hi >"$PROJ/rfs/etc/hi"
	printf 'bases:\n  bb: {rootfs: ./rfs}\nservices:\n  web: {image: bb}\n  worker: {image: bb}\n' >"$PROJ/stack.yaml"
	printf 'bases:\n  bb: {rootfs: ../rfs}\nservices:\n  db: {image: bb}\n' >"$PROJ/other/stack.yaml"
}

teardown_file() {
	rm -rf "$BATS_FILE_TMPDIR/root" "$BATS_FILE_TMPDIR/run"
}

# complete WORD...: COMPREPLY (sorted, one line) for the command line WORDS,
# the cursor on the last word; run in $PROJ like a user's shell.
complete_words() {
	(
		cd "$PROJ"
		# shellcheck source=/dev/null
		source "$STACK_SRC/completion/stack.bash"
		COMP_WORDS=("$STACK_BIN" "$@")
		COMP_CWORD=$#
		_stack
		printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
	)
}

@test "completion: registers for stack" {
	run -0 bash -c "source '$STACK_SRC/completion/stack.bash' && complete -p stack"
	[[ "$output" == *"-F _stack stack"* ]]
}

@test "completion: command names, from stack --help" {
	run -0 complete_words ""
	for c in build config up down ps logs exec image; do
		[[ " $output " == *" $c "* ]] || { echo "no $c in: $output" >&2; return 1; }
	done
	run -0 complete_words lo
	[ "$output" = logs ]
	run -0 complete_words image ""
	[[ " $output " == *" save "* && " $output " == *" prune "* ]]
}

@test "completion: options of the command, and the globals before it" {
	run -0 complete_words logs --t
	[ "$output" = "--tail --timestamps" ]
	run -0 complete_words --pro
	[ "$output" = "--profile --project-name" ]
	run -0 complete_words -f stack.yaml up --no-r
	[ "$output" = "--no-recreate" ]
	run -0 complete_words image save --
	[ "$output" = "--gzip --help --output" ]
}

@test "completion: option values from the help's placeholder" {
	run -0 complete_words ps --format ""
	[ "$output" = "json table" ]
	run -0 complete_words config --format ""
	[ "$output" = "json yaml" ]
	run -0 complete_words kill -s SIGKI
	[ "$output" = "SIGKILL" ]
	run -0 complete_words -f st
	[ "$output" = "stack.yaml" ]
}

@test "completion: service names from the stack file in use" {
	run -0 complete_words logs ""
	[ "$output" = "web worker" ]
	run -0 complete_words exec w
	[ "$output" = "web worker" ]
	# exec SERVICE COMMAND: after the service comes no service.
	run -0 complete_words exec web ""
	[ "$output" = "" ]
	# Options and their values are not positions.
	run -0 complete_words logs --tail 5 -f we
	[ "$output" = "web" ]
	run -0 complete_words -f other/stack.yaml ps ""
	[ "$output" = "db" ]
}

@test "completion: image names of the store for stack image" {
	(cd "$PROJ" && "$STACK_BIN" pull -q)
	base=$(cd "$PROJ" && "$STACK_BIN" images | awk 'NR == 2 { print $1 }')
	"$STACK_BIN" image tag "$base" mine:1
	run -0 complete_words image rm mi
	[ "$output" = "mine:1" ]
	run -0 complete_words image inspect ro
	[ "$output" = "$base" ]
}

@test "completion: nothing, and no error, outside a project or for an unknown command" {
	run -0 bash -c "cd '$BATS_TEST_TMPDIR' && source '$STACK_SRC/completion/stack.bash' &&
		COMP_WORDS=('$STACK_BIN' logs ''); COMP_CWORD=2; _stack; echo \"n=\${#COMPREPLY[@]}\""
	[ "$output" = "n=0" ]
	run -0 complete_words frobnicate ""
	[ "$output" = "" ]
}
