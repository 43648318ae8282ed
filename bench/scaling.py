#!/usr/bin/python3
"""Scaling curves (issue 17): how throughput, latency, memory and simulator wall time grow with the work.

Curves (`--only NAME` runs one; the others already in the JSON are kept):
  clients  throughput and p99 vs clients (1, 4, 16, 64, 256): kvlab single (fsync) and 3-node raft
           (fsync) under `kvlab bench --scenario throughput`, redis-server (appendfsync always) under the
           same driver, and a 3-member etcd beside kvlab raft under bench/raft_vs_etcd.py's Python driver.
  values   throughput and p99 vs value size (16 B .. 64 KiB) at --value-clients clients: single, raft, Redis.
  nodes    throughput and p99 vs raft cluster size (1 = single, 3, 5, 7) at --value-clients clients.
  memory   used_memory and RSS vs number of keys (10 k .. --max-keys), kvlab and Redis, by
           bench/memory_per_key.py's method (16-byte keys, 100-byte values through redis-cli --pipe).
  sim      simulator wall time vs simulated (virtual) time and vs raft cluster size (`kvlab sim`, whole
           runs with history and check), and a seed sweep of scenarios/sweep.toml (raft, random faults)
           on 2 shards at once (2 cores), 100 and 1,000 seeds, and 10,000 when the 1,000-seed time says
           it fits in --sweep-budget seconds.
Every measured run records the CPU of every process taking part (server threads from
/proc/PID/task/*/schedstat, as bench/vs_redis.py does; the busiest thread apart; the `kvlab bench`
client from its rusage), as cores (CPU seconds per wall second), and the 1-minute load average before
and after: the machine is shared. Where a curve bends, the .md names the resource that saturates.

Writes OUT/scaling.{json,md} (default results/real) and PLOTS/scaling-*.png (default results/plots)
with gnuplot. `--quick` (tiny sizes, under 2 minutes, writes to /tmp/kvlab-scaling-quick unless told
otherwise) is for trying the script. Recorded, not asserted.

Usage: bench/scaling.py [--kvlab build/release/kvlab] [--only clients|values|nodes|memory|sim] [--quick]
       [--rounds 3] [--duration 2] [--max-keys 1000000] [--sweep-budget 600]
"""
import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

import memory_per_key as memlib  # this folder is on sys.path when a script here runs.
import raft_vs_etcd as etcdlib
import scaling_report
from vs_redis import start_kvlab as start_single, start_redis, stop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CURVES = ("clients", "values", "nodes", "memory", "sim")
FULL = dict(clients=[1, 4, 16, 64, 256], values=[16, 256, 4096, 65536], nodes=[1, 3, 5, 7],
            keys=[10_000, 100_000, 1_000_000, 10_000_000], sim_ops=[10_000, 100_000, 1_000_000],
            sim_nodes=[3, 5, 7], sim_nodes_ops=100_000, sweep_seeds=[100, 1000, 10000])
QUICK = dict(clients=[1, 16], values=[16, 4096], nodes=[3, 5], keys=[10_000, 100_000], sim_ops=[10_000, 50_000],
             sim_nodes=[3, 5], sim_nodes_ops=20_000, sweep_seeds=[100])
# The Python driver's PUTs per run: clients x per-client, within bounds; about 1 to 4 s at each system's rate
# (etcd serves ~0.4 k/s at 1 client and ~2.5 k/s at 64, kvlab raft ~1.4 k/s and ~12 k/s). Quick: a tenth.
PY_REQUESTS = dict(etcd=(100, 800, 10_000), raft=(1000, 1000, 20_000))  # per client, min, max.
WARM_UP, WARM_UP_CLIENTS, WARM_UP_PY_REQUESTS = "300ms", 16, 400  # the unrecorded run after a start.
SWEEP_SHARDS = 2  # the sweep runs one shard per core of this 2-core machine.
SIM_CLIENTS = 50  # the simulator curves' closed-loop clients (as results/README's speed-up figure).


# ---------------------------------------------------------------- CPU and load accounting

