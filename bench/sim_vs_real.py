#!/usr/bin/python3
"""The simulator with a calibrated cost profile beside real processes, same scenarios (issue 15).

For each policy (single: one `kvlab node`, fsync durability; raft: a 3-node `kvlab cluster`, fsync)
and each scenario, runs `kvlab sim --scenario S --policy P --costs PROFILE` and, against a fresh
`kvlab cluster` on loopback, `kvlab bench --target ... --scenario S` (REPEAT times; the run with
the median throughput is shown, the machine is shared). Writes results/sim-vs-real.{md,json}:
ops/s, p50 and p99 of both worlds and the ratio sim/real. The goal is every ratio within 0.7..1.3.

With --calibrate SECONDS the profile is measured first, under the load the real runs will see
(the machine is shared: the committed profile's figures were measured under another load).

Usage: bench/sim_vs_real.py [--kvlab build/release/kvlab] [--costs profiles/loopback-2core.toml]
                            [--calibrate SECONDS] [--policies single,raft] [--scenarios latency,mixed,throughput,...]
                            [--repeat 3] [--out results]
"""
import argparse
import csv
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from nemesis_compare import free_base  # client, peer and proxy ports free; this folder is on sys.path.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = ["latency", "mixed", "throughput", "hot_cold", "high_concurrency", "scenarios/failover.toml"]
# Scenarios with a fault schedule: real runs go through the nemesis. failover is the failure
# scenario with the leader crashed (node 1 leads in one world and follows in the other by chance).
FAULTED = {"failure", "scenarios/failover.toml"}
# Policies without a leader to crash (crash_leader finds none): they get the failure scenario
# (node 1 crashes at 10 s, restarts at 20 s) in failover's place.
LEADERLESS = {"abd", "quorum"}
FAULT_TITLES = {"scenarios/failover.toml": "leader SIGKILLed at 10 s, restarted at 20 s",
                "failure": "node 1 crashed at 10 s, restarted at 20 s"}


def scenario_for(policy, scenario):
    if policy.split(":")[0] in LEADERLESS and scenario == "scenarios/failover.toml":
        return "failure"
    return scenario
GOAL = (0.7, 1.3)
FSYNC_PROBE_S = 0.4  # the device probed before each real run (probe_fsync_us).


def scenario_arg(scenario):
    """A built-in scenario's name, or a scenario file of this checkout (named relative to it)."""
    return os.path.join(ROOT, scenario) if scenario.endswith(".toml") else scenario


def wait_ports(ports, proc, deadline_s=20):
    deadline = time.time() + deadline_s
    for p in ports:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"kvlab cluster exited ({proc.returncode})")
            try:
                socket.create_connection(("127.0.0.1", p), timeout=0.5).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"port {p} never listened")
                time.sleep(0.05)


def summary(report):
    lat = report["latency_us"]
    s = dict(ops_s=report["throughput_ops_s"], p50_us=lat["p50"], p99_us=lat["p99"], errors=report["errors"])
    # The failure scenario's unavailability window (from the kill to the first success of a request
    # sent after it), the same metric in both worlds.
    if "unavailability_s" in report.get("metrics", {}):
        s["unavailable_s"] = report["metrics"]["unavailability_s"]
    if "leader_at_start" in report.get("metrics", {}):
        s["leader_at_start"] = int(report["metrics"]["leader_at_start"])
    return s


