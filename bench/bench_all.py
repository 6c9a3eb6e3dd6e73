"""bench_all.py: the sections of bench/all.sh for docs/benchmarks.md, and
the chart beside it (gnuplot).  Imported by report.py (--all DIR); DIR holds
what all.sh left: hyperfine exports SECTION.json, and TSVs for what
hyperfine does not time (peers, commands, wrk, rss, times, sections)."""
import json
import os
import subprocess
import time

# Goals and the peers' numbers the issues measured on this machine.
GOALS = {
    "up": "≤ 50 ms, ≥ 30× docker compose (issue 8; compose 1.6 s, podman-compose 2.3 s measured then)",
    "down": "≤ 100 ms (issue 8; 11 s for both compose peers measured then)",
    "noop": "≤ 20 ms for the four images (issue 7; buildah/podman 117 ms, docker 160 ms per image then)",
    "cold-copy": "≥ 2× faster than buildah (issue 7)",
    "up100": "≤ 2 s (issue 8)",
    "pull": "no number set: against `skopeo copy` (issue 7)",
    "probe": "no number set: against docker's exec probe (issue 8)",
}
SECTION_TITLES = [
    ("up", "`up -d` of a cached one-service stack"),
    ("down", "`down` of that stack"),
    ("up100", "`up -d` of many busybox services"),
    ("noop", "no-op rebuild of the espresso chain (four images)"),
    ("cold-copy", "cold build: COPY of many small files"),
    ("pull", "registry pull of a 3-layer image from a loopback docker-registry"),
]
# Chart columns: which peer a command name belongs to.
COLUMNS = ["stack", "docker", "podman", "buildah", "skopeo"]


def column(name):
    for c in COLUMNS[1:]:
        if name.startswith(c):
            return c
    return "stack" if name.startswith("stack") else None