def thread_cpu_ns(pid):
    """On-CPU ns of each live thread of `pid` ({tid: ns}); {} once the process is gone."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except OSError:
            pass  # the thread ended.
    return out


class CpuMeter:
    """Per-process CPU over a window, for a {name: pid} of servers (several pids per name: summed)."""

    def __init__(self, pids):
        self.pids = pids

    def start(self):
        self.t0 = time.monotonic()
        self.before = {name: [thread_cpu_ns(p) for p in ps] for name, ps in self.pids.items()}
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.busy0 = machine_busy_s()

    def stop(self, active_s):
        """{name: {cores, busiest_thread_cores}}, the reaped children's (the bench client's) cores, the wall
        time, and the machine's busy cores (ours and everyone else's). Cores are CPU seconds per second of the
        driver's own measured span (`active_s`), not of the whole window, which also holds the driver's start
        and, if a run stalls at its end (a request waiting out its timeout), the stall."""
        wall = time.monotonic() - self.t0
        span = min(wall, active_s)
        machine = (machine_busy_s() - self.busy0) / wall  # the whole window: /proc/stat cannot split it.
        out = {}
        for name, ps in self.pids.items():
            total, busiest = 0, 0
            for before, pid in zip(self.before[name], ps):
                for tid, ns in thread_cpu_ns(pid).items():
                    d = ns - before.get(tid, 0)
                    total += d
                    busiest = max(busiest, d)
            out[name] = dict(cores=total / 1e9 / span, busiest_thread_cores=busiest / 1e9 / span)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (c1.ru_utime - self.children0.ru_utime) + (c1.ru_stime - self.children0.ru_stime)
        return out, used / span, wall, machine


def machine_busy_s():
    """CPU seconds the whole machine (every process, ours or not) has spent busy, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load1():
    return round(os.getloadavg()[0], 2)


# ---------------------------------------------------------------- servers