def info_field(port, field):
    """One field of a node's INFO, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"*1\r\n$4\r\nINFO\r\n")
            buf = b""
            while not buf.endswith(b"\r\n\r\n") and len(buf) < (1 << 20):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
    except OSError:
        return None
    for line in buf.split(b"\r\n"):
        if line.startswith(field.encode() + b":"):
            return line.split(b":", 1)[1].decode()
    return None


# INFO's kvlab_role of the node that orders writes: raft's leader, pb's primary, chain's head.
LEADING_ROLES = {"leader", "primary", "head"}


FSYNC_QUANTILES = [("min_ns", "min"), ("p50_ns", "p50"), ("p90_ns", "p90"), ("p99_ns", "p99"),
                   ("p999_ns", "p99.9"), ("max_ns", "max")]


def run_fsync_us(ports):
    """The run's fdatasync latencies (INFO kvlab_fsync_latency_us), per quantile the median over the
    nodes that synced; {} if none did. INFO has no min: half the p50 stands for it. For the report
    only (see probe_fsync_us)."""
    per_node = []
    for p in ports:
        text = info_field(p, "kvlab_fsync_latency_us")
        if not text:
            continue
        fields = dict(kv.split("=", 1) for kv in text.split(","))
        if int(fields.get("count", "0")) == 0:
            continue
        q = {name: float(fields[name]) for _, name in FSYNC_QUANTILES if name in fields}
        q["min"] = q["p50"] / 2
        q["count"] = int(fields["count"])
        per_node.append(q)
    if not per_node:
        return {}
    return {k: statistics.median(n[k] for n in per_node) for k in per_node[0]}


FSYNC_PROBE_FILE_BYTES = 8 << 20  # preallocated with zeros, as kvlab calibrate's probe and the WAL are.
FSYNC_PROBE_RECORD_BYTES = 128


def probe_fsync_us(directory, seconds):
    """The device now, as `kvlab calibrate` measures it: 128-byte writes to a preallocated file,
    each followed by fdatasync, for `seconds`; the latency quantiles in microseconds. The nodes'
    own syncs (INFO) cannot stand in for it: three nodes share one device, so each node's sync
    time includes waiting for the others', which the simulator's shared device adds itself."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"\0" * FSYNC_PROBE_FILE_BYTES)
        os.fsync(fd)
        record, offset, lat = b"x" * FSYNC_PROBE_RECORD_BYTES, 0, []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            os.pwrite(fd, record, offset)
            offset = (offset + FSYNC_PROBE_RECORD_BYTES) % FSYNC_PROBE_FILE_BYTES
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t) * 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    return {"min": lat[0], "p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "p99.9": q(0.999), "max": lat[-1],
            "count": len(lat)}


def profile_with_fsync(profile, fsync_us, out_path):
    """A copy of the cost profile whose [fsync] section is a real run's (fsync_us, microseconds)."""
    with open(profile) as f:
        lines = f.read().splitlines()
    section, seen = "", set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            continue
        key = stripped.split("=", 1)[0].strip()
        if section == "[fsync]":
            for toml_key, name in FSYNC_QUANTILES:
                if key == toml_key:
                    lines[i] = f"{toml_key} = {int(fsync_us[name] * 1000)}"
                    seen.add(toml_key)
            if key == "samples":
                lines[i] = f"samples = {int(fsync_us['count'])}"
    if len(seen) != len(FSYNC_QUANTILES):
        raise RuntimeError(f"{profile}: no complete [fsync] section to replace")
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n# [fsync]: a real run's fdatasync latencies (INFO kvlab_fsync_latency_us)\n")
    return out_path


def wait_leader(ports, deadline_s=10):
    """The client port of the node that leads, once one does."""
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        leaders = [p for p in ports if info_field(p, "kvlab_role") in LEADING_ROLES]
        if len(leaders) == 1:
            return leaders[0]
        time.sleep(0.05)
    raise RuntimeError(f"no leader among ports {ports} after {deadline_s} s")


def placed(ports, leader, position):
    """The target list with the leader at `position` (0-based) and the others in order: clients
    are assigned to targets in turn in both worlds, so the same clients then reach the leader
    directly and the same ones through a follower's forwarding hop."""
    others = [p for p in ports if p != leader]
    return others[:position] + [leader] + others[position:]


