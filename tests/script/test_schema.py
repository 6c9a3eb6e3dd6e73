#!/usr/bin/env python3
"""schema/stack.schema.json against the C loader.

1. The schema is a valid JSON Schema (draft 2020-12).
2. Every example stack file and every stack file of tests/fixtures/stacks/
   that cases.txt names first (`-f FILE ...`) passes the schema and
   `stack config -q`.
3. For every stack file there (examples, fixtures, overrides, and the
   malformed corpus tests/corpus/stack/), the schema and the loader agree:
   schema-valid == (`$STACK_BIN -f FILE config -q` exits 0), except for the
   files in SCHEMA_CANNOT below, each with the reason a JSON Schema cannot
   express that check.  An entry that no longer disagrees fails too, so the
   table stays true.

Files are validated as written: `${VAR}` is not interpolated (the schema
accepts a string with `$` in typed fields for that reason).  The loader runs
in the file's directory with the environment cases.txt gives.

Needs Debian's python3-jsonschema (>= 4.0 for draft 2020-12) and python3-yaml.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

SRC = os.environ.get("STACK_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STACK_BIN")

# File (relative to the repo) -> why the schema accepts it and the loader
# does not: checks that need more than one value's shape.
SCHEMA_CANNOT = {
    "tests/corpus/stack/duplicate-key.yaml":
        "YAML layer: a duplicate mapping key is an error for the YAML spec and our "
        "parser, but PyYAML (and so the validator) silently keeps the last value",
    "tests/corpus/stack/depends-cycle.yaml":
        "a cycle in depends_on is a property of the whole service graph",
    "tests/corpus/stack/depends-self.yaml":
        "depends_on naming its own service: a key must be compared with its parent's key",
    "tests/corpus/stack/depends-unknown.yaml":
        "depends_on naming a service that does not exist: cross-reference between sections",
    "tests/corpus/stack/profile-dependency.yaml":
        "a service depending on a service of an inactive profile: needs the active profiles",
    "tests/corpus/stack/missing-secret.yaml":
        "a service's secret must name a top-level secret: cross-reference between sections",
    "tests/corpus/stack/undeclared-volume.yaml":
        "a named volume must be declared in the top-level volumes: cross-reference",
    "tests/corpus/stack/missing-env-file.yaml":
        "env_file must exist on disk: a file system check",
    "tests/corpus/stack/required-variable.yaml":
        "${VAR:?message} with VAR unset: interpolation happens before any schema applies",
    "tests/corpus/stack/bad-interpolation.yaml":
        "a malformed ${...} is an interpolation error; the schema sees the raw string",
    "tests/corpus/stack/memswap-less.yaml":
        "memswap_limit below mem_limit: compares two values",
    "tests/corpus/stack/deploy-disagree.yaml":
        "deploy.resources.limits disagreeing with mem_limit/pids_limit/cpus: compares two values",
    "tests/corpus/stack/mem-limit-units.yaml":
        "a memory limit below 6m written with a unit (1k): comparing needs the unit's arithmetic",
    "tests/corpus/stack/duplicate-mount.yaml":
        "two mounts at one target: compares items of ports/volumes/tmpfs/secrets",
    "tests/corpus/stack/net-subnet-overlap.yaml":
        "two networks on overlapping subnets: compares two values",
    "tests/corpus/stack/net-subnet-host-bits.yaml":
        "a subnet with host bits set, or inside 127/8: address arithmetic a pattern cannot do",
    "tests/corpus/stack/net-undeclared.yaml":
        "a service's network must be declared at the top level: cross-reference between sections",
    "tests/corpus/stack/net-mode-service.yaml":
        "network_mode service:NAME must name another service; networks with network_mode: cross-references",
}


# Small stack files of our own: each must be judged the same by the schema
# and the loader, and as expected.  They cover forms the fixtures may not:
# long and short syntaxes, x- keys at every level, YAML 1.1 scalars.
INLINE = [
    (True, "minimal", "services: {web: {image: nginx}}"),
    (True, "extension keys", """
