#!/usr/bin/env python3
"""A tiny OCI distribution registry for the hostile pull tests.

    registry_stub.py layout OUT LAYER.tar[.gz] [--diff-id D]
                                    wrap one layer into an OCI layout
                                    (config: Cmd /bin/sh; diff id D if given)
    registry_stub.py serve --layout DIR --bind ADDR --port N --log FILE
                           [--tamper] [--slow] [--auth USER:PASS] [--endless-error]
                           [--redirect-blobs URL] [--endless-manifest]

`serve` answers GET/HEAD /v2/NAME/manifests/REF and /v2/NAME/blobs/DIGEST
from the layout (any NAME; a tag is looked up by its ref.name annotation,
else the first manifest), writes "METHOD PATH" per HTTP request to the
log (then " authz" when it carried an Authorization header), and with --tamper serves every layer blob with its last byte changed
(its descriptor, and so its digest, unchanged), with --slow
16 KiB of it every 50 ms, with --endless-error every blob GET gets a 404
whose body never ends (with --endless-manifest every manifest GET, a
200 one), with --redirect-blobs every blob GET is answered
307 to URL + its path.  With --auth it is a
Bearer-token registry: /v2/... without the token gets a 401 challenge
naming the realm http://ADDR:N/token, which gives the token only for
Basic USER:PASS.  It creates LOG.ready once it listens.
"""
import argparse
import base64
import gzip
import hashlib
import http.server
import json
import os
import sys
import time


def blob_path(layout, digest):
    algo, _, hexd = digest.partition(":")
    return os.path.join(layout, "blobs", algo, hexd)


def put_blob(layout, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(blob_path(layout, d), "wb") as f:
        f.write(data)
    return d, len(data)


def make_layout(out, layer_file, diff_id=None):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(layer_file, "rb") as f:
        layer = f.read()
    gz = layer[:2] == b"\x1f\x8b"
    ld, ls = put_blob(out, layer)
    if diff_id is None:
        diff_id = "sha256:" + hashlib.sha256(gzip.decompress(layer) if gz else layer).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    cd, cs = put_blob(out, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else ""),
            "digest": ld, "size": ls}],
    }
    md, ms = put_blob(out, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)


class Handler(http.server.BaseHTTPRequestHandler):
    opts = None
    TOKEN = "stub-token-4242"

    def log_message(self, fmt, *args):
        pass  # only real requests are logged, by note()

    def note(self):
        with open(self.opts.log, "a") as f:
            f.write("%s %s%s\n" % (self.command, self.path,
                                    " authz" if self.headers.get("Authorization") else ""))

    def reply(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def authorized(self):
        if not self.opts.auth:
            return True
        if self.headers.get("Authorization") == "Bearer " + self.TOKEN:
            return True
        host = "%s:%d" % (self.opts.bind, self.opts.port)
        self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', headers=[(
            "WWW-Authenticate",
            'Bearer realm="http://%s/token",service="stub",scope="repository:bb:pull"' % host)])
        return False

    def token(self):
        want = "Basic " + base64.b64encode(self.opts.auth.encode()).decode()
        if self.headers.get("Authorization") != want:
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        self.reply(200, json.dumps({"token": self.TOKEN}).encode())

    def layers(self):
        out = set()
        with open(os.path.join(self.opts.layout, "index.json")) as f:
            index = json.load(f)
        for m in index["manifests"]:
            with open(blob_path(self.opts.layout, m["digest"])) as f:
                out.update(l["digest"] for l in json.load(f).get("layers", []))
        return out

    def manifest(self, ref):
        if self.opts.endless_manifest and self.command == "GET":
            return self.endless_error(200)
        if ref.startswith("sha256:"):
            try:
                with open(blob_path(self.opts.layout, ref), "rb") as f:
                    data = f.read()
            except OSError:
                return self.reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
            return self.reply(200, data, json.loads(data).get("mediaType", "application/json"))
        with open(os.path.join(self.opts.layout, "index.json")) as f:
            index = json.load(f)
        pick = index["manifests"][0]
        for m in index["manifests"]:
            name = m.get("annotations", {}).get("org.opencontainers.image.ref.name")
            if ref in (name, m["digest"]):
                pick = m
                break
        with open(blob_path(self.opts.layout, pick["digest"]), "rb") as f:
            self.reply(200, f.read(), pick["mediaType"])

    def endless_error(self, code=404):
        # No Content-Length: the body ends when the connection does, never.
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b'{"errors":[{"code":"BLOB_UNKNOWN"}]}' + b" " * 65500
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:
            pass

    def blob(self, digest):
        if self.opts.endless_error and self.command == "GET":
            return self.endless_error()
        if self.opts.redirect_blobs and self.command == "GET":
            return self.reply(307, headers=[("Location", self.opts.redirect_blobs + self.path)])
        try:
            with open(blob_path(self.opts.layout, digest), "rb") as f:
                data = f.read()
        except OSError:
            return self.reply(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        if self.opts.tamper and digest in self.layers():
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        if not (self.opts.slow and digest in self.layers()):
            return self.reply(200, data, "application/octet-stream")
        # --slow: the layer trickles in, 16 KiB every 50 ms, for the
        # tests that stop a pull halfway.
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for off in range(0, len(data), 16384):
            self.wfile.write(data[off:off + 16384])
            self.wfile.flush()
            time.sleep(0.05)

    def do_GET(self):
        self.note()
        path = self.path.split("?")[0]
        if path == "/token":
            return self.token()
        if not self.authorized():
            return
        parts = path.split("/")
        if path in ("/v2/", "/v2"):
            return self.reply(200, b"{}")
        if len(parts) >= 5 and parts[1] == "v2" and parts[-2] == "manifests":
            return self.manifest(parts[-1])
        if len(parts) >= 5 and parts[1] == "v2" and parts[-2] == "blobs":
            return self.blob(parts[-1])
        self.reply(404, b"{}")

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("layout")
    lp.add_argument("out")
    lp.add_argument("layer")
    lp.add_argument("--diff-id", help="claim this diff id for the layer in the config")
    sp = sub.add_parser("serve")
    sp.add_argument("--layout", required=True)
    sp.add_argument("--bind", default="127.0.0.1")
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--log", required=True)
    sp.add_argument("--tamper", action="store_true")
    sp.add_argument("--slow", action="store_true")
    sp.add_argument("--auth")
    sp.add_argument("--endless-error", action="store_true")
    sp.add_argument("--redirect-blobs")
    sp.add_argument("--endless-manifest", action="store_true")
    a = ap.parse_args()
    if a.cmd == "layout":
        make_layout(a.out, a.layer, a.diff_id)
        return 0
    Handler.opts = a
    srv = http.server.ThreadingHTTPServer((a.bind, a.port), Handler)
    with open(a.log + ".ready", "w") as f:
        f.write("%d\n" % a.port)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
