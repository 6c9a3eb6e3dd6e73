#!/usr/bin/env python3
"""mkbundle.py SPEC ROOTFS OUT (--seccomp=PROFILE | --no-seccomp) [-- ARGS...]

Turn the config.json that `crun spec` / `runc spec` wrote (SPEC) into the
OCI equivalent of the benchmark's stack service, and write it to OUT:

  - namespaces pid, mount, ipc, uts, network, cgroup (no user namespace);
  - root = ROOTFS, writable (the runtimes use the directory in place, so
    bench/run.sh gives each runtime its own copy);
  - process: `true` (or ARGS, for the settings check), no terminal, Docker's default 14 capabilities minus
    SETUID and SETGID (bounding, effective, permitted; no inheritable or
    ambient), noNewPrivileges;
  - resources: memory 256m, pids 256, cpu shares 512 (the spec's device
    deny-all stays);
  - rlimits clamped to this process's hard limits: root here lacks
    CAP_SYS_RESOURCE, so a runtime cannot raise a hard limit;
  - seccomp: PROFILE (a Docker-format profile, i.e. bench/seccomp-default.json,
    a snapshot of stack's built-in default) resolved for these caps and this
    machine's architecture the way Docker turns its default.json into an OCI
    section; or none with --no-seccomp.

Everything else `spec` wrote (the /proc, /dev, /sys mounts, masked and
read-only paths) is kept: stack sets up the same.
"""
import json
import platform
import resource
import sys

DOCKER_DEFAULT_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]
CAP_DROP = {"CAP_SETUID", "CAP_SETGID"}
CAPS = [c for c in DOCKER_DEFAULT_CAPS if c not in CAP_DROP]

# Go's names for the architectures, as Docker profiles spell them in
# includes/excludes.arches, and the seccomp name of the native one.
MACHINE = {
    "x86_64": ("amd64", "SCMP_ARCH_X86_64"),
    "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
    "ppc64le": ("ppc64le", "SCMP_ARCH_PPC64LE"),
    "s390x": ("s390x", "SCMP_ARCH_S390X"),
    "riscv64": ("riscv64", "SCMP_ARCH_RISCV64"),
}

RLIMITS = {
    "RLIMIT_NOFILE": resource.RLIMIT_NOFILE,
    "RLIMIT_NPROC": resource.RLIMIT_NPROC,
    "RLIMIT_CORE": resource.RLIMIT_CORE,
    "RLIMIT_STACK": resource.RLIMIT_STACK,
    "RLIMIT_MEMLOCK": resource.RLIMIT_MEMLOCK,
}


def oci_seccomp(profile, caps, machine):
    """Docker's profile -> OCI linux.seccomp, as moby's profiles/seccomp does:
    a rule whose includes.caps are not all held, or that excludes a held
    cap, is dropped; same for arches against the native one."""
    goarch, native = MACHINE[machine]
    archs = []
    for m in profile.get("archMap", []):
        if m["architecture"] == native:
            archs = [native] + m.get("subArchitectures", [])
    out = {"defaultAction": profile["defaultAction"], "architectures": archs, "syscalls": []}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    for rule in profile["syscalls"]:
        inc, exc = rule.get("includes", {}), rule.get("excludes", {})
        if not all(c in caps for c in inc.get("caps", [])):
            continue
        if inc.get("arches") and goarch not in inc["arches"]:
            continue
        if any(c in caps for c in exc.get("caps", [])):
            continue
        if goarch in exc.get("arches", []):
            continue
        r = {"names": rule["names"], "action": rule["action"]}
        if "errnoRet" in rule:
            r["errnoRet"] = rule["errnoRet"]
        if rule.get("args"):
            r["args"] = rule["args"]
        out["syscalls"].append(r)
    return out


def clamp_rlimits(rlimits):
    out = []
    for rl in rlimits:
        res = RLIMITS.get(rl["type"])
        if res is not None:
            _, hard = resource.getrlimit(res)
            if hard != resource.RLIM_INFINITY:
                rl["hard"] = min(rl["hard"], hard)
                rl["soft"] = min(rl["soft"], rl["hard"])
        out.append(rl)
    return out


def main(argv):
    args = ["true"]
    if "--" in argv:
        args = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    if len(argv) != 5 or not (argv[4] == "--no-seccomp" or argv[4].startswith("--seccomp=")) or not args:
        sys.exit("usage: " + __doc__.splitlines()[0])
    spec_path, rootfs, out_path, mode = argv[1:]
    with open(spec_path) as f:
        cfg = json.load(f)

    cfg["root"] = {"path": rootfs, "readonly": False}
    proc = cfg["process"]
    proc["args"] = args
    proc["terminal"] = False
    proc["noNewPrivileges"] = True
    proc["capabilities"] = {k: list(CAPS) for k in ("bounding", "effective", "permitted")}
    proc["rlimits"] = clamp_rlimits(proc.get("rlimits", []))

    linux = cfg.setdefault("linux", {})
    linux["namespaces"] = [{"type": t} for t in ("pid", "mount", "ipc", "uts", "network", "cgroup")]
    res = linux.setdefault("resources", {})
    res["memory"] = {"limit": 256 * 1024 * 1024}
    res["pids"] = {"limit": 256}
    res["cpu"] = {"shares": 512}

    if mode == "--no-seccomp":
        linux.pop("seccomp", None)
    else:
        with open(mode.split("=", 1)[1]) as f:
            linux["seccomp"] = oci_seccomp(json.load(f), set(CAPS), platform.machine())

    with open(out_path, "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
