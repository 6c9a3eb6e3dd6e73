#!/usr/bin/env python3
"""Make OCI image layouts and layer tars for the store tests, from scratch,
so that hostile ones can be made too (what skopeo and umoci never write).

  oci_image.py layer OUT.tar ENTRY...
      ENTRY: file:NAME:CONTENT  dir:NAME  symlink:NAME:TARGET
             hardlink:NAME:TARGET  chr:NAME:MAJOR:MINOR  blk:NAME:MAJOR:MINOR
             tree:DIR  (every file of DIR, named relative to it)
  oci_image.py layout OUT_DIR [--layer TAR]... [--compress none|gzip|zstd]
      [--cmd JSON] [--entrypoint JSON] [--env K=V]... [--workdir DIR] [--user U]
      [--bad-digest N] [--bad-diffid N] [--diffid N:DIGEST] [--index-list]
      [--platform OS/ARCH]
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


def add(tf, kind, name, *rest):
    ti = tarfile.TarInfo(name)
    ti.mtime = 0
    data = None
    if kind == "file":
        data = rest[0].encode()
        ti.size = len(data)
        ti.mode = 0o644
    elif kind == "dir":
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
    elif kind == "symlink":
        ti.type = tarfile.SYMTYPE
        ti.linkname = rest[0]
    elif kind == "hardlink":
        ti.type = tarfile.LNKTYPE
        ti.linkname = rest[0]
    elif kind in ("chr", "blk"):
        ti.type = tarfile.CHRTYPE if kind == "chr" else tarfile.BLKTYPE
        ti.devmajor, ti.devminor = int(rest[0]), int(rest[1])
        ti.mode = 0o666
    else:
        sys.exit("unknown entry kind " + kind)
    tf.addfile(ti, io.BytesIO(data) if data is not None else None)


def make_layer(out, entries):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            kind, _, rest = e.partition(":")
            if kind == "tree":
                for root, dirs, files in os.walk(rest):
                    dirs.sort()
                    for n in sorted(dirs + files):
                        p = os.path.join(root, n)
                        tf.add(p, arcname=os.path.relpath(p, rest), recursive=False)
                continue
            parts = rest.split(":")
            if kind == "file":
                parts = [parts[0], ":".join(parts[1:])]
            add(tf, kind, *parts)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(out, data):
    d = sha(data)
    with open(os.path.join(out, "blobs", "sha256", d[7:]), "wb") as f:
        f.write(data)
    return d


def make_layout(a):
    os.makedirs(os.path.join(a.out, "blobs", "sha256"), exist_ok=True)
    layers, diff_ids = [], []
    for i, path in enumerate(a.layer):
        raw = open(path, "rb").read()
        diff_ids.append(sha(raw))
        if a.compress == "gzip":
            data, mt = gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        elif a.compress == "zstd":
            data = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
            mt = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            data, mt = raw, "application/vnd.oci.image.layer.v1.tar"
        d = put_blob(a.out, data)
        if a.bad_digest == i:
            with open(os.path.join(a.out, "blobs", "sha256", d[7:]), "ab") as f:
                f.write(b"tampered")
        layers.append({"mediaType": mt, "digest": d, "size": len(data)})
    for spec in a.diffid:
        n, _, dg = spec.partition(":")
        diff_ids[int(n)] = dg
    if a.bad_diffid is not None:
        diff_ids[a.bad_diffid] = "sha256:" + "0" * 64
    cfg = {}
    if a.cmd:
        cfg["Cmd"] = json.loads(a.cmd)
    if a.entrypoint:
        cfg["Entrypoint"] = json.loads(a.entrypoint)
    if a.env:
        cfg["Env"] = a.env
    if a.workdir:
        cfg["WorkingDir"] = a.workdir
    if a.user:
        cfg["User"] = a.user
    os_, arch = a.platform.split("/")
    config = {"architecture": arch, "os": os_, "config": cfg,
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cdata = json.dumps(config).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": put_blob(a.out, cdata), "size": len(cdata)},
                "layers": layers}
    mdata = json.dumps(manifest).encode()
    mdesc = {"mediaType": manifest["mediaType"], "digest": put_blob(a.out, mdata), "size": len(mdata),
             "platform": {"os": os_, "architecture": arch}}
    manifests = [mdesc]
    if a.index_list:
        # a multi-platform index first: another platform's (made up) manifest, then ours
        other = {"schemaVersion": 2, "mediaType": manifest["mediaType"], "config": manifest["config"], "layers": []}
        odata = json.dumps(other).encode()
        nested = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
            {"mediaType": manifest["mediaType"], "digest": put_blob(a.out, odata), "size": len(odata),
             "platform": {"os": "linux", "architecture": "arm64"}}, mdesc]}
        ndata = json.dumps(nested).encode()
        manifests = [{"mediaType": nested["mediaType"], "digest": put_blob(a.out, ndata), "size": len(ndata)}]
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": manifests}, f)
    with open(os.path.join(a.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "layer":
        make_layer(sys.argv[2], sys.argv[3:])
        return
    p = argparse.ArgumentParser()
    p.add_argument("action", choices=["layout"])
    p.add_argument("out")
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--compress", default="none")
    p.add_argument("--cmd")
    p.add_argument("--entrypoint")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--workdir")
    p.add_argument("--user")
    p.add_argument("--bad-digest", type=int)
    p.add_argument("--bad-diffid", type=int)
    p.add_argument("--diffid", action="append", default=[])
    p.add_argument("--index-list", action="store_true")
    p.add_argument("--platform", default="linux/amd64")
    make_layout(p.parse_args())


main()