def read_timeline(path):
    """A --timeline-csv file as a list of (t_s, successful ops per second)."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if len(rows) < 2:
        return []
    step = float(rows[1]["t_s"]) - float(rows[0]["t_s"])
    return [(float(r["t_s"]), (int(r["ops"]) - int(r["errors"])) / step) for r in rows]


def run_real(kvlab, policy, scenario, seed, sim_leader=0):
    """One fresh cluster, one `kvlab bench` run; the report's summary. `sim_leader`: the node that
    led the simulated run (0: none, or not known): the real leader takes its place among the targets."""
    nodes = 1 if policy == "single" else 3
    data = tempfile.mkdtemp(prefix="kvlab-sim-vs-real-")
    base = free_base(nodes)
    log = open(os.path.join(data, "cluster.log"), "w")
    cluster = subprocess.Popen([kvlab, "cluster", "--nodes", str(nodes), "--policy", policy, "--base-port", str(base),
                                "--data-dir", data + "/c", "--durability", "fsync"], stdout=log, stderr=log)
    try:
        ports = [base + i for i in range(nodes)]
        wait_ports(ports, cluster)
        # Leaderless policies (abd, quorum) have none to wait for: the sim's leader_at_start is 0.
        leader = wait_leader(ports) if nodes > 1 and sim_leader > 0 else ports[0]
        if nodes > 1 and 1 <= sim_leader <= nodes and scenario not in FAULTED:
            ports = placed(ports, leader, sim_leader - 1)
        disk = probe_fsync_us(data, FSYNC_PROBE_S)
        out = os.path.join(data, "run.json")
        targets = ",".join(f"127.0.0.1:{p}" for p in ports)
        # A scenario with a fault schedule (failure) runs through the cluster's nemesis, which
        # kills and restarts its processes; the others talk to the nodes directly.
        where = ["--cluster", data + "/c"] if scenario in FAULTED else ["--target", targets]
        timeline = os.path.join(data, "timeline.csv")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([kvlab, "bench", *where, "--scenario", scenario_arg(scenario), "--seed", str(seed),
                               "--label", policy, "--json", out, "--timeline-csv", timeline],
                              capture_output=True, text=True)
        if proc.returncode == 2 or not os.path.exists(out):
            raise RuntimeError(f"kvlab bench {scenario} {policy}: {proc.stderr.strip()}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out) as f:
            report = json.loads(f.readline())
        s = summary(report)
        # The bench client's own CPU (the whole process: connections, workload, history check) per
        # operation: the simulator's clients cost nothing.
        cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        s["client_cpu_us_per_op"] = round(cpu_s * 1e6 / max(1, report["ops"]), 1)
        s["load_average"] = round(os.getloadavg()[0], 1)
        if sim_leader > 0:
            s["leader_at_start"] = ports.index(leader) + 1  # the target position it had, as the sim's node id.
        s["disk_fsync_us"] = {k: round(v, 1) for k, v in disk.items()}  # probed just before the run.
        fsync = run_fsync_us(ports)
        if fsync:
            s["node_fsync_us"] = fsync  # the nodes' own syncs during the run (INFO).
        if scenario in FAULTED:
            s["timeline"] = read_timeline(timeline)
        return s
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cluster.kill()
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def run_sim(kvlab, costs, policy, scenario, seed):
    with tempfile.TemporaryDirectory(prefix="kvlab-sim-vs-real-") as work:
        out = os.path.join(work, "run.json")
        timeline = os.path.join(work, "timeline.csv")
        proc = subprocess.run([kvlab, "sim", "--scenario", scenario_arg(scenario), "--policy", policy, "--seed", str(seed),
                               "--costs", costs, "--json", out, "--timeline-csv", timeline], capture_output=True, text=True)
        if proc.returncode == 2:
            raise RuntimeError(f"kvlab sim {scenario} {policy}: {proc.stderr.strip()}")
        with open(out) as f:
            s = summary(json.loads(f.readline()))
        if scenario in FAULTED:
            s["timeline"] = read_timeline(timeline)
        return s


def plot_failover(rows, out_dir):
    """Successful ops/s over time, sim and real on one chart per faulted row, kill and restart marked
    (results/plots/sim-vs-real-failover-POLICY.png). Returns the files written."""
    written = []
    for r in rows:
        if r["scenario"] not in FAULTED or not r["sim"].get("timeline") or not r["real"].get("timeline"):
            continue
        os.makedirs(out_dir, exist_ok=True)
        png = os.path.join(out_dir, f"sim-vs-real-failover-{r['policy']}.png")
        with tempfile.TemporaryDirectory(prefix="kvlab-plot-") as work:
            for world in ("sim", "real"):
                with open(os.path.join(work, world + ".dat"), "w") as f:
                    f.writelines(f"{t:.3f} {v:.1f}\n" for t, v in r[world]["timeline"])
            # Clipped at twice the steady rate: the simulator's clients of a dead single node wait and
            # then complete together, a spike that would flatten everything else.
            steady = statistics.median(v for _, v in r["real"]["timeline"])
            script = "\n".join([
                "set terminal pngcairo size 900,420", f"set output '{png}'", f"set yrange [0:{2 * steady:.0f}]",
                f"set title '{r['policy']}: {FAULT_TITLES.get(r['scenario'], r['scenario'])} (open loop 500 ops/s)'",
                "set xlabel 'time (s)'", "set ylabel 'successful ops/s (100 ms windows; clipped)'",
                "set key bottom right", "set arrow from 10, graph 0 to 10, graph 1 nohead dt 2 lc rgb 'red'",
                "set arrow from 20, graph 0 to 20, graph 1 nohead dt 2 lc rgb 'dark-green'",
                "set label 'kill' at 10.2, graph 0.95 tc rgb 'red'",
                "set label 'restart' at 20.2, graph 0.95 tc rgb 'dark-green'",
                f"plot '{work}/sim.dat' with lines lw 2 title 'simulator', "
                f"'{work}/real.dat' with lines lw 2 title 'real processes'"])
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
        written.append(png)
    return written


def ratio(sim, real):
    return round(sim / real, 2) if real else None


def paired_sims(kvlab, costs, policy, scenario, reals):
    """The simulator once per real run, with that run's disk (the fdatasync latencies probed just
    before it in the profile's [fsync]; everything else calibrated): the device is this shared
    machine's environment, not the model, and its latency drifts from minute to minute."""
    sims = []
    with tempfile.TemporaryDirectory(prefix="kvlab-sim-vs-real-disk-") as work:
        for i, real in enumerate(reals):
            profile = profile_with_fsync(costs, real["disk_fsync_us"], os.path.join(work, f"run{i}.toml"))
            sims.append(run_sim(kvlab, profile, policy, scenario, 1))
    return sims


