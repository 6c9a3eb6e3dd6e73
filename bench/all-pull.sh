# bench/all-pull.sh: the `pull` section of bench/all.sh (sourced there,
# after the peers' setup; uses its variables and helpers).
#
# Debian's docker-registry on 127.0.0.1:p_reg (its own config and storage
# under the temp dir, as tests/cli/pull_registry.bats runs it), seeded with
# `skopeo copy` from an OCI layout made here: three layers of PULL_MB MiB
# of random bytes each (gzip does not shrink them: the transfer and the
# digest checks dominate, not the compression).  Then hyperfine, each run
# from nothing: `stack pull` into a fresh STACK_ROOT (downloads, verifies
# and unpacks the layers into its store), `skopeo copy` to a fresh OCI dir
# (downloads and verifies the blobs, unpacks nothing), `podman pull` and
# `docker pull` after removing the image (both unpack into their storage).
# podman reaches the plain-http registry through a registries.conf of the
# run's (insecure = true); docker treats 127.0.0.0/8 as insecure itself.
# shellcheck shell=bash disable=SC2154,SC2153 # all.sh's variables

reg=$tmp/registry
reg_addr=127.0.0.1:$p_reg
pull_ref=$reg_addr/benchpull:1
mkdir -p "$reg/storage"
cat >"$reg/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $reg/storage}}
http: {addr: $reg_addr}
EOF
docker-registry serve "$reg/config.yml" >"$reg/registry.log" 2>&1 &
reg_pid=$!
bg_pids+=("$reg_pid")
for _ in $(seq 100); do curl -sf -o /dev/null "http://$reg_addr/v2/" && break; sleep 0.2; done
python3 - "$reg/layout" 3 "$PULL_MB" <<'EOF'
import gzip, hashlib, io, json, os, platform, sys, tarfile

d, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{d}/blobs/sha256")

def blob(data):
    h = hashlib.sha256(data).hexdigest()
    with open(f"{d}/blobs/sha256/{h}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}

layers, diff_ids = [], []
for i in range(n):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("data")
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        t.addfile(ti)
        payload = os.urandom(mib << 20)
        ti = tarfile.TarInfo(f"data/layer{i}.bin")
        ti.size, ti.mode = len(payload), 0o644
        t.addfile(ti, io.BytesIO(payload))
    raw = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                   **blob(gzip.compress(raw, compresslevel=1, mtime=0))})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
config = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
          "rootfs": {"type": "layers", "diff_ids": diff_ids}}
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       **blob(json.dumps(config).encode())},
            "layers": layers}
m = blob(json.dumps(manifest).encode())
with open(f"{d}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"], **m,
               "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, f)
with open(f"{d}/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF
if ! kill -0 "$reg_pid" 2>/dev/null || ! curl -sf -o /dev/null "http://$reg_addr/v2/"; then
	peer docker-registry failed "did not start on $reg_addr: $(tail -n 3 "$reg/registry.log")"
elif ! skopeo copy -q --dest-tls-verify=false "oci:$reg/layout:1" "docker://$pull_ref" 2>"$tmp/err"; then
	peer docker-registry failed "seeding it with skopeo copy: $(tail -n 3 "$tmp/err")"
else
	peer docker-registry ok "$(dpkg-query -W -f='${Version}' docker-registry 2>/dev/null), plain http on $reg_addr, its own storage; seeded with skopeo: 3 layers of $PULL_MB MiB (random, gzip)"
	rm -rf "$reg/layout"
	cat >"$reg/stack.yaml" <<-EOF
	name: benchpull$$
	bases:
	  img: {pull: "$pull_ref"}
	services:
	  s: {image: img}
	EOF
	mkdir -p "$tmp/podman"
	cat >"$tmp/podman/registries.conf" <<-EOF
	[[registry]]
	location = "$reg_addr"
	insecure = true
	EOF
	export CONTAINERS_REGISTRIES_CONF=$tmp/podman/registries.conf
	p_cmds=(stack "env STACK_ROOT=$reg/stack-root $S -f $reg/stack.yaml pull -q" "rm -rf $reg/stack-root"
		"skopeo copy" "skopeo copy -q --src-tls-verify=false docker://$pull_ref oci:$reg/skopeo-out:1" "rm -rf $reg/skopeo-out")
	[ "$have_pstore" = 1 ] && p_cmds+=("podman pull" "podman pull -q $pull_ref" "$(sh_q "podman rmi -f $pull_ref >/dev/null 2>&1; true")")
	[ "$have_docker" = 1 ] && p_cmds+=("docker pull" "/usr/bin/docker pull -q $pull_ref" "$(sh_q "/usr/bin/docker rmi -f $pull_ref >/dev/null 2>&1; true")")
	hf pull "$RUNS" 1 "${p_cmds[@]}"
	rm -rf "$reg/stack-root" "$reg/skopeo-out"
	[ "$have_pstore" = 0 ] || podman rmi -f "$pull_ref" >/dev/null 2>&1 || true
	[ "$have_docker" = 0 ] || /usr/bin/docker rmi -f "$pull_ref" >/dev/null 2>&1 || true
fi
kill "$reg_pid" 2>/dev/null
wait "$reg_pid" 2>/dev/null || true
