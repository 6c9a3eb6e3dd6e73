#!/usr/bin/env bats
# stack build beyond the chain: multi-stage builds and COPY --from (a stage
# or an image), target:, .dockerignore with exceptions, the secret guard,
# sources that try to leave the context, a failing RUN (its dependents
# stop, independent images finish), cycles and unknown bases, instructions
# and flags the builder does not support (an error with Dockerfile:line,
# never ignored), RUN's network.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() { run_env_setup; }
teardown() { run_env_teardown; }

@test "multi-stage: COPY --from a stage and from another image, target: picks the stage" {
	df lib 'FROM bb' 'RUN mkdir /lib-out && echo from-lib > /lib-out/lib.txt'
	df app 'FROM bb AS build' 'RUN mkdir -p /out && echo built > /out/artifact && ln -s artifact /out/link' \
		'FROM scratch AS unused' 'COPY --from=nosuchstage-is-never-built /x /x' \
		'FROM bb AS final' 'COPY --from=build /out/ /app/' 'COPY --from=build /out/link /app/followed' \
		'COPY --from=lib /lib-out/lib.txt /app/' 'CMD ["sh", "-c", "cat /app/artifact /app/followed /app/lib.txt; readlink /app/link"]' \
		'FROM bb AS debug' 'CMD ["echo", "debug stage"]'
	build_stack_file <<-'EOF2'
	images:
	  app: {context: app, target: final}
	  lib: {context: lib}
	services:
	  s: {image: app}
	EOF2
	run stack build
	# the unused stage names a registry image: it is never pulled
	[ "$status" -eq 0 ]
	! grep -q 'unused\|nosuchstage' <<<"$output" || false
	run -0 stack run -T s
	[ "$output" = "built
built
from-lib
artifact" ]
}

@test ".dockerignore: patterns, ** and ! exceptions, as Docker matches them" {
	df ctx 'FROM bb' 'COPY . /ctx/' 'CMD ["find", "/ctx", "-type", "f"]'
	mkdir -p ctx/logs ctx/src/deep ctx/node_modules/x
	touch ctx/logs/a.log ctx/logs/keep.log ctx/src/x.c ctx/src/y.o ctx/src/deep/z.o ctx/README.md \
		ctx/secret.key ctx/node_modules/x/index.js ctx/notes.txt
	printf '%s\n' '# a comment' 'logs' '!logs/keep.log' '**/*.o' '/*.key' 'node_modules/' \
		'  notes.txt  ' >ctx/.dockerignore
	build_stack_file <<-'EOF2'
	images:
	  ctx: {context: ctx}
	services:
	  s: {image: ctx}
	EOF2
	run -0 stack build
	run -0 stack run -T s
	sorted=$(sort <<<"$output")
	[ "$sorted" = "/ctx/.dockerignore
/ctx/Dockerfile
/ctx/README.md
/ctx/logs/keep.log
/ctx/src/x.c" ]
	# an excluded file named as a source is not in the context
	df ctx 'FROM bb' 'COPY secret.key /'
	run -1 stack build
	[[ "$output" == *"ctx/Dockerfile:2: COPY secret.key /"* ]]
	[[ "$output" == *"not in the build context (or .dockerignore excludes it)"* ]]
}

@test "the secret guard: COPY of a declared secret's file fails naming it, the line and the fix" {
	echo 'SECRET_KEY=hunter2' >.env
	df . 'FROM bb' 'WORKDIR /espresso' 'COPY . /espresso'
	echo 'print(1)' >app.py
	build_stack_file <<-'EOF2'
	images:
	  espresso: {context: .}
	secrets:
	  espresso_env: {file: ./.env}
	services:
	  s: {image: espresso, secrets: [{source: espresso_env, target: /espresso/.env}]}
	EOF2
	run -1 stack build
	[[ "$output" == *"Dockerfile:3: COPY . /espresso"* ]]
	[[ "$output" == *"\`.env\`, the file of secret \`espresso_env\`"* ]]
	[[ "$output" == *".dockerignore"* ]]
	# nothing was stored under the image's name
	run -1 stack run -T s true
	[[ "$output" == *"not built yet"* ]]
	# the fix it names works, and the secret comes at run time only
	echo .env >.dockerignore
	run -0 stack build
	run -0 stack run -T s sh -c 'cat /espresso/.env; ls -A /espresso'
	[ "$output" = "SECRET_KEY=hunter2
.dockerignore
.env
Dockerfile
app.py
stack.yaml" ]
	# a hard link of the secret under another name is the same file
	ln .env other-name
	run -1 stack build
	[[ "$output" == *"\`other-name\`, the file of secret \`espresso_env\`"* ]]
}

@test "no source outside the context, whatever symlinks and .. say" {
	df c 'FROM bb' 'COPY escape/passwd /stolen'
	mkdir -p c/real
	echo inside >c/real/passwd
	ln -s /etc c/escape
	build_stack_file <<-'EOF2'
	images:
	  c: {context: c}
	services:
	  s: {image: c}
	EOF2
	# /etc resolves to the context's root: there is no etc/ in it
	run -1 stack build
	[[ "$output" == *"c/Dockerfile:2: COPY escape/passwd /stolen"* ]]
	[[ "$output" == *"not in the build context"* ]]
	# an absolute symlink to a path that exists in the context is that path
	rm c/escape
	ln -s /real c/escape
	run -0 stack build
	run -0 stack run -T s cat /stolen
	[ "$output" = "inside" ]
	# .. never climbs above the context
	df c 'FROM bb' 'COPY ../../../../etc/passwd /stolen'
	run -1 stack build
	[[ "$output" == *"not in the build context"* ]]
	# a symlink inside a copied directory is copied as a symlink, not followed
	df c 'FROM bb' 'COPY . /c/' 'CMD ["readlink", "/c/hostlink"]'
	ln -s /etc/shadow c/hostlink
	run -0 stack build
	run -0 stack run -T s
	[ "$output" = "/etc/shadow" ]
	run -0 stack run -T s sh -c 'test -L /c/hostlink && echo link'
	[ "$output" = "link" ]
}

@test "a failing RUN names image, Dockerfile:line and exit status; dependents stop, the others finish" {
	df bad 'FROM bb' 'RUN echo about to fail' 'RUN echo failing; exit 3' 'RUN echo never'
	df child 'FROM bad' 'RUN echo child'
	df other 'FROM bb' 'RUN sleep 0.5; echo other done'
	build_stack_file <<-'EOF2'
	images:
	  bad: {context: bad}
	  child: {context: child}
	  other: {context: other}
	EOF2
	run -1 stack build
	[[ "$output" == *"image \`bad\`: bad/Dockerfile:3: RUN echo failing; exit 3: exit status 3"* ]]
	[[ "$output" == *"image \`child\` was not built: it builds FROM \`bad\`, which failed"* ]]
	grep -qx 'other | other done' <<<"$output"
	grep -q '^\[other\] built' <<<"$output"
	! grep -q 'never\|child |' <<<"$output" || false
	assert_build_clean
	# the steps before the failure were kept in the cache
	run -1 stack build bad
	step_line bad 2 | grep -q 'CACHED$'
}

@test "a cycle and an unknown base fail clearly, before anything runs" {
	df x 'FROM y' 'RUN echo x'
	df y 'FROM x' 'RUN echo y'
	build_stack_file <<-'EOF2'
	images:
	  x: {context: x}
	  y: {context: y}
	EOF2
	run -2 stack build
	[[ "$output" == *"cycle: x -> y -> x"* ]]
	[[ "$output" == *"x/Dockerfile:1: FROM y"* ]]
	! grep -q '^\[' <<<"$output" || false
	df x 'FROM nosuchbase:1.0' 'RUN echo x'
	build_stack_file <<-'EOF2'
	images:
	  x: {context: x}
	EOF2
	run -1 stack build
	[[ "$output" == *"x/Dockerfile:1: FROM nosuchbase:1.0"* ]]
	# not a stack image nor a base: a registry image, pulled (and here, with
	# no registry reachable, refused) before any step runs
	[[ "$output" == *"base image \`nosuchbase:1.0\`: pull \`docker.io/library/nosuchbase:1.0\`"* ]]
	! grep -q 'RUN echo x' <<<"$output" || false
}

@test "unsupported instructions' flags are errors with Dockerfile:line, never ignored" {
	build_stack_file <<-'EOF2'
	images:
	  u: {context: u}
	EOF2
	df u 'FROM bb' 'RUN --mount=type=ssh echo hi'
	run -1 stack build
	[[ "$output" == *"u/Dockerfile:2: RUN --mount=type=ssh echo hi: --mount=type=ssh is not supported"* ]]
	df u 'FROM bb' 'RUN --security=insecure echo hi'
	run -1 stack build
	[[ "$output" == *"u/Dockerfile:2:"*"--security is not supported"* ]]
	df u 'FROM bb' 'COPY --parents a/b /x/'
	run -1 stack build
	[[ "$output" == *"u/Dockerfile:2:"*"--parents is not supported"* ]]
	df u 'FROM --platform=linux/arm64 bb'
	run -1 stack build
	[[ "$output" == *"u/Dockerfile:1:"*"linux/amd64 images only"* ]]
	df u 'FROM --platform=$BUILDPLATFORM bb' 'ADD https://example.com/x /x'
	run -1 stack build
	[[ "$output" == *"u/Dockerfile:2: ADD"*"remote sources are not supported"* ]]
	df u 'FROM bb' 'RUN --network=bridge true'
	run -1 stack build
	[[ "$output" == *"u/Dockerfile:2:"*"--network=bridge"* ]]
}

@test "RUN has the host's network by default and only a loopback with --network=none" {
	df n 'FROM bb' 'RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo' \
		'RUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo'
	build_stack_file <<-'EOF2'
	images:
	  n: {context: n}
	EOF2
	run -0 stack build
	host=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')
	grep -qxF "n | $host" <<<"$output"
	grep -qx 'n | lo ' <<<"$output"
	# network: none for the whole image; RUN --network=host still opts out
	df n 'FROM bb' 'RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo' \
		'RUN --network=host cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo'
	build_stack_file <<-'EOF2'
	images:
	  n: {context: n, network: none}
	EOF2
	run -0 stack build
	[ "$(grep -c '^n | ' <<<"$output")" -eq 2 ]
	grep -qx 'n | lo ' <<<"$output"
	grep -qxF "n | $host" <<<"$output"
	build_stack_file <<-'EOF2'
	images:
	  n: {context: n, network: bridge}
	EOF2
	run -2 stack build
	[[ "$output" == *"network \`bridge\`"* ]]
}

@test "ARG: stack file args: win over defaults, ENV over ARG, args reach RUN but not the image" {
	df a 'ARG BASE=nosuch' 'FROM ${BASE}' 'ARG WHO=default' 'ARG UNSET' 'ENV FROM_ENV=${WHO}-env' \
		'RUN echo "who=$WHO unset=${UNSET:-none} env=$FROM_ENV" > /args' 'CMD ["sh", "-c", "cat /args; echo run=${WHO:-gone}"]'
	build_stack_file <<-'EOF2'
	images:
	  a: {context: a, args: {BASE: bb, WHO: stackfile}}
	services:
	  s: {image: a}
	EOF2
	run -0 stack build
	run -0 stack run -T s
	[ "$output" = "who=stackfile unset=none env=stackfile-env
run=gone" ]
}

@test "config instructions end up in the image: USER, WORKDIR, EXPOSE, LABEL, STOPSIGNAL, VOLUME, HEALTHCHECK, ONBUILD" {
	df p 'FROM bb' 'USER earl' 'WORKDIR /srv' 'WORKDIR app' 'EXPOSE 5000 53/udp' 'LABEL a=b "c d"=e' \
		'STOPSIGNAL SIGINT' 'VOLUME /data' 'HEALTHCHECK --interval=5s CMD true' 'ONBUILD RUN echo trigger ran > /tmp/onbuild'
	df k 'FROM p' 'CMD ["sh", "-c", "id -u; pwd; cat /tmp/onbuild"]'
	build_stack_file <<-'EOF2'
	images:
	  p: {context: p}
	  k: {context: k}
	services:
	  s: {image: k, user: root}
	EOF2
	run -0 stack build
	# the trigger ran in the child's build, right after its FROM
	grep -q '^\[k 1/2\] FROM p' <<<"$output"
	grep -q 'ONBUILD RUN echo trigger ran' <<<"$output"
	run -0 stack run -T s
	[ "$output" = "0
/srv/app
trigger ran" ]
	df p 'FROM bb' 'STOPSIGNAL SIGNOPE'
	run -1 stack build p
	[[ "$output" == *"p/Dockerfile:2: STOPSIGNAL SIGNOPE"* ]]
	df p 'FROM bb' 'EXPOSE 99999'
	run -1 stack build p
	[[ "$output" == *"p/Dockerfile:2: EXPOSE 99999"* ]]
}

@test "COPY --chown and --chmod, by name from the image's /etc/passwd and by number" {
	df o 'FROM bb' 'COPY --chown=earl f /by-name' 'COPY --chown=1234:5678 --chmod=0640 f /by-number' \
		'COPY --chmod=755 d /dir/' 'CMD ["sh", "-c", "stat -c \"%n %u:%g %a\" /by-name /by-number /dir/x"]'
	mkdir -p o/d
	echo f >o/f
	echo x >o/d/x
	chmod 600 o/d/x
	build_stack_file <<-'EOF2'
	images:
	  o: {context: o}
	services:
	  s: {image: o}
	EOF2
	run -0 stack build
	run -0 stack run -T s
	[ "$output" = "/by-name 1000:1000 644
/by-number 1234:5678 640
/dir/x 0:0 755" ]
	df o 'FROM bb' 'COPY --chown=nosuchuser f /x'
	run -1 stack build
	[[ "$output" == *"o/Dockerfile:2:"*"no user \`nosuchuser\`"* ]]
}

@test "COPY --from sees a stage as a container would: a file a RUN deleted is gone" {
	df w 'FROM bb AS cut' 'RUN rm /etc/group && mkdir -p /d && echo new > /d/f' \
		'FROM bb' 'COPY --from=cut /d/f /f' 'COPY --from=cut /etc/group /group'
	build_stack_file <<-'EOF2'
	images:
	  w: {context: w}
	EOF2
	run -1 stack build
	[[ "$output" == *"w/Dockerfile:5: COPY --from=cut /etc/group /group"* ]]
	[[ "$output" == *"not in the source image"* ]]
	step_line w 4 | grep -q 'COPY --from=cut /d/f /f'
}

@test "ADD of a local archive unpacks it; a hostile one is refused; other files are copied" {
	mkdir -p ad/src/sub
	echo one >ad/src/one
	echo two >ad/src/sub/two
	tar -C ad/src -czf ad/files.tar.gz .
	echo plain >ad/plain.txt
	df ad 'FROM bb' 'ADD files.tar.gz /unpacked/' 'ADD plain.txt /plain.txt' \
		'CMD ["sh", "-c", "cat /unpacked/one /unpacked/sub/two /plain.txt"]'
	build_stack_file <<-'EOF2'
	images:
	  ad: {context: ad}
	services:
	  s: {image: ad}
	EOF2
	run -0 stack build
	run -0 stack run -T s
	[ "$output" = "one
two
plain" ]
	# COPY keeps an archive as it is
	df ad 'FROM bb' 'COPY files.tar.gz /kept/' 'CMD ["sh", "-c", "ls /kept"]'
	run -0 stack build
	run -0 stack run -T s
	[ "$output" = "files.tar.gz" ]
	# a name climbing out of the destination is refused, nothing written
	python3 - "$BATS_TEST_TMPDIR/ad/evil.tar" <<-'PY'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], "w") as t:
	    data = b"pwned\n"
	    i = tarfile.TarInfo("../../../../tmp/stack-build-add-escape")
	    i.size = len(data)
	    t.addfile(i, io.BytesIO(data))
	PY
	df ad 'FROM bb' 'ADD evil.tar /x/'
	run -1 stack build
	[[ "$output" == *"ad/Dockerfile:2: ADD evil.tar /x/"* ]]
	[ ! -e /tmp/stack-build-add-escape ]
	assert_build_clean
}

@test "RUN --mount: cache persists between builds, secret and tmpfs never enter a layer, bind is read-only" {
	echo 'token-123' >token.txt
	mkdir -p mt
	echo from-context >mt/ctx.txt
	df mt 'FROM bb' \
		'RUN --mount=type=cache,target=/var/cache/x,id=x echo run >> /var/cache/x/log; wc -l < /var/cache/x/log' \
		'RUN --mount=type=secret,id=tok cat /run/secrets/tok > /seen-during-build; cat /run/secrets/tok' \
		'RUN --mount=type=tmpfs,target=/scratch echo tmp > /scratch/f && cat /scratch/f' \
		'RUN --mount=type=bind,source=ctx.txt,target=/mnt/ctx.txt cat /mnt/ctx.txt; echo x > /mnt/ctx.txt || echo read-only' \
		'CMD ["sh", "-c", "ls -A /run/secrets /scratch 2>&1; cat /seen-during-build; test -e /var/cache/x/log || echo no-cache-in-layer"]'
	build_stack_file <<-'EOF2'
	images:
	  mt: {context: mt}
	secrets:
	  tok: {file: ./token.txt}
	services:
	  s: {image: mt}
	EOF2
	run -0 stack build
	grep -qx 'mt | 1' <<<"$output"
	grep -qx 'mt | token-123' <<<"$output"
	grep -qx 'mt | tmp' <<<"$output"
	grep -qx 'mt | from-context' <<<"$output"
	grep -qx 'mt | read-only' <<<"$output"
	[ "$(cat mt/ctx.txt)" = "from-context" ]
	run -0 stack build --no-cache
	grep -qx 'mt | 2' <<<"$output"
	run -0 stack run -T s
	# the secret was read during the build (into a file the step wrote on
	# purpose); its mount point and the tmpfs content are not in the image
	[ "$output" = "/run/secrets:

/scratch:
token-123
no-cache-in-layer" ]
	# the layers themselves hold no copy of the secret file's mount point
	! find "$STACK_ROOT/layers" -path '*/run/secrets/tok' | grep -q . || false
	df mt 'FROM bb' 'RUN --mount=type=secret,id=nosuch,required true'
	run -1 stack build
	[[ "$output" == *"the stack has no secret \`nosuch\`"* ]]
	df mt 'FROM bb' 'RUN --mount=type=bind,source=../../etc,target=/e ls /e/passwd'
	run -1 stack build
	[[ "$output" == *"not in the build context"* ]]
}

@test "COPY --exclude: patterns below the source, for that instruction only" {
	mkdir -p ex/src/sub
	touch ex/src/a.txt ex/src/b.md ex/src/sub/c.txt ex/src/sub/d.md ex/top.txt ex/top.md
	df ex 'FROM bb' 'COPY --exclude=*.txt --exclude=sub/*.md src /src/' 'COPY --exclude=*.md top.* /top/' \
		'COPY src/sub /all/' 'CMD ["sh", "-c", "cd / && find src top all -type f | sort"]'
	build_stack_file <<-'EOF2'
	images:
	  ex: {context: ex}
	services:
	  s: {image: ex}
	EOF2
	run -0 stack build
	run -0 stack run -T s
	[ "$output" = "all/c.txt
all/d.md
src/b.md
src/sub/c.txt
top/top.txt" ]
}

@test "RUN in shell and exec form; SHELL changes the shell of later RUN, CMD and ENTRYPOINT" {
	df sh 'FROM bb' 'RUN ["/bin/echo", "exec form", "$HOME"]' 'RUN echo "shell form $HOME"' \
		'SHELL ["/bin/echo", "shell:"]' 'RUN hello there' 'CMD via shell'
	build_stack_file <<-'EOF2'
	images:
	  sh: {context: sh}
	services:
	  s: {image: sh}
	EOF2
	run -0 stack build
	grep -qx 'sh | exec form $HOME' <<<"$output"
	grep -qx 'sh | shell form /root' <<<"$output"
	grep -qx 'sh | shell: hello there' <<<"$output"
	run -0 stack run -T s
	[ "$output" = "shell: via shell" ]
}
