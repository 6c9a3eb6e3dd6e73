#!/usr/bin/env bats
# A hostile build context or Dockerfile against the builder: the secret
# guard (a secret file reached by a symlink, a glob, a bind mount or an
# archive), special files (a FIFO, a device node, a symlink loop) and a
# Dockerfile reaching for host paths.  What must hold: the secret's bytes
# reach no layer and no RUN, nothing hangs, nothing outside the context is
# read, and a refusal names the Dockerfile line.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	mkdir -p h
	export CANARY="canary-$$-$RANDOM"
	echo "SECRET=$CANARY" >h/.env
	build_stack_file <<-'EOF2'
	images:
	  h: {context: h}
	secrets:
	  env: {file: ./h/.env}
	services:
	  s: {image: h}
	EOF2
}
teardown() { run_env_teardown; }

# no_canary_in_store: the secret's bytes are in no layer of the store
no_canary_in_store() {
	! grep -rqs "$CANARY" "$STACK_ROOT/layers" || { echo "a layer holds the secret" >&2; return 1; }
}

@test "a RUN bind mount of the context does not show the secret file to the step" {
	echo .env >h/.dockerignore
	ln -s .env h/envlink
	df h 'FROM bb' 'RUN --mount=type=bind,target=/ctx cat /ctx/.env /ctx/envlink > /leak; wc -c < /leak; head -1 /ctx/Dockerfile'
	run -0 stack build
	[[ "$output" != *"$CANARY"* ]]
	# the step ran with the rest of the context in view, the secret empty
	grep -qx 'h | 0' <<<"$output"
	grep -qx 'h | FROM bb' <<<"$output"
	no_canary_in_store
}

@test "a RUN bind mount is refused while the secret file has another hard link" {
	mkdir h/sub
	ln h/.env h/sub/innocent.txt
	df h 'FROM bb' 'RUN --mount=type=bind,source=sub,target=/ctx cat /ctx/innocent.txt'
	run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"*"hard link"* ]]
	[[ "$output" != *"$CANARY"* ]]
	no_canary_in_store
}

@test "a RUN bind mount of the secret file itself is refused" {
	df h 'FROM bb' 'RUN --mount=type=bind,source=.env,target=/e cat /e'
	run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"* ]]
	[[ "$output" != *"$CANARY"* ]]
	no_canary_in_store
}

@test "COPY of a symlink to the secret file, or a glob matching it, does not copy the secret" {
	ln -s .env h/envlink
	df h 'FROM bb' 'COPY envlink /x' 'CMD ["cat", "/x"]'
	run stack build
	if [ "$status" -eq 0 ]; then
		run stack run -T s
		[[ "$output" != *"$CANARY"* ]]
	fi
	no_canary_in_store
	df h 'FROM bb' 'COPY .e* /g/'
	run -1 stack build
	[[ "$output" == *"secret \`env\`"* ]]
	no_canary_in_store
}

@test "a hard link to the secret file under another name is refused" {
	ln h/.env h/innocent.txt
	echo .env >h/.dockerignore
	df h 'FROM bb' 'COPY . /app/'
	run -1 stack build
	[[ "$output" == *"secret \`env\`"* ]]
	no_canary_in_store
}

@test "a FIFO, a device node and a symlink loop in the context: no hang, no device in a layer" {
	mkfifo h/fifo
	mknod h/null c 1 3
	ln -s loop2 h/loop1
	ln -s loop1 h/loop2
	echo .env >h/.dockerignore
	echo ok >h/ok
	df h 'FROM bb' 'COPY . /app/' 'CMD ["sh", "-c", "ls -A /app | sort; test -c /app/null && echo DEVICE"]'
	RUN_TIMEOUT=60 run stack build
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || false
	if [ "$status" -eq 0 ]; then
		run -0 stack run -T s
		[[ "$output" != *DEVICE* ]]
	fi
	df h 'FROM bb' 'COPY loop1 /x'
	RUN_TIMEOUT=60 run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"* ]]
	df h 'FROM bb' 'COPY fifo /x'
	RUN_TIMEOUT=60 run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"* ]]
}

@test "COPY of a source outside the context, by .. or an absolute symlink, is refused" {
	echo host >"$BATS_TEST_TMPDIR/outside"
	ln -s "$BATS_TEST_TMPDIR/outside" h/abs
	df h 'FROM bb' 'COPY ../outside /x'
	run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"* ]]
	df h 'FROM bb' 'COPY abs/ /x' 'CMD ["cat", "/x"]'
	run stack build
	if [ "$status" -eq 0 ]; then
		run stack run -T s
		[[ "$output" != *host* ]]
	fi
}

@test "a copy of the secret file's bytes under another name is refused; other files still copy" {
	cp h/.env h/env.bak
	echo .env >h/.dockerignore
	echo other >h/other
	df h 'FROM bb' 'COPY . /app/'
	run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"*"a copy of the file of secret \`env\`"* ]]
	no_canary_in_store
	echo env.bak >>h/.dockerignore
	run -0 stack build
	no_canary_in_store
}

@test "ADD of an archive that holds the secret file is refused, nothing of it in a layer" {
	mkdir -p "$BATS_TEST_TMPDIR/pack/conf"
	cp h/.env "$BATS_TEST_TMPDIR/pack/conf/settings"
	echo fine >"$BATS_TEST_TMPDIR/pack/fine"
	tar -C "$BATS_TEST_TMPDIR/pack" -czf h/app.tar.gz conf fine
	echo .env >h/.dockerignore
	df h 'FROM bb' 'ADD app.tar.gz /app/'
	run -1 stack build
	[[ "$output" == *"h/Dockerfile:2:"*"app.tar.gz holds \`/app/conf/settings\`"* ]]
	no_canary_in_store
	assert_build_clean
	# positive control: the same archive without it unpacks
	rm "$BATS_TEST_TMPDIR/pack/conf/settings"
	tar -C "$BATS_TEST_TMPDIR/pack" -czf h/app.tar.gz conf fine
	run -0 stack build
}

@test "COPY of a symlink to a host directory, then of a file below its name, writes nothing on the host" {
	mkdir -p h/a h/b/x "$BATS_TEST_TMPDIR/hostdir"
	ln -s "$BATS_TEST_TMPDIR/hostdir" h/a/x
	echo pwned >h/b/x/pwned
	echo .env >h/.dockerignore
	df h 'FROM bb' 'COPY a b /dst/'
	run stack build
	[ ! -e "$BATS_TEST_TMPDIR/hostdir/pwned" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/hostdir")" ]
	df h 'FROM bb' 'COPY a /dst/' 'COPY b /dst/' 'RUN ls /dst/x/'
	run stack build
	[ ! -e "$BATS_TEST_TMPDIR/hostdir/pwned" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/hostdir")" ]
}