def node_pids(launcher_pid):
    """The `kvlab node` children of a `kvlab cluster` launcher."""
    pids = []
    for tid in os.listdir(f"/proc/{launcher_pid}/task"):
        with open(f"/proc/{launcher_pid}/task/{tid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    return sorted(pids)


def start_cluster(binary, nodes, work):
    """`kvlab cluster --nodes N` (raft, fsync); returns (launcher, client ports, node pids) once it takes writes."""
    base = etcdlib.free_base(nodes)
    data = os.path.join(work, f"cluster-{nodes}-{base}")
    proc = subprocess.Popen([binary, "cluster", "--nodes", str(nodes), "--policy", "raft", "--durability", "fsync",
                             "--base-port", str(base), "--data-dir", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ports = [base + i for i in range(nodes)]
    etcdlib.wait_until(lambda: all(etcdlib.port_open(p) for p in ports), f"{nodes} kvlab nodes listening")
    etcdlib.wait_until(lambda: etcdlib.resp_once(ports[0], [b"SET", b"warmup", b"x"]) == b"+OK", "a raft leader")
    etcdlib.wait_until(lambda: len(node_pids(proc.pid)) == nodes, "the nodes' pids")
    return proc, ports, node_pids(proc.pid)


class Servers:
    """The systems a curve drives, started once and stopped together: name -> (ports, pids)."""

    def __init__(self):
        self.procs, self.systems = [], {}

    def add(self, name, procs, ports, pids):
        self.procs += procs
        self.systems[name] = (ports, pids)

    def stop(self):
        for p in self.procs:
            stop(p)


def start_systems(a, names, work):
    s = Servers()
    try:
        for name in names:
            if name == "single":
                p, port = start_single(a.kvlab, "fsync", work)
                s.add(name, [p], [port], [p.pid])
            elif name == "raft":
                p, ports, pids = start_cluster(a.kvlab, 3, work)
                s.add(name, [p], ports, pids)
            elif name == "redis":
                os.makedirs(os.path.join(work, "redis"), exist_ok=True)
                p, port = start_redis("fsync", os.path.join(work, "redis"))
                s.add(name, [p], [port], [p.pid])
            elif name == "etcd":
                procs, ports = etcdlib.start_etcd(work)
                s.add(name, procs, ports, [p.pid for p in procs])
        warm_up(a, s, work)
    except Exception:
        s.stop()
        raise
    return s


def warm_up(a, servers, work):
    """A short unrecorded run per system once all are up: the first run after a start (files growing, a raft
    cluster still settling while etcd starts beside it) is not a point of the curve."""
    for name, (ports, _) in servers.systems.items():
        if name == "etcd":
            etcdlib.drive("http", ports, WARM_UP_CLIENTS, WARM_UP_PY_REQUESTS, 2, b"ew")
        else:
            targets = ",".join(f"127.0.0.1:{p}" for p in ports)
            subprocess.run([a.kvlab, "bench", "--target", targets, "--scenario", "throughput", "--clients",
                            str(WARM_UP_CLIENTS), "--ops", "0", "--duration", WARM_UP, "--key-prefix", "warm:"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------- drivers

def kvlab_bench(a, ports, clients, scenario, label, prefix, work):
    """`kvlab bench` for a.duration seconds; ops/s, p50/p99 ms, errors, check."""
    path = os.path.join(work, "bench.json")
    targets = ",".join(f"127.0.0.1:{p}" for p in ports)
    subprocess.run([a.kvlab, "bench", "--target", targets, "--scenario", scenario, "--clients", str(clients),
                    "--ops", "0", "--duration", f"{int(a.duration * 1000)}ms", "--json", path, "--label", label,
                    "--key-prefix", prefix], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(path) as f:
        r = json.load(f)
    lat = r["latency_us"]
    return dict(driver="kvlab bench", ops=r["ops"], errors=r["errors"], ops_s=r["throughput_ops_s"],
                p50_ms=lat["p50"] / 1000, p99_ms=lat["p99"] / 1000, mean_ms=lat["mean"] / 1000,
                check_ok=r["check"]["ok"], duration_s=r["duration_s"])


def python_driver(a, system, proto, ports, clients, tag):
    """bench/raft_vs_etcd.py's Python driver: fresh 16-byte keys, 100-byte values."""
    per_client, low, high = PY_REQUESTS[system]
    requests = max(low, min(high, clients * per_client)) // (10 if a.quick else 1)
    r = etcdlib.drive(proto, ports, clients, requests, etcdlib_procs(clients), tag)
    return dict(driver="python", ops=r["ops"], errors=r["errors"], ops_s=r["ops_s"], p50_ms=r["p50_ms"],
                p99_ms=r["p99_ms"], duration_s=r["wall_s"])


def etcdlib_procs(clients):
    return min(4, clients)  # worker processes: no more than the clients.


def info_counters(port):
    """A kvlab node's INFO counters that explain a run: fdatasyncs, elections, event-loop turns."""
    out = subprocess.run(["redis-cli", "-p", str(port), "info"], capture_output=True, text=True, timeout=10).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {k: int(fields.get(k, 0)) for k in ("fsyncs", "kvlab_elections", "event_loop_turns")}


def kvlab_counters(servers, names):
    """{port: counters} of the kvlab systems among `names` (Redis and etcd have no such counters)."""
    return {p: info_counters(p) for n in names if n in ("single", "raft") for p in servers.systems[n][0]}


def counters_delta(before, after, ops):
    """Writes per fdatasync on the busiest-syncing node (the leader: the group commit's batch), elections."""
    if not before:
        return {}
    d = {p: {k: after[p][k] - before[p][k] for k in after[p]} for p in after}
    most = max(x["fsyncs"] for x in d.values())
    return dict(fsyncs_max_node=most, writes_per_fsync=ops / most if most else None,
                elections=sum(x["kvlab_elections"] for x in d.values()),
                loop_turns_max_node=max(x["event_loop_turns"] for x in d.values()))


def measured(servers, names, run):
    """Runs `run()` with the CPU of every server in `names` (and the reaped bench client) metered."""
    meter = CpuMeter({n: servers.systems[n][1] for n in names})
    before = load1()
    counters = kvlab_counters(servers, names)
    meter.start()
    r = run()
    cpu, client_cores, wall, machine = meter.stop(r["duration_s"])
    r.update(counters_delta(counters, kvlab_counters(servers, names), r["ops"]))
    r.update(cpu=cpu, load1_before=before, load1_after=load1(), wall_s=wall, machine_busy_cores=machine)
    r["driver_cpu_cores"] = client_cores  # kvlab bench, or the Python driver's worker processes (reaped).
    return r


def throughput_scenario(work, value_bytes):
    """A TOML file: the built-in throughput scenario (PUTs over 1000 keys) with this value size."""
    path = os.path.join(work, f"throughput-{value_bytes}.toml")
    with open(path, "w") as f:
        f.write(f'base = "throughput"\nname = "throughput_{value_bytes}B"\n'
                f"value_size = {{ min = {value_bytes}, max = {value_bytes} }}\n")
    return path


# ---------------------------------------------------------------- curves

def curve_clients(a, sizes, work):
    servers = start_systems(a, ["etcd", "single", "raft", "redis"], work)  # etcd's heavy start first.
    runs = []
    try:
        for rnd in range(a.rounds):
            for clients in sizes["clients"]:
                jobs = clients_jobs(a, servers, clients, rnd, work)
                for system, driver, run in (jobs if rnd % 2 == 0 else jobs[::-1]):
                    r = measured(servers, [system], run)
                    runs.append(dict(system=system, clients=clients, round=rnd, **r))
                    report(runs[-1], f"clients {clients:>3} {system:6} ({driver})")
    finally:
        servers.stop()
    return dict(runs=runs, x="clients")


def clients_jobs(a, servers, clients, rnd, work):
    def bench(name, label):
        ports = servers.systems[name][0]
        return lambda: kvlab_bench(a, ports, clients, "throughput", label, f"r{rnd}c{clients}:", work)

    def py(name, proto):
        ports = servers.systems[name][0]
        return lambda: python_driver(a, name, proto, ports, clients, b"%c%d" % (ord(name[0]), rnd))
    return [("single", "kvlab bench", bench("single", "kvlab-single-fsync")),
            ("raft", "kvlab bench", bench("raft", "kvlab-raft-fsync")),
            ("redis", "kvlab bench", bench("redis", "redis-aof-always")),
            ("raft", "python", py("raft", "resp")),
            ("etcd", "python", py("etcd", "http"))]


def curve_values(a, sizes, work):
    servers = start_systems(a, ["single", "raft", "redis"], work)
    runs = []
    try:
        for rnd in range(a.rounds):
            for size in sizes["values"]:
                scenario = throughput_scenario(work, size)
                order = ["single", "raft", "redis"]
                for system in (order if rnd % 2 == 0 else order[::-1]):
                    ports = servers.systems[system][0]
                    r = measured(servers, [system], lambda: kvlab_bench(
                        a, ports, a.value_clients, scenario, system, f"r{rnd}v{size}:", work))
                    r["mb_s"] = r["ops_s"] * size / 1e6
                    runs.append(dict(system=system, value_bytes=size, round=rnd, **r))
                    report(runs[-1], f"value {size:>6} B {system:6}")
    finally:
        servers.stop()
    return dict(runs=runs, x="value_bytes", clients=a.value_clients)


def curve_nodes(a, sizes, work):
    runs = []
    for rnd in range(a.rounds):
        order = sizes["nodes"] if rnd % 2 == 0 else sizes["nodes"][::-1]
        for nodes in order:
            servers = start_systems(a, ["single"], work) if nodes == 1 else nodes_cluster(a, nodes, work)
            name = next(iter(servers.systems))
            try:
                ports = servers.systems[name][0]
                r = measured(servers, [name], lambda: kvlab_bench(
                    a, ports, a.value_clients, "throughput", f"raft-{nodes}", f"r{rnd}n{nodes}:", work))
            finally:
                servers.stop()
            runs.append(dict(system="single" if nodes == 1 else "raft", nodes=nodes, round=rnd, **r))
            report(runs[-1], f"nodes {nodes}")
    return dict(runs=runs, x="nodes", clients=a.value_clients)


def nodes_cluster(a, nodes, work):
    s = Servers()
    p, ports, pids = start_cluster(a.kvlab, nodes, work)
    s.add("raft", [p], ports, pids)
    return s


def curve_memory(a, sizes, work):
    points = []
    for keys in [k for k in sizes["keys"] if k <= a.max_keys]:
        load = os.path.join(work, "load.resp")
        memlib.write_load(load, keys)
        for system in ("redis", "kvlab"):
            before, t0 = load1(), time.monotonic()
            if system == "redis":
                port = etcdlib.free_port()
                r = memlib.run_server("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir",
                                                work, "--save", "", "--appendonly", "no"], port, load, keys)
            else:
                r = memlib.run_kvlab(a.kvlab, work, f"mem-{keys}", load, keys)
            points.append(dict(system=system, keys=keys, load_s=time.monotonic() - t0, load1_before=before,
                               load1_after=load1(), **r))
            print(f"memory {keys:>9} keys {system:5}: used_memory {r['used_memory_per_key']:.0f} B/key, "
                  f"RSS {r['rss_per_key']:.0f} B/key, RSS {r['rss'] / 2**20:.0f} MiB", flush=True)
        os.remove(load)
    return dict(runs=points, x="keys", max_keys=a.max_keys, key_bytes=memlib.KEY_BYTES,
                value_bytes=memlib.VALUE_BYTES)


def sim_run(a, scenario, policy, nodes=None):
    """One whole `kvlab sim` run; its wall time measured here (history and check included)."""
    path = tempfile.mktemp(prefix="kvlab-scaling-sim-", suffix=".json")
    cmd = [a.kvlab, "sim", "--scenario", scenario, "--policy", policy, "--seed", "1", "--json", path]
    cmd += ["--nodes", str(nodes)] if nodes else []
    before, t0 = load1(), time.monotonic()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(path) as f:
        r = json.load(f)
    os.remove(path)
    return dict(policy=policy, nodes=r["nodes"], ops=r["ops"], virtual_s=r["duration_s"], wall_s=wall,
                sim_wall_s=r["wall_s"], events=r["events"], verdict=r["verdict"],
                cpu_s=(c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime),
                load1_before=before, load1_after=load1())


def sim_scenario(work, ops):
    path = os.path.join(work, f"mixed-{ops}.toml")
    with open(path, "w") as f:
        f.write(f'base = "mixed"\nname = "mixed_{ops}"\nclients = {SIM_CLIENTS}\nops = {ops}\n')
    return path


def sweep(a, seeds):
    """`kvlab sim` over seeds 1..N of scenarios/sweep.toml (raft, random faults), SWEEP_SHARDS shards at once."""
    base = [a.kvlab, "sim", "--scenario", os.path.join(ROOT, "scenarios/sweep.toml"), "--policy", "raft",
            "--faults", "random", "--seeds", f"1..{seeds}"]
    before, t0 = load1(), time.monotonic()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [subprocess.Popen(base + ["--shard", f"{i}/{SWEEP_SHARDS}"], stdout=subprocess.PIPE, text=True)
             for i in range(SWEEP_SHARDS)]
    outs = [p.communicate()[0] for p in procs]
    wall = time.monotonic() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    passed = sum(int(line.split()[0]) for o in outs for line in o.splitlines() if line.endswith("failed"))
    return dict(seeds=seeds, shards=SWEEP_SHARDS, wall_s=wall, passed=passed,
                cpu_s=(c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime),
                load1_before=before, load1_after=load1())


def curve_sim(a, sizes, work):
    by_time = []
    for ops in sizes["sim_ops"]:
        for policy in ("single", "raft"):
            by_time.append(sim_run(a, sim_scenario(work, ops), policy))
            report_sim(by_time[-1])
    by_nodes = []
    for nodes in sizes["sim_nodes"]:
        by_nodes.append(sim_run(a, sim_scenario(work, sizes["sim_nodes_ops"]), "raft", nodes))
        report_sim(by_nodes[-1])
    sweeps = []
    for seeds in sizes["sweep_seeds"]:
        if sweeps and sweeps[-1]["wall_s"] * seeds / sweeps[-1]["seeds"] > a.sweep_budget:
            print(f"sweep of {seeds} seeds skipped: {sweeps[-1]['seeds']} seeds took {sweeps[-1]['wall_s']:.0f} s, "
                  f"over the {a.sweep_budget} s budget when scaled", flush=True)
            continue
        sweeps.append(sweep(a, seeds))
        s = sweeps[-1]
        print(f"sweep {seeds} seeds: {s['wall_s']:.1f} s wall, {s['cpu_s']:.1f} s CPU, {s['passed']} passed",
              flush=True)
    return dict(by_time=by_time, by_nodes=by_nodes, sweeps=sweeps, clients=SIM_CLIENTS,
                sweep_budget_s=a.sweep_budget)


# ---------------------------------------------------------------- main

def report(r, what):
    cpu = ", ".join(f"{n} {c['cores']:.2f} (thread {c['busiest_thread_cores']:.2f})" for n, c in r["cpu"].items())
    print(f"{what}: {r['ops_s']:>8.0f} ops/s p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms errors {r['errors']} "
          f"cores: {cpu}, driver {r['driver_cpu_cores']:.2f}, machine {r['machine_busy_cores']:.2f}"
          + (f", writes/fsync {r['writes_per_fsync']:.1f}, elections {r['elections']}"
             if r.get("writes_per_fsync") else "")
          + f"; load {r['load1_before']}->{r['load1_after']}", flush=True)


def report_sim(r):
    print(f"sim {r['policy']:6} nodes {r['nodes']} ops {r['ops']:>8}: virtual {r['virtual_s']:.2f} s, "
          f"wall {r['wall_s']:.2f} s, {r['events'] / r['sim_wall_s'] / 1e6:.2f} M events/s", flush=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--only", choices=CURVES, action="append", help="run this curve only (repeatable)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 1 round, short runs: the whole thing in < 2 min")
    ap.add_argument("--rounds", type=int, help="rounds per point, alternating the systems' order (default 3; quick 1)")
    ap.add_argument("--duration", type=float, help="seconds per kvlab bench run (default 2; quick 0.5)")
    ap.add_argument("--value-clients", type=int, default=64, help="clients of the values and nodes curves")
    ap.add_argument("--max-keys", type=int, default=1_000_000,
                    help="largest key count of the memory curve (10 M: a 1.6 GB load file, minutes per server)")
    ap.add_argument("--sweep-budget", type=float, default=600, help="run a larger sweep only if it should fit (s)")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: rewrite the .md and plots from OUT's JSON")
    ap.add_argument("--out", help="folder of scaling.{json,md} (default results/real; quick /tmp/kvlab-scaling-quick)")
    ap.add_argument("--plots", help="folder of the plots (default results/plots; quick: OUT)")
    a = ap.parse_args()
    quick_out = "/tmp/kvlab-scaling-quick"
    a.out = a.out or (quick_out if a.quick else os.path.join(ROOT, "results/real"))
    a.plots = a.plots or (a.out if a.quick else os.path.join(ROOT, "results/plots"))
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.duration = a.duration or (0.5 if a.quick else 2.0)
    return a


def main():
    a = parse_args()
    sizes = QUICK if a.quick else FULL
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "scaling.json")
    doc = {}
    if os.path.exists(path):
        with open(path) as f:
            doc = json.load(f)
    doc.setdefault("curves", {})
    if a.report_only:
        scaling_report.write(doc, a.out, a.plots)
        return
    fns = dict(clients=curve_clients, values=curve_values, nodes=curve_nodes, memory=curve_memory, sim=curve_sim)
    for name in a.only or CURVES:
        with tempfile.TemporaryDirectory(prefix="kvlab-scaling-") as work:
            t0, before = time.monotonic(), os.getloadavg()
            curve = fns[name](a, sizes, work)
        curve["meta"] = dict(date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), host=socket.gethostname(),
                             cpus=os.cpu_count(), quick=a.quick, rounds=a.rounds, duration_s=a.duration,
                             wall_s=time.monotonic() - t0, load_avg_before=before, load_avg_after=os.getloadavg(),
                             command=" ".join(["bench/scaling.py"] + sys.argv[1:]))
        doc["curves"][name] = curve
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
    doc["fsync"] = fsync_today(a)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    scaling_report.write(doc, a.out, a.plots)


def fsync_today(a):
    """This machine's fdatasync latency now (`kvlab calibrate --budget 1`), for the .md's explanations."""
    with tempfile.TemporaryDirectory(prefix="kvlab-scaling-cal-") as work:
        out = os.path.join(work, "profile.toml")
        subprocess.run([a.kvlab, "calibrate", "--data-dir", work, "--budget", "1", "--out", out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            text = f.read().split("[fsync]")[1]
    keys = {}
    for line in text.splitlines()[1:]:
        if line.startswith("["):
            break
        if "=" in line:
            k, v = (s.strip() for s in line.split("=", 1))
            keys[k] = int(v)
    return dict(p50_ms=keys["p50_ns"] / 1e6, p99_ms=keys["p99_ns"] / 1e6, samples=keys["samples"])


if __name__ == "__main__":
    sys.exit(main())