def median_summary(runs):
    """Each figure's median over the runs (the faulted rows' timeline: the median run's by ops/s)."""
    out = dict(sorted(runs, key=lambda r: r["ops_s"])[len(runs) // 2])
    for k in ("ops_s", "p50_us", "p99_us", "unavailable_s"):
        if all(k in r for r in runs):
            out[k] = statistics.median(r[k] for r in runs)
    return out


def row(kvlab, costs, policy, scenario, repeat, disk_from_runs):
    sim = run_sim(kvlab, costs, policy, scenario, 1)
    reals = sorted((run_real(kvlab, policy, scenario, 1, sim.get("leader_at_start", 0)) for _ in range(repeat)),
                   key=lambda r: r["ops_s"])
    real = reals[len(reals) // 2]
    sim_fixed = sim
    if disk_from_runs:
        sims = paired_sims(kvlab, costs, policy, scenario, reals)
        if sims:
            sim = median_summary(sims)
    r = dict(policy=policy, scenario=scenario, sim=sim, real=real, sim_calibrated_disk=sim_fixed,
             real_ops_s_runs=[round(x["ops_s"]) for x in reals],
             real_disk_fsync_us_runs=[x.get("disk_fsync_us") for x in reals],
             ratio={k: ratio(sim[k], real[k]) for k in ("ops_s", "p50_us", "p99_us")})
    judged = [r["ratio"]["ops_s"], r["ratio"]["p50_us"]]
    if scenario in FAULTED:
        # Open loop at a fixed rate, and requests sent to a dead node fail at once for real (the
        # connection is refused) but wait for it in the simulator: the goal here is the
        # unavailability window alone (the median real run's by throughput, every run's beside it).
        r["real_unavailable_s_runs"] = [round(x.get("unavailable_s", float("nan")), 3) for x in reals]
        r["ratio"]["unavailable_s"] = ratio(sim.get("unavailable_s", 0), real.get("unavailable_s", 0))
        judged = [r["ratio"]["unavailable_s"]]
    r["within_goal"] = all(v is not None and GOAL[0] <= v <= GOAL[1] for v in judged)
    return r


def markdown(rows, command, repeat, load, disk_note="per-run"):
    lines = ["# Simulator vs real processes (issue 15)", "",
             f"`{command}`: each scenario {repeat} times against a fresh loopback `kvlab cluster` (fsync "
             "durability; single: one node, the others: three) with `kvlab bench` (seed 1); the real run with the "
             "median throughput is shown, with every run's throughput. The simulator (`kvlab sim --costs`, seed 1) "
             + ("runs with the profile as calibrated. " if disk_note == "calibrated" else
                "runs once per real run, with the profile's [fsync] replaced by the fdatasync latencies probed on "
                "the run's data dir just before it (0.4 s, as `kvlab calibrate` probes): the device is this shared "
                "VM's environment and drifts from minute to minute, the rest of the profile is the model; each sim "
                "figure is the median of those runs. The JSON keeps the sim with the profile's own disk "
                "(`sim_calibrated_disk`) and the nodes' own sync times during each run (`node_fsync_us`, INFO "
                "`kvlab_fsync_latency_us`; with three nodes on one device they include waiting for each other). ")
             + "Leader-based policies: each real run waits for its leader and lists it among the targets where "
             "the simulated run's leader was (clients take targets in turn in both worlds, so the same clients "
             "forward through a follower). Ratio = sim / real; the goal is 0.7..1.3 on throughput and p50. 2 CPUs shared "
             f"with other work (1-minute load average at the end: {load:.1f}).", "",
             "| policy | scenario | sim ops/s | real ops/s | ratio | sim p50 us | real p50 us | ratio | sim p99 us | "
             "real p99 us | ratio | real runs ops/s | real client CPU us/op | load | goal |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, x, q = r["sim"], r["real"], r["ratio"]
        lines.append(f"| {r['policy']} | {r['scenario']} | {s['ops_s']:.0f} | {x['ops_s']:.0f} | {q['ops_s']} | "
                     f"{s['p50_us']:.0f} | {x['p50_us']:.0f} | {q['p50_us']} | {s['p99_us']:.0f} | {x['p99_us']:.0f} | "
                     f"{q['p99_us']} | {', '.join(str(v) for v in r['real_ops_s_runs'])} | "
                     f"{x['client_cpu_us_per_op']} | {x['load_average']} | {'ok' if r['within_goal'] else 'MISS'} |")
    faulted = [r for r in rows if r["scenario"] in FAULTED]
    if faulted:
        lines += ["", "The faulted scenarios (failover: the leader SIGKILLed at 10 s and restarted at 20 s, open loop "
                  "500 ops/s; real runs through `kvlab bench --cluster`, the nemesis): the unavailability window, from the kill to the "
                  "first success of a request sent after it. Their goal is 0.7..1.3 on it (the table above judges them by it alone).", "",
                  "| policy | sim unavailable s | real unavailable s | ratio | real runs s | goal |", "|---|---|---|---|---|---|"]
        for r in faulted:
            lines.append(f"| {r['policy']} | {r['sim'].get('unavailable_s', 0):.3f} | "
                         f"{r['real'].get('unavailable_s', 0):.3f} | {r['ratio']['unavailable_s']} | "
                         f"{', '.join(str(v) for v in r['real_unavailable_s_runs'])} | "
                         f"{'ok' if r['within_goal'] else 'MISS'} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--costs", default="profiles/loopback-2core.toml")
    ap.add_argument("--policies", default="single,raft")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))
    ap.add_argument("--calibrate", type=float, default=0,
                    help="first measure a fresh profile with `kvlab calibrate --budget SECONDS` (written beside the "
                         "results as sim-vs-real-profile.toml) and use it: the machine's load then is the runs' load")
    ap.add_argument("--calibrated-disk", action="store_true",
                    help="simulate with the profile's own [fsync] only; by default the simulator also runs once "
                         "per real run with that run's fdatasync latencies (INFO), and the table shows those")
    ap.add_argument("--notes", default="", help="a Markdown file appended to the report (the misses explained)")
    a = ap.parse_args()
    if a.calibrate > 0:
        os.makedirs(a.out, exist_ok=True)
        a.costs = os.path.join(a.out, "sim-vs-real-profile.toml")
        with tempfile.TemporaryDirectory(prefix="kvlab-calibrate-") as data:
            subprocess.run([a.kvlab, "calibrate", "--data-dir", data, "--budget", str(a.calibrate), "--out", a.costs],
                           check=True)
    rows = []
    for policy in a.policies.split(","):
        for scenario in (scenario_for(policy, sc) for sc in a.scenarios.split(",")):
            r = row(a.kvlab, a.costs, policy, scenario, a.repeat, not a.calibrated_disk)
            print(f"{policy:7} {scenario:17} ops/s {r['sim']['ops_s']:9.0f} / {r['real']['ops_s']:9.0f} = "
                  f"{r['ratio']['ops_s']}  p50 {r['sim']['p50_us']:8.0f} / {r['real']['p50_us']:8.0f} = "
                  f"{r['ratio']['p50_us']}  p99 ratio {r['ratio']['p99_us']}", flush=True)
            rows.append(r)
    load = os.getloadavg()[0]
    shown = os.path.relpath(a.costs, ROOT)
    command = f"bench/sim_vs_real.py --repeat {a.repeat} " + (
        f"--calibrate {a.calibrate:g} (profile: {shown})" if a.calibrate > 0 else f"--costs {shown}") + (
        " --calibrated-disk" if a.calibrated_disk else "")
    os.makedirs(a.out, exist_ok=True)
    for png in plot_failover(rows, os.path.join(a.out, "plots")):
        print(f"wrote {png}")
    for r in rows:  # the timelines are in the plots, not the JSON.
        for world in ("sim", "real", "sim_calibrated_disk"):
            r[world].pop("timeline", None)
    with open(os.path.join(a.out, "sim-vs-real.json"), "w") as f:
        json.dump(dict(command=command, costs=shown, repeat=a.repeat, load_average=load, goal=GOAL, rows=rows), f, indent=2)
    text = markdown(rows, command, a.repeat, load, "calibrated" if a.calibrated_disk else "per-run")
    if a.notes:
        with open(a.notes) as f:
            text += "\n" + f.read()
    with open(os.path.join(a.out, "sim-vs-real.md"), "w") as f:
        f.write(text)
    print(f"wrote {a.out}/sim-vs-real.md and .json")
    return 0 if all(r["within_goal"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
