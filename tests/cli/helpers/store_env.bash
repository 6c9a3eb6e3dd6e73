# Helpers for the image store tests (tests/cli/store_*.bats), on top of
# run_env.bash (load that first).

OCI="python3 $STACK_SRC/tests/cli/helpers/oci_image.py"

# bb_layout DIR [UMOCI-CONFIG-ARGS...]: an OCI image layout DIR (tag
# `latest`) made by umoci from the busybox rootfs, its config set by
# `umoci config` with the arguments given.
bb_layout() {
	local dir=$1 bundle="$BATS_TEST_TMPDIR/bundle.$$"
	shift
	umoci init --layout "$dir"
	umoci new --image "$dir:latest"
	umoci unpack --image "$dir:latest" "$bundle" >/dev/null
	cp -a "$ROOTFS/." "$bundle/rootfs/"
	umoci repack --image "$dir:latest" "$bundle"
	rm -rf "$bundle"
	if [ $# -gt 0 ]; then umoci config --image "$dir:latest" "$@"; fi
	umoci gc --layout "$dir"
}

# oci_stack PATH [SERVICE-MAPPING]: ./stack.yaml with the base `img` on
# the `oci:` PATH and the service `s` (default {image: img}).
oci_stack() {
	local svc=${2:-"{image: img}"}
	printf 'name: st\nbases:\n  img: {oci: %s}\n  bb: {rootfs: %s}\nservices:\n  s: %s\n' "$1" "$ROOTFS" "$svc" >"$BATS_TEST_TMPDIR/stack.yaml"
}

# json_get EXPR: evaluate the python expression EXPR on the JSON of stdin (as `j`).
json_get() {
	python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# base_key: the store name of the one imported base with source $1.
base_key() {
	"$STACK_BIN" images --format json | json_get "[i['name'] for i in j if i['source'] == '$1'][0]"
}