x-common: &common {restart: always}
services:
  web:
    <<: *common
    image: nginx
    x-note: anything
    healthcheck: {x-why: fast, tcp: {port: 80, x-a: 1}, interval: 1m30s, start_period: 0}
"""),
    (True, "long ports and mounts", """
volumes: {data: }
services:
  web:
    image: nginx
    ports: [80, "127.0.0.1::81", "[::1]:8443:443/tcp", {target: 53, published: "5353", protocol: udp}]
    volumes:
      - {type: tmpfs, target: /t, tmpfs: {size: 1m, mode: 1777}}
      - {type: volume, source: data, target: /data, volume: {nocopy: true}}
      - {type: bind, source: ., target: /src, read_only: true, bind: {create_host_path: false}}
      - data:/more:ro
    tmpfs: /run
"""),
    (True, "environment, labels, restart no, signals", """
services:
  web:
    image: nginx
    environment: [A=1, B]
    labels: {a: null, b: 2}
    restart: no
    stop_signal: SIGINT
    stop_grace_period: 1m
    command: flask run --host 0.0.0.0 "--port=5000" 'x y'
    entrypoint: [/bin/sh, -c]
    user: 1000
"""),
    (True, "limits", """
services:
  web:
    image: nginx
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512, core: unlimited}
    deploy: {resources: {limits: {cpus: 0.5, memory: 512m, pids: 100}}}
    memswap_limit: -1
    cap_add: [net_admin, CAP_SYS_PTRACE]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true", "seccomp=unconfined"]
    read_only: yes
    cpu_shares: 512
"""),
    (True, "depends_on, secrets, env_file, build", """
secrets:
  s: {environment: TOKEN}
services:
  db: {image: postgres, healthcheck: {test: [CMD, pg_isready], retries: 5}}
  web:
    build: .
    image: myweb
    depends_on: {db: {condition: service_healthy, restart: true}}
    secrets: [s, {source: s, target: /etc/s, mode: 0440, uid: "1000"}]
    env_file: [{path: ./missing.env, required: false}]
    profiles: [all]
"""),
    (True, "bases and images", """
bases:
  ubuntu:focal: {pull: docker.io/library/ubuntu:focal}
  debian:bookworm: {debootstrap: {suite: bookworm, include: "ca-certificates,curl"}}
images:
  one:
  two: {dockerfile_inline: "FROM one AS base", args: [A=1], labels: [team=x], target: base}
