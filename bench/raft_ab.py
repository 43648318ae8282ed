#!/usr/bin/env python3
"""A/B of kvlab binaries (or raft parameters) on real processes: 3 `kvlab node` raft processes with
--durability fsync, then `kvlab bench --scenario throughput --clients C --ops N`; ROUNDS rounds,
alternating the order of the variants so that load on a shared machine hits each. Per run: ops/s,
p50/p99, CPU us per write of the leader and each follower (utime+stime from /proc/PID/stat before
and after the bench), event-loop turns, AppendEntries sent and acks coalesced (INFO), fsyncs, and
the 1-minute load average at the start.

Usage: bench/raft_ab.py ROUNDS CLIENTS OPS LABEL=BINARY[,raft.param=value...] ...
e.g.   bench/raft_ab.py 3 64 40000 before=/tmp/kvlab-old after=build/release/kvlab \
           after_w2=build/release/kvlab,raft.max_inflight_appends=2"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raft_vs_etcd as rv

TICK = os.sysconf("SC_CLK_TCK")

def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK

def info(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", "all"], capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1); d[k.strip()] = v.strip()
    return d

def run(binary, params, clients, ops, work):
    base = rv.free_base(3)
    members = ",".join(f"{i + 1}=127.0.0.1:{base + 1000 + i}" for i in range(3))
    procs = []
    for i in range(3):
        args = [binary, "node", "--id", str(i + 1), "--port", str(base + i), "--data-dir",
                os.path.join(work, f"n{i + 1}"), "--policy", "raft", "--durability", "fsync", "--cluster", members]
        for p in params: args += ["--param", p]
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    ports = [base + i for i in range(3)]
    try:
        rv.wait_until(lambda: all(rv.port_open(p) for p in ports), "listening")
        rv.wait_until(lambda: rv.resp_once(ports[0], [b"SET", b"warmup", b"x"]) == b"+OK", "leader")
        infos = [info(p) for p in ports]
        lead = [i for i, d in enumerate(infos) if d.get("role") == "leader" or d.get("kvlab_role") == "leader"]
        before = [cpu_s(p.pid) for p in procs]
        load = os.getloadavg()[0]
        path = os.path.join(work, "b.json")
        targets = ",".join(f"127.0.0.1:{p}" for p in ports)
        subprocess.run([binary, "bench", "--target", targets, "--scenario", "throughput", "--clients", str(clients),
                        "--ops", str(ops), "--json", path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = [cpu_s(p.pid) for p in procs]
        infos2 = [info(p) for p in ports]
        r = json.load(open(path))
        n = r["ops"]
        us = [(a - b) * 1e6 / n for a, b in zip(after, before)]
        li = lead[0] if lead else -1
        turns = [int(d.get("event_loop_turns", 0)) - int(d0.get("event_loop_turns", 0)) for d, d0 in zip(infos2, infos)]
        el = sum(int(d.get("kvlab_elections", 0)) for d in infos2)
        def delta(k):
            return [int(d.get(k, 0)) - int(d0.get(k, 0)) for d, d0 in zip(infos2, infos)]
        extra = dict(appends=delta("kvlab_appends_sent"), coalesced=delta("kvlab_acks_coalesced"), fsyncs=delta("fsyncs"))
        return dict(ops_s=r["throughput_ops_s"], p99=r["latency_us"]["p99"] / 1000, p50=r["latency_us"]["p50"] / 1000,
                    errors=r["errors"], leader_us=us[li] if li >= 0 else None,
                    follower_us=[u for i, u in enumerate(us) if i != li], turns=turns, leader=li, load=load, elections=el, **extra)
    finally:
        rv.stop_all(procs)

def main():
    rounds = int(sys.argv[1]); clients = int(sys.argv[2]); ops = int(sys.argv[3])
    variants = []  # label=binary[,param...]
    for spec in sys.argv[4:]:
        label, rest = spec.split("=", 1)
        parts = rest.split(",")
        variants.append((label, parts[0], parts[1:]))
    res = {v[0]: [] for v in variants}
    for rnd in range(rounds):
        for label, binary, params in (variants if rnd % 2 == 0 else variants[::-1]):
            work = os.path.join(tempfile.gettempdir(), f"raft_ab-{os.getpid()}-{label}")
            shutil.rmtree(work, ignore_errors=True); os.makedirs(work)
            r = run(binary, params, clients, ops, work)
            shutil.rmtree(work, ignore_errors=True)
            res[label].append(r)
            print(f"{time.strftime('%H:%M:%S')} {label:10s} ops/s {r['ops_s']:8.0f} p50 {r['p50']:.2f} p99 {r['p99']:.2f} err {r['errors']} "
                  f"leader_us {r['leader_us']:.1f} follower_us {' '.join(f'{u:.1f}' for u in r['follower_us'])} "
                  f"turns {r['turns']} appends {r['appends']} coalesced {r['coalesced']} fsyncs {r['fsyncs']} load {r['load']:.2f} elections {r['elections']}", flush=True)
    for label in res:
        rs = res[label]
        med = lambda k: statistics.median(x[k] for x in rs)
        print(f"MEDIAN {label:10s} ops/s {med('ops_s'):8.0f} p99 {med('p99'):.2f} leader_us {med('leader_us'):.1f} "
              f"follower_us {statistics.median(u for x in rs for u in x['follower_us']):.1f}")

main()