def tsv(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def hyperfine(d, section):
    path = os.path.join(d, section + ".json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)["results"]


def ms(x):
    x *= 1000.0
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def verdict(ok):
    return "met" if ok else "**not met**"


def param(a, name, default):
    return next((p.split("=", 1)[1] for p in a.params.split() if p.startswith(name + "=")), default)


def probe_rows(d):
    """probe.tsv with the CPU above the same tool's idle window (its rate
    over the window's length) and that per 1,000 probes."""
    keys = ("tool", "check", "secs", "probes", "tool_ns", "ct_ns", "what")
    rows = [dict(zip(keys, r)) for r in tsv(d, "probe.tsv")]
    idle = {r["tool"]: (int(r["tool_ns"]) + int(r["ct_ns"])) / float(r["secs"]) for r in rows if r["check"] == "none"}
    for r in rows:
        secs, n = float(r["secs"]), int(r["probes"])
        total = int(r["tool_ns"]) + int(r["ct_ns"])
        r["above"] = r["per1000"] = None
        if r["check"] != "none" and r["tool"] in idle:
            r["above"] = (total - idle[r["tool"]] * secs) / 1e6
            if n > 0:
                r["per1000"] = r["above"] / n * 1000
    return rows


def probe_cost(rows, tool, check):
    return next((r["per1000"] for r in rows if r["tool"] == tool and r["check"] == check), None)


def goals_lines(d):
    """One line per goal, stack's number with the peers' beside it."""
    lines = []
    res = {s: {r["command"]: r for r in hyperfine(d, s)} for s, _ in SECTION_TITLES}

    def med(s, name):
        r = res[s].get(name)
        return r["median"] if r else None

    up, dc, pc = med("up", "stack"), med("up", "docker compose"), med("up", "podman-compose")
    if up is not None:
        peers = ", ".join(f"{n} {ms(v)} ms ({v / up:.0f}×)" for n, v in (("docker compose", dc), ("podman-compose", pc)) if v)
        lines.append(f"| `up -d` cached | {ms(up)} ms | {peers or 'n/a'} | {GOALS['up']} | "
                     + verdict(up <= 0.050 and (dc is None or dc / up >= 30)) + " |")
    dn = med("down", "stack")
    if dn is not None:
        peers = ", ".join(f"{n} {ms(v)} ms" for n in ("docker compose", "podman-compose") if (v := med("down", n)))
        lines.append(f"| `down` | {ms(dn)} ms | {peers or 'n/a'} | {GOALS['down']} | {verdict(dn <= 0.100)} |")
    m = med("up100", "stack")
    if m is not None:
        peers = ", ".join(f"{n} {ms(v)} ms" for n in ("docker compose", "podman-compose") if (v := med("up100", n)))
        lines.append(f"| `up -d`, many services | {ms(m)} ms | {peers or 'n/a'} | {GOALS['up100']} | {verdict(m <= 2.0)} |")
    no = med("noop", "stack")
    if no is not None:
        peers = ", ".join(f"{n} {ms(v)} ms" for n in ("podman build", "buildah bud", "docker build (BuildKit)")
                          if (v := med("noop", n)))
        lines.append(f"| no-op rebuild, espresso chain | {ms(no)} ms | {peers or 'n/a'} | {GOALS['noop']} | {verdict(no <= 0.020)} |")
    else:
        lines.append(f"| no-op rebuild, espresso chain | not measured in this run (not in SECTIONS, ESPRESSO=0, or no base: see Peers) "
                     f"| | {GOALS['noop']} | n/a |")
    cc = med("cold-copy", "stack")
    if cc is not None:
        bu = med("cold-copy", "buildah bud")
        peers = ", ".join(f"{n} {ms(v)} ms ({v / cc:.1f}×)" for n in ("buildah bud", "podman build", "docker build (BuildKit)")
                          if (v := med("cold-copy", n)))
        lines.append(f"| cold COPY-heavy build | {ms(cc)} ms | {peers or 'n/a'} | {GOALS['cold-copy']} | "
                     + (verdict(bu / cc >= 2) if bu else "n/a (no buildah)") + " |")
    pl = med("pull", "stack")
    if pl is not None:
        peers = ", ".join(f"{n} {ms(v)} ms ({v / pl:.1f}×)" for n in ("skopeo copy", "podman pull", "docker pull")
                          if (v := med("pull", n)))
        lines.append(f"| registry pull, 3 layers | {ms(pl)} ms | {peers or 'n/a'} | {GOALS['pull']} | — |")
    pr = probe_rows(d)
    tcp, http = probe_cost(pr, "stack", "tcp"), probe_cost(pr, "stack", "http")
    if tcp is not None or http is not None:
        ref = http if http is not None else tcp
        mine = ", ".join(f"{c} {v:.1f} ms" for c, v in (("tcp", tcp), ("http", http)) if v is not None)
        peers = ", ".join(f"{r['tool']} ({r['check']}) {r['per1000']:.1f} ms"
                          + (f" ({r['per1000'] / ref:.0f}×)" if ref and ref > 0 else "")
                          for r in pr if r["tool"] != "stack" and r["per1000"] is not None)
        lines.append(f"| health-probe CPU per 1,000 probes | {mine} | {peers or 'n/a'} | {GOALS['probe']} | — |")
    for row in tsv(d, "wrk.tsv"):
        target, tool, rps, p99, drps, _dp99 = (row + [""] * 6)[:6]
        if tool != "stack" or target != "static (kaserver)":
            continue
        ratio = float(rps) / float(drps) if rps and drps else None
        peers = []
        for r in tsv(d, "wrk.tsv"):
            if r[0] == target and r[1] != "stack" and r[2] and r[4]:
                peers.append(f"{r[1]} {float(r[2]) / float(r[4]):.2f}")
        lines.append(f"| published port / direct, keep-alive c50 | {ratio:.2f} (p99 {p99}) | "
                     f"{', '.join(peers) or 'n/a'} | ≥ 0.9 (issue 8; docker DNAT 0.8 then) | "
                     + (verdict(ratio >= 0.9) if ratio else "n/a") + " |")
    for row in tsv(d, "rss.tsv"):
        scen, tool, kb = row[0], row[1], int(row[2] or 0)
        if tool != "stack":
            continue
        peers = ", ".join(f"{r[1]} {int(r[2]) / 1024:.1f} MiB" for r in tsv(d, "rss.tsv") if r[0] == scen and r[1] != "stack")
        limit = 5 if scen.startswith("1 ") else 20
        lines.append(f"| supervisor RSS, {scen} | {kb / 1024:.1f} MiB | {peers or 'n/a'} | ≤ {limit} MB (issue 8) | "
                     + verdict(kb / 1024 <= limit) + " |")
    return lines


def probe_table(w, a, rows):
    secs, iv = param(a, "PROBE_SECS", "?"), param(a, "PROBE_MS", "?")
    w("## health-probe CPU\n")
    w(f"A busybox httpd service, probed every {iv} ms for {secs} s, and the same service without a "
      "health check for as long (idle). CPU: user + system time of the tool's processes that stay "
      "(stack's supervisor; dockerd, containerd and the shim; conmon), moved into a cpuacct cgroup "
      "of the run's for the window, plus the container's own cgroup (httpd, and an exec probe's "
      "processes). Probes: the connections the container's network namespace accepted "
      "(PassiveOpens). Above idle = CPU of the window − the idle window's CPU per second × its "
      "length; per 1,000 probes = that / probes × 1000. stack probes `tcp:` and `http:` from the "
      "supervisor itself; the peers exec `wget` in the container (docker's usual HEALTHCHECK for "
      "an image without curl). `exec-loop`: podman runs its probes from a systemd timer, which "
      "this host lacks (see Peers), so a shell loop runs what the timer would, `podman healthcheck "
      "run`, with the same interval.\n")
    ref = probe_cost(rows, "stack", "http")
    w("| tool | check | probes | window (s) | tool's CPU (ms) | container's CPU (ms) | above idle (ms) "
      "| CPU per 1,000 probes (ms) | × stack http |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        per = r["per1000"]
        x = f"{per / ref:.1f}" if per is not None and ref else "n/a"
        w(f"| {r['tool']} | {r['check']} | {r['probes']} | {float(r['secs']):.1f} | "
          f"{int(r['tool_ns']) / 1e6:.1f} | {int(r['ct_ns']) / 1e6:.1f} | "
          + (f"{r['above']:.1f}" if r["above"] is not None else "—") + " | "
          + (f"{per:.1f}" if per is not None else "—") + f" | {x} |")
    w("")
    counted = {}
    for r in rows:
        counted.setdefault(r["what"], []).append(f"{r['tool']} {r['check']}")
    w(f"Goal: {GOALS['probe']}. What was counted: "
      + "; ".join(f"{', '.join(who)}: {what}" for what, who in counted.items()) + ".\n")


def chart(d, png):
    """Grouped bars of the medians, log scale: one group per section."""
    rows = []
    for s, title in SECTION_TITLES:
        vals = dict.fromkeys(COLUMNS, "-")
        for r in hyperfine(d, s):
            c = column(r["command"])
            if c:
                vals[c] = f"{r['median'] * 1000:.3f}"
        if any(v != "-" for v in vals.values()):
            rows.append([s] + [vals[c] for c in COLUMNS])
    if not rows:
        return False
    # Only the columns with a bar (gnuplot warns about an empty one).
    used = [i for i in range(1, len(COLUMNS) + 1) if any(r[i] != "-" for r in rows)]
    data = os.path.join(d, "chart.dat")
    with open(data, "w") as f:
        f.write("section " + " ".join(COLUMNS[i - 1] for i in used) + "\n")
        for r in rows:
            f.write(" ".join([r[0]] + [r[i] for i in used]) + "\n")
    script = f"""
set terminal pngcairo size 1000,520 font "sans,10"
set output "{png}"
set title "stack vs peers: median wall time per operation (lower is better, log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set datafile missing "-"
set logscale y
set ylabel "ms"
set yrange [1:*]
set grid ytics
set key top left
plot for [i=2:{len(used) + 1}] "{data}" using i:xtic(1) title columnheader(i)
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def render(w, a, start_results):
    d = a.all
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if a.note:
        w(f"**{a.note}**\n")
    w(f"Generated by `{a.invocation}` on {when} (root, Debian 12): stack beside docker compose, "
      "podman-compose, podman build, buildah and docker build on the same machine, in one run, with "
      "the same images and files. Rerun it to refresh this page and the chart.\n")
    png = os.path.splitext(a.out)[0] + ".png"
    if chart(d, png):
        w(f"![medians, stack vs peers]({os.path.basename(png)})\n")

    w("## Goals\n")
    w("| what | stack (median) | peers (median, × stack) | goal | |")
    w("| --- | --- | --- | --- | --- |")
    for line in goals_lines(d):
        w(line)
    w("")

    w("## Reproduce\n")
    w("```sh\nsudo bench/all.sh    # a quiet machine; the defaults: RUNS=10 WARMUP=2 RUNS_START=50 RUNS_100=3\n"
      "                     # N_SERVICES=100 COLD_FILES=10000 WRK_SECS=10 ESPRESSO=1 PORT_BASE=24000\n"
      "                     # PROBE_SECS=30 PROBE_MS=100 PULL_MB=8 SECTIONS=all\n```\n")
    w("It installs the peers with apt-get (INSTALL=0 skips that), builds `build/` (or times "
      "STACK_BIN), starts dockerd for the run only (own socket, `--data-root`, `--exec-root`, "
      "`--iptables=false --ip-forward=false`: the host's firewall is left alone and published ports "
      "go through docker-proxy, which is what a client on 127.0.0.1 gets from docker anyway), gives "
      "podman, buildah and podman-compose a temp storage and CNI config dir, imports the same "
      "busybox rootfs (with `bench/kaserver.c`, a keep-alive static server) into every tool, and "
      "the debootstrap bookworm base of the espresso example from stack's store (`stack image "
      "save`; the peers get its layer with `podman import` / `docker import`, and the chain's "
      "Dockerfiles with `FROM` rewritten to it in a temp copy). Everything it made (containers, "
      "networks, mounts, cgroups, docker/podman storage, links and firewall chains the peers "
      "added) is removed on exit, also on failure or ^C. The espresso example needs its base in "
      "the store first (`stack pull` in `examples/espresso`, or BASE_STORE=). The pull section "
      "runs Debian's docker-registry on 127.0.0.1 (PORT_BASE+20) with its own storage in the temp "
      "dir, stopped on exit. SECTIONS (a list of the section names, e.g. `SECTIONS=\"probe pull\"`) "
      "runs only those; the peers' setup always runs.\n")
    w(f"This page: `{a.invocation}`" + (f" ({a.params})" if a.params else "") + ".\n")

    peers = tsv(d, "peers.tsv")
    if peers:
        w("## Peers on this host\n")
        w("| peer | status | detail (error and workaround) |")
        w("| --- | --- | --- |")
        for row in peers:
            name, status, detail = (row + ["", ""])[:3]
            w(f"| {name} | {status} | {detail.replace('|', '/')} |")
        w("")

    n, files = param(a, "N_SERVICES", "many"), param(a, "COLD_FILES", "many")
    mib = param(a, "PULL_MB", "?")
    for s, title in SECTION_TITLES:
        res = hyperfine(d, s)
        if not res:
            continue
        title = (title.replace("many busybox", f"{n} busybox").replace("many small", f"{files} small")
                 .replace("3-layer image", f"3-layer image ({mib} MiB each)"))
        stack = next((r for r in res if r["command"] == "stack"), None)
        w(f"## {title}\n")
        w("| command | median (ms) | mean ± σ (ms) | min (ms) | max (ms) | runs | × stack |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for r in res:
            x = f"{r['median'] / stack['median']:.1f}" if stack else "n/a"
            w(f"| {r['command']} | {ms(r['median'])} | {ms(r['mean'])} ± {ms(r['stddev'] or 0)} | "
              f"{ms(r['min'])} | {ms(r['max'])} | {len(r['times'])} | {x} |")
        w("")
        if s == "pull":
            w("Each run from nothing: `stack pull` into a fresh `STACK_ROOT` (downloads, verifies and "
              "unpacks the layers into its store), `skopeo copy` into a fresh OCI dir (downloads and "
              "verifies the blobs, unpacks nothing), `podman pull` and `docker pull` after removing the "
              "image (both unpack into their storage). The layers are random bytes (gzip does not shrink "
              "them); the registry is Debian's docker-registry on 127.0.0.1, plain http.\n")
        if s in GOALS:
            w(f"Goal: {GOALS[s]}. × stack: ratio of the medians (10 = ten times as long).\n")

    times = tsv(d, "times.tsv")
    if times:
        w("## cold build of the espresso chain (once each)\n")
        w("Each builder's first build of the four images from the loaded base: `apt-get update` and "
          "`apt-get install` of python3, python3-pip and python3-flask from Debian's archive over "
          "the network (`--network host` for the peers, stack's default), so mostly the archive's "
          "speed. One run each, not a median.\n")
        w("| builder | seconds | status |")
        w("| --- | --- | --- |")
        for row in times:
            w(f"| {row[1]} | {row[2]} | {row[3].replace('|', '/')} |")
        w("")

    wrk = tsv(d, "wrk.tsv")
    if wrk:
        w("## published-port throughput (wrk, keep-alive, 2 threads, 50 connections)\n")
        w("Through the published port on 127.0.0.1 and, for reference, the same server reached "
          "directly inside the container's network namespace (`nsenter -n`, same wrk).\n")
        w("| server | tool | req/s published | p99 published | req/s direct | p99 direct | published / direct |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for row in wrk:
            target, tool, rps, p99, drps, dp99 = (row + [""] * 6)[:6]
            ratio = f"{float(rps) / float(drps):.2f}" if rps and drps else "n/a"
            w(f"| {target} | {tool} | {rps or 'n/a'} | {p99 or 'n/a'} | {drps or 'n/a'} | {dp99 or 'n/a'} | {ratio} |")
        w("")

    pr = probe_rows(d)
    if pr:
        probe_table(w, a, pr)

    rss = tsv(d, "rss.tsv")
    if rss:
        w("## supervisor RSS\n")
        w("What stays resident to keep the containers running, besides the apps: VmRSS summed "
          "over the processes named, read while the stack is up.\n")
        w("| scenario | tool | RSS (MiB) | processes |")
        w("| --- | --- | --- | --- |")
        for scen, tool, kb, what in rss:
            w(f"| {scen} | {tool} | {int(kb or 0) / 1024:.1f} | {what} |")
        w("")

    cmds = tsv(d, "commands.tsv")
    if cmds:
        w("## The commands\n")
        w("Exactly what was timed (`TMP`: the script's temp dir). hyperfine runs with `-N` (no "
          "shell), `--output=pipe`; \"before each run\" is hyperfine's `--prepare`, not timed.\n")
        cur = None
        for sec, name, cmd in cmds:
            if sec != cur:
                w(f"\n**{sec}**\n")
                cur = sec
            w(f"- {name}: `{cmd}`")
        w("")

    secs = tsv(d, "sections.tsv")
    if secs:
        w("## Wall time of each section\n")
        w("With " + (a.params or "the defaults") + ": " +
          ", ".join(f"{s} {t} s" for s, t in secs) + ".\n")

    from report import machine_section
    machine_section(w, a, "## Machine and versions\n")
    w(f"Load average at the end: {a.load}. Other work may run on this shared machine: compare "
      "min and σ before reading much into small differences.\n")