"""),
    (False, "top-level typo", "servces: {web: {image: nginx}}"),
    (False, "service key typo", "services: {web: {imagee: nginx}}"),
    (False, "no image and no build", "services: {web: {command: [true]}}"),
    (False, "two probe kinds", "services: {web: {image: nginx, healthcheck: {tcp: {port: 80}, http: {port: 80}}}}"),
    (False, "capability typo", "services: {web: {image: nginx, cap_drop: [CHWON]}}"),
    (False, "sctp port", "services: {web: {image: nginx, ports: [\"8080:80/sctp\"]}}"),
    (False, "size unit", "services: {web: {image: nginx, mem_limit: 1x}}"),
    (False, "duration without unit", "services: {web: {image: nginx, healthcheck: {interval: 10}}}"),
    (False, "restart policy", "services: {web: {image: nginx, restart: sometimes}}"),
    (False, "base with two sources", "bases: {b: {pull: b, rootfs: /b}}\nservices: {web: {image: b}}"),
    (False, "secret with two sources", "secrets: {s: {file: ./s, environment: S}}\nservices: {web: {image: nginx}}"),
    (False, "tmpfs mount with a source", "services: {web: {image: nginx, volumes: [{type: tmpfs, source: x, target: /t}]}}"),
    (False, "network mode", "services: {web: {image: nginx, network_mode: bridged}}"),
    (False, "reservations", "services: {web: {image: nginx, deploy: {resources: {reservations: {cpus: 1}}}}}"),
    (False, "apparmor", "services: {web: {image: nginx, security_opt: [apparmor=x]}}"),
    (False, "relative tmpfs", "services: {web: {image: nginx, tmpfs: [run]}}"),
    (False, "http path", "services: {web: {image: nginx, healthcheck: {http: {port: 80, path: health}}}}"),
    (False, "memswap without mem", "services: {web: {image: nginx, memswap_limit: 1g}}"),
    (False, "unclosed quote", "services: {web: {image: nginx, command: \"echo 'hi\"}}"),
    (False, "upper-case image", "services: {web: {image: Nginx}}"),
    (False, "image name with a tag", "images: {\"app:1\": {dockerfile_inline: FROM scratch}}"),
    (False, "dockerfile and dockerfile_inline", "images: {app: {dockerfile: D, dockerfile_inline: FROM scratch}}"),
    (False, "ulimit name", "services: {web: {image: nginx, ulimits: {nofiles: 1}}}"),
    (False, "port out of range", "services: {web: {image: nginx, ports: [\"1:65536\"]}}"),
    # Names that become paths and values that become lines of generated files.
    (False, "secret name with ../", "secrets: {\"../../x\": {environment: V}}\nservices: {web: {image: nginx}}"),
    (False, "secret name with /", "secrets: {\"a/b\": {environment: V}}\nservices: {web: {image: nginx}}"),
    (False, "secret name with a leading dot", "secrets: {.x: {environment: V}}\nservices: {web: {image: nginx}}"),
    (False, "secret name with a newline", "secrets: {\"a\\nb\": {environment: V}}\nservices: {web: {image: nginx}}"),
    (True, "secret name of 63 characters", "secrets: {%s: {environment: V}}\nservices: {web: {image: nginx}}" % ("s" * 63)),
    (False, "secret name of 64 characters", "secrets: {%s: {environment: V}}\nservices: {web: {image: nginx}}" % ("s" * 64)),
    (False, "service name of 64 characters", "services: {%s: {image: nginx}}" % ("w" * 64)),
    (False, "volume name with a leading dash", "volumes: {-v: }\nservices: {web: {image: nginx}}"),
    (False, "project name of 64 characters", "name: %s\nservices: {web: {image: nginx}}" % ("p" * 64)),
    (True, "project name of 63 characters", "name: %s\nservices: {web: {image: nginx}}" % ("p" * 63)),
    (False, "hostname with a newline", "services: {web: {image: nginx, hostname: \"a\\n6.6.6.6 bank\"}}"),
    (False, "hostname with a space", "services: {web: {image: nginx, hostname: \"a b\"}}"),
    (False, "hostname label ending in -", "services: {web: {image: nginx, hostname: a-.b}}"),
    (False, "hostname of 65 characters", "services: {web: {image: nginx, hostname: %s}}" % ".".join(["a" * 32, "b" * 32])),
    (True, "hostname of 64 characters", "services: {web: {image: nginx, hostname: %s}}" % ".".join(["a" * 31, "b" * 32])),
    (False, "hostname label of 64 characters", "services: {web: {image: nginx, hostname: %s}}" % ("a" * 64)),
    (True, "hostname label of 63 characters", "services: {web: {image: nginx, hostname: %s}}" % ("a" * 63)),
    # Limits: both ends of each range (the upper end of cpus is the host's CPU count: tests/cli/config_hostile.bats).
    (True, "cpus 0.01 and 0", "services: {a: {image: x, cpus: 0.01}, b: {image: x, cpus: 0}, c: {image: x, cpus: \"0.01\"}}"),
    (False, "cpus 0.009", "services: {web: {image: nginx, cpus: 0.009}}"),
    (False, "cpus 0.000001 as a string", "services: {web: {image: nginx, cpus: \"0.000001\"}}"),
    (False, "deploy cpus 0.001", "services: {web: {image: nginx, deploy: {resources: {limits: {cpus: 0.001}}}}}"),
    (True, "pids_limit -1, 0, 1 and 4194304",
     "services: {a: {image: x, pids_limit: -1}, b: {image: x, pids_limit: 0}, c: {image: x, pids_limit: 1}, "
     "d: {image: x, pids_limit: 4194304}, e: {image: x, pids_limit: \"4194304\"}}"),
    (False, "pids_limit 4194305", "services: {web: {image: nginx, pids_limit: 4194305}}"),
    (False, "pids_limit 4194305 as a string", "services: {web: {image: nginx, pids_limit: \"4194305\"}}"),
    (False, "pids_limit 9223372036854775807", "services: {web: {image: nginx, pids_limit: 9223372036854775807}}"),
    (False, "pids_limit -2", "services: {web: {image: nginx, pids_limit: -2}}"),
    (False, "deploy pids 4194305", "services: {web: {image: nginx, deploy: {resources: {limits: {pids: 4194305}}}}}"),
    (True, "mem_limit 6291456 and 0", "services: {a: {image: x, mem_limit: 6291456}, b: {image: x, mem_limit: 0}}"),
    (False, "mem_limit 1", "services: {web: {image: nginx, mem_limit: 1}}"),
    (False, "mem_limit 6291455", "services: {web: {image: nginx, mem_limit: 6291455}}"),
    (False, "deploy memory 1", "services: {web: {image: nginx, deploy: {resources: {limits: {memory: 1}}}}}"),
    (False, "memswap_limit 1", "services: {web: {image: nginx, mem_limit: 0, memswap_limit: 1}}"),
    (True, "cpu_shares 2 and 262144", "services: {a: {image: x, cpu_shares: 2}, b: {image: x, cpu_shares: 262144}}"),
    (False, "cpu_shares 262145", "services: {web: {image: nginx, cpu_shares: 262145}}"),
    (True, "port 1 and 65535", "services: {web: {image: nginx, ports: [\"1:65535\"]}}"),
    (False, "port 0", "services: {web: {image: nginx, ports: [\"0:80\"]}}"),
    (False, "depends_on condition", "services: {a: {image: x}, web: {image: nginx, depends_on: {a: {condition: up}}}}"),
    (True, "networks, aliases, subnet, service network_mode", """
