#!/usr/bin/env bats
# images.NAME.host_apt: RUN steps see the host's apt configuration
# read-only over the image's own, and none of it reaches a layer or a
# saved archive.  The "host" is a root of the test's own
# ($STACK_APT_ROOT, as apt's Dir), so the machine's /etc/apt is not
# touched; the base is a busybox rootfs with a fake /etc/apt of its own.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/build_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	# A store per test: what one test built is not another's cache.
	export STACK_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$STACK_ROOT"
	H="$BATS_TEST_TMPDIR/host"
	export STACK_APT_ROOT="$H"
	mkdir -p "$H/etc/apt/sources.list.d" "$H/etc/apt/apt.conf.d" "$H/etc/apt/auth.conf.d" \
		"$H/etc/apt/keyrings" "$H/usr/share/keyrings" "$H/etc/apt/trusted.gpg.d"
	echo "deb [arch=amd64 signed-by=/usr/share/keyrings/mirror.gpg] http://mirror.example.invalid/debian bookworm main" \
		>"$H/etc/apt/sources.list"
	printf 'Types: deb\nURIs: http://mirror.example.invalid/extra\nSuites: bookworm\nComponents: main\nSigned-By: /etc/apt/keyrings/local.gpg\n' \
		>"$H/etc/apt/sources.list.d/extra.sources"
	echo 'Acquire::http::Proxy "http://127.0.0.1:23080/";' >"$H/etc/apt/apt.conf.d/90proxy"
	echo 'DPkg::Pre-Invoke { "/usr/bin/host-only-tool"; };' >"$H/etc/apt/apt.conf.d/20hook"
	echo "machine mirror.example.invalid login builder password S3cretPW-host" >"$H/etc/apt/auth.conf.d/mirror.conf"
	chmod 600 "$H/etc/apt/auth.conf.d/mirror.conf"
	echo "MIRROR-KEY" >"$H/usr/share/keyrings/mirror.gpg"
	echo "LOCAL-KEY" >"$H/etc/apt/keyrings/local.gpg"
	echo "TRUSTED-KEY" >"$H/etc/apt/trusted.gpg.d/host.asc"
	# A hostile entry: a symlink to a file elsewhere on the host.
	echo "HOST-ONLY-SECRET" >"$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$H/etc/apt/sources.list.d/evil.list"
	# The base: busybox with an apt config of its own.
	B="$BATS_TEST_TMPDIR/aptbase"
	cp -a "$ROOTFS" "$B"
	mkdir -p "$B/etc/apt/sources.list.d" "$B/etc/apt/apt.conf.d"
	echo "deb http://deb.debian.org/debian bookworm main # the image's" >"$B/etc/apt/sources.list"
	echo "Types: deb # the image's own" >"$B/etc/apt/sources.list.d/debian.sources"
	echo 'APT::Install-Recommends "false";' >"$B/etc/apt/apt.conf.d/70image"
	df app 'FROM aptbase' \
		'RUN cat /etc/apt/sources.list /etc/apt/sources.list.d/extra.sources /etc/apt/apt.conf.d/90proxy /etc/apt/auth.conf.d/mirror.conf /usr/share/keyrings/mirror.gpg /etc/apt/keyrings/local.gpg /etc/apt/trusted.gpg.d/host.asc; echo "d: $(ls /etc/apt/sources.list.d | tr "\n" " ")"; echo "c: $(ls /etc/apt/apt.conf.d | tr "\n" " ")"; cat /etc/apt/sources.list.d/evil.list || echo evil-not-readable; echo x >/etc/apt/sources.list || echo read-only; echo made >/made'
	apt_stack true
}
teardown() { run_env_teardown; }

# apt_stack BOOL: the stack file, host_apt set to BOOL (or left out: "").
apt_stack() {
	{
		printf 'name: t\nbases:\n  aptbase: {rootfs: %s}\nimages:\n  app:\n    context: app\n' "$B"
		[ -z "$1" ] || printf '    host_apt: %s\n' "$1"
		printf 'services:\n  app: {image: app}\n'
	} >"$BATS_TEST_TMPDIR/stack.yaml"
}