networks:
  front: {driver: bridge, ipam: {driver: default, config: [{subnet: 10.5.0.0/24}]}}
  back:
services:
  web: {image: nginx, networks: {front: {aliases: [www, api.local]}, back: }}
  db: {image: x, networks: [back]}
  side: {image: x, network_mode: "service:web"}
  lone: {image: x, network_mode: none}
"""),
    (False, "network subnet /30", "networks: {n: {ipam: {config: [{subnet: 10.5.0.0/30}]}}}\nservices: {web: {image: x, networks: [n]}}"),
    (False, "network subnet not a subnet", "networks: {n: {ipam: {config: [{subnet: 10.5.0.0}]}}}\nservices: {web: {image: x, networks: [n]}}"),
    (False, "network driver overlay", "networks: {n: {driver: overlay}}\nservices: {web: {image: x, networks: [n]}}"),
    (False, "network ipv4_address", "networks: {n: }\nservices: {web: {image: x, networks: {n: {ipv4_address: 10.1.1.1}}}}"),
    (False, "network alias with a space", "networks: {n: }\nservices: {web: {image: x, networks: {n: {aliases: [\"a b\"]}}}}"),
    (False, "network_mode container:", "services: {web: {image: x, network_mode: \"container:db\"}}"),
]


def rel(path):
    return os.path.relpath(path, SRC)


def load_env():
    """The environment of tests/fixtures/stacks/cases.txt's `env -i ...`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    cases = os.path.join(SRC, "tests/fixtures/stacks/cases.txt")
    if os.path.exists(cases):
        with open(cases, encoding="utf-8") as f:
            m = re.search(r"`env -i ([^`]*)`", f.read())
        if m:
            for word in m.group(1).split():
                k, _, v = word.partition("=")
                env[k] = v
    return env