# The saved archive of `app`, unpacked: its blobs, every layer extracted.
save_unpacked() {
	local out="$BATS_TEST_TMPDIR/saved" b
	rm -rf "$out"
	mkdir -p "$out/oci" "$out/layers"
	"$STACK_BIN" image save app -o "$out/app.tar"
	tar -xf "$out/app.tar" -C "$out/oci"
	for b in "$out"/oci/blobs/sha256/*; do
		if tar -tf "$b" >/dev/null 2>&1; then
			tar -tvf "$b" >"$out/layers/$(basename "$b").list"
			mkdir -p "$out/layers/$(basename "$b")"
			tar -xf "$b" -C "$out/layers/$(basename "$b")"
		fi
	done
	echo "$out"
}

@test "host_apt: RUN sees the host's sources, proxy, auth, keyrings read-only over the image's" {
	run -0 stack build app
	[[ "$output" == *"app | deb [arch=amd64 signed-by=/usr/share/keyrings/mirror.gpg] http://mirror.example.invalid/debian bookworm main"* ]]
	[[ "$output" == *"app | URIs: http://mirror.example.invalid/extra"* ]]
	[[ "$output" == *'app | Acquire::http::Proxy "http://127.0.0.1:23080/";'* ]]
	[[ "$output" == *"app | machine mirror.example.invalid login builder password S3cretPW-host"* ]]
	[[ "$output" == *"app | MIRROR-KEY"* && "$output" == *"app | LOCAL-KEY"* && "$output" == *"app | TRUSTED-KEY"* ]]
	# The host's sources.list.d replaces the image's; apt.conf.d gets the
	# Acquire-only file next to the image's own, not the DPkg hook.
	grep -qx 'app | d: evil.list extra.sources ' <<<"$output"
	grep -qx 'app | c: 70image 90proxy ' <<<"$output"
	# The symlink resolves in the container, not on the host.
	[[ "$output" != *"HOST-ONLY-SECRET"* ]]
	[[ "$output" == *"app | evil-not-readable"* ]]
	[[ "$output" == *"app | read-only"* ]]
	assert_build_clean
}

@test "host_apt: nothing of the host's apt config is in a layer or the saved archive" {
	run -0 stack build app
	# A container of the image has the image's own files.
	run -0 stack run --rm -T app cat /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources
	[ "${lines[0]}" = "deb http://deb.debian.org/debian bookworm main # the image's" ]
	[ "${lines[1]}" = "Types: deb # the image's own" ]
	run -0 stack run --rm -T app sh -c 'ls /etc/apt/auth.conf.d /usr/share/keyrings /etc/apt/keyrings 2>&1; cat /made'
	[[ "$output" == *"No such file"* ]]
	[ "${lines[-1]}" = made ]
	out=$(save_unpacked)
	run grep -rl -e S3cretPW -e mirror.example.invalid -e MIRROR-KEY -e LOCAL-KEY -e TRUSTED-KEY -e 127.0.0.1:23080 "$out/oci" "$out/layers"
	[ "$status" = 1 ]
	# The RUN's layer holds /made and no mount point of the binds (the
	# runtime's own /etc/hosts ones the busybox base lacks aside).
	run grep -l ' made$' "$out"/layers/*.list
	[ "${#lines[@]}" = 1 ]
	run -0 awk '{print $6}' "${lines[0]}"
	[[ "$output" == *made* ]]
	run grep -E '^(etc/apt|usr|etc/apt/.*)' <<<"$output"
	[ "$status" = 1 ]
	# And the layers in the store say the same.
	run grep -rl -e S3cretPW -e mirror.example.invalid "$STACK_ROOT/layers"
	[ "$status" = 1 ]
}

@test "host_apt is off by default: RUN sees the image's own apt config" {
	apt_stack ""
	run -0 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" config
	[[ "$output" != *host_apt* ]]
	run -0 stack build app
	[[ "$output" == *"app | deb http://deb.debian.org/debian bookworm main # the image's"* ]]
	grep -qx 'app | d: debian.sources ' <<<"$output"
	[[ "$output" != *mirror.example.invalid* && "$output" != *S3cretPW* ]]
	apt_stack true
	run -0 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" config
	[[ "$output" == *"host_apt: true"* ]]
	apt_stack '"yes"'
	run -2 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" config
	[[ "$output" == *"stack.yaml:7:15: error: \`host_apt\`: expected true or false"* ]]
}

@test "host_apt: the key covers host_apt on or off, not the mirror; --no-cache runs it again" {
	run -0 stack build app
	sed -i 's/mirror.example.invalid/other-mirror.example.invalid/' "$H/etc/apt/sources.list"
	run -0 stack build app
	assert_all_cached
	run -0 stack build --no-cache app
	[[ "$output" == *"other-mirror.example.invalid"* ]]
	apt_stack false
	run -0 stack build app
	[[ "$output" == *"app | deb http://deb.debian.org/debian bookworm main # the image's"* ]]
	run ! grep -q 'RUN.*CACHED$' <<<"$output"
}

@test "host_apt: a Signed-By keyring outside the keyring directories, or a symlink out of them, fails the step naming it" {
	echo "deb [signed-by=/etc/passwd] http://mirror.example.invalid/debian bookworm main" >"$H/etc/apt/sources.list"
	run -1 stack build app
	[[ "$output" == *"/etc/apt/sources.list\` names the keyring \`/etc/passwd\`"* ]]
	[[ "$output" == *"/usr/share/keyrings"* ]]
	echo "deb [signed-by=/usr/share/keyrings/../../../etc/passwd] http://x.invalid/d bookworm main" >"$H/etc/apt/sources.list"
	run -1 stack build app
	[[ "$output" == *"names the keyring"* ]]
	echo "deb [signed-by=/usr/share/keyrings/link.gpg] http://x.invalid/d bookworm main" >"$H/etc/apt/sources.list"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$H/usr/share/keyrings/link.gpg"
	run -1 stack build app
	[[ "$output" == *"names the keyring \`/usr/share/keyrings/link.gpg\`"* ]]
	[[ "$output" != *HOST-ONLY-SECRET* ]]
	run ! grep -q '"app:latest"' "$STACK_ROOT/refs.json"
	assert_build_clean
}

@test "host_apt: the host's config is read once an image build: an apt.conf.d file added during it is not lent to a later RUN" {
	# Step 1 waits (through the lent sources.list.d, a directory bind)
	# for the test to add a proxy file; step 2 must not see it: the
	# binds were made from what the build read at its first RUN.
	df app 'FROM aptbase' \
		'RUN echo waiting; i=0; until [ -e /etc/apt/sources.list.d/go.list ]; do i=$((i+1)); [ $i -lt 300 ] || exit 9; sleep 0.1; done' \
		'RUN if [ -e /etc/apt/apt.conf.d/95late ]; then echo "late: lent"; exit 7; fi; echo "late: not lent"'
	stack_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" build --progress=plain app
	wait_for 30 grep -q '^app | waiting$' "$BATS_TEST_TMPDIR/out"
	echo 'Acquire::http::Proxy "http://127.0.0.1:23081/";' >"$H/etc/apt/apt.conf.d/95late"
	touch "$H/etc/apt/sources.list.d/go.list"
	wait_exit "$BG_PID" 60
	cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
	[ "$BG_STATUS" = 0 ]
	grep -q '^app | late: not lent$' "$BATS_TEST_TMPDIR/out"
}