def first_files():
    """Fixture files that cases.txt names as the first -f: complete stacks."""
    out, rest = set(), set()
    cases = os.path.join(SRC, "tests/fixtures/stacks/cases.txt")
    if not os.path.exists(cases):
        return out, rest
    with open(cases, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or ":" not in line:
                continue
            files = re.findall(r"-f\s+(\S+)", line.split(":", 1)[1])
            for i, name in enumerate(files):
                p = os.path.normpath(os.path.join(SRC, "tests/fixtures/stacks", name))
                (out if i == 0 else rest).add(p)
    return out, rest - out


def stack_files():
    files = []
    ex = os.path.join(SRC, "examples")
    for root, _dirs, names in os.walk(ex):
        files += [os.path.join(root, n) for n in names if n in ("stack.yaml", "stack.yml", "compose.yaml")]
    for d in ("tests/fixtures/stacks", "tests/corpus/stack"):
        top = os.path.join(SRC, d)
        for root, _dirs, names in os.walk(top):
            files += [os.path.join(root, n) for n in names if n.endswith((".yaml", ".yml"))]
    return sorted(files)


def schema_valid(validator, path):
    """(valid, why) for the file as a YAML document against the schema."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as e:
        return False, "not YAML: %s" % str(e).splitlines()[0]
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        return False, "%s: %s" % (where, e.message[:300])
    return True, ""


def loader_valid(path, env):
    with tempfile.TemporaryDirectory() as home:
        e = dict(env)
        e.setdefault("HOME", home)
        r = subprocess.run([BIN, "-f", os.path.basename(path), "config", "-q"], cwd=os.path.dirname(path),
                           env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return r.returncode == 0, r.stderr.decode("utf-8", "replace").strip()


def main():
    failures = []
    with open(os.path.join(SRC, "schema/stack.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    print("ok: schema/stack.schema.json is a valid draft 2020-12 schema")

    if not BIN:
        print("STACK_BIN is not set: run through ctest (script_test_schema)", file=sys.stderr)
        return 1
    env = load_env()
    complete, partial = first_files()
    files = stack_files()
    seen = set()
    for path in files:
        name = rel(path)
        seen.add(name)
        s_ok, s_why = schema_valid(validator, path)
        l_ok, l_why = loader_valid(path, env)
        must_pass = name.startswith("examples/") or path in complete
        if must_pass and not (s_ok and l_ok):
            failures.append("%s: a complete example/fixture must be valid; schema: %s; loader: %s" %
                            (name, s_why or "ok", l_why or "ok"))
            continue
        if name in SCHEMA_CANNOT:
            if s_ok and not l_ok:
                print("ok: %s (loader only: %s)" % (name, SCHEMA_CANNOT[name]))
            else:
                failures.append("%s: listed in SCHEMA_CANNOT but schema %s and loader %s: update the table" %
                                (name, "accepts" if s_ok else "rejects (%s)" % s_why,
                                 "accepts" if l_ok else "rejects"))
            continue
        if s_ok != l_ok:
            failures.append("%s: schema %s, loader %s" %
                            (name, "accepts" if s_ok else "rejects: " + s_why,
                             "accepts" if l_ok else "rejects:\n    " + l_why.replace("\n", "\n    ")))
            continue
        print("ok: %s (%s%s)" % (name, "valid" if s_ok else "invalid",
                                 ", override fragment" if path in partial else ""))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "Dockerfile"), "w", encoding="utf-8") as f:
            f.write("FROM scratch\n")
        for want, what, text in INLINE:
            path = os.path.join(tmp, "stack.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.lstrip("\n"))
            s_ok, s_why = schema_valid(validator, path)
            l_ok, l_why = loader_valid(path, env)
            if s_ok == l_ok == want:
                print("ok: inline case `%s` (%s)" % (what, "valid" if want else "invalid"))
            else:
                failures.append("inline case `%s`: expected %s; schema %s, loader %s" %
                                (what, "valid" if want else "invalid",
                                 "accepts" if s_ok else "rejects: " + s_why,
                                 "accepts" if l_ok else "rejects:\n    " + l_why.replace("\n", "\n    ")))

    for name in sorted(set(SCHEMA_CANNOT) - seen):
        # Corpus files may be renamed by their owner; a stale entry must not pass silently.
        failures.append("%s: listed in SCHEMA_CANNOT but not found" % name)

    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    print("%d files, %d failures" % (len(files), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
