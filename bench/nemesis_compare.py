#!/usr/bin/python3
"""The failure scenario on real processes, one cluster per policy (issue 15: the comparison table
from real processes, until `kvlab compare --world real` exists).

For each policy, starts `kvlab cluster --nodes N --policy P --proxy` in a temporary data dir, runs
`kvlab bench --cluster DIR --scenario S --json ... --timeline-csv ...` (the nemesis applies the
scenario's fault schedule to the processes: kill, restart, pause, link faults through the proxy),
then stops the cluster. Every run reads back every acknowledged key and checks linearizability;
a lost write shows as a failed check.

Writes OUT.json (every run's report) and OUT.md (one row per policy), and each run's timeline as
OUT-POLICY.csv. Recorded, not asserted.

Usage: bench/nemesis_compare.py [--kvlab build/release/kvlab] [--scenario failure]
       [--policies single,raft,pb,pb:mode=async] [--nodes N] [--out results/real/nemesis-failure]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import raft_vs_etcd  # cluster ports; this folder is on sys.path when a script here runs.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_base(nodes):
    """A client base port whose client, peer (+1000) and proxy (+2000) ports look free."""
    return raft_vs_etcd.free_base(nodes, proxy=True)


def run_policy(kvlab, policy, scenario, out, csv=True, nodes=None):
    nodes = nodes or (1 if policy == "single" else 3)
    tag = policy.replace(":", "_").replace("=", "_")
    data = tempfile.mkdtemp(prefix="kvlab-nemesis-")
    log = open(os.path.join(data, "cluster.log"), "w")
    cluster = subprocess.Popen([kvlab, "cluster", "--nodes", str(nodes), "--policy", policy, "--proxy",
                                "--base-port", str(free_base(nodes)), "--data-dir", data + "/c"],
                               stdout=log, stderr=log)
    try:
        deadline = time.time() + 20
        while not os.path.exists(data + "/c/control.sock") and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # an election
        json_path = os.path.join(data, "run.json")
        command = [kvlab, "bench", "--cluster", data + "/c", "--scenario", scenario, "--json", json_path]
        if csv:
            command += ["--timeline-csv", f"{out}-{tag}.csv"]
        bench = subprocess.run(command, capture_output=True, text=True)
        text = open(json_path).read() if os.path.exists(json_path) else ""
        run = json.loads(text) if text.strip() else {"policy": policy}
        run["exit"] = bench.returncode
        if not text.strip():
            run["problems"] = [bench.stderr.strip().splitlines()[-1] if bench.stderr.strip() else "no report"]
        return run
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cluster.kill()
        shutil.rmtree(data, ignore_errors=True)


def fmt(m, key, unit=""):
    return f"{m[key]:.3f}{unit}" if key in m else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--scenario", default="failure")
    ap.add_argument("--policies", default="single,raft,pb,pb:mode=async")
    ap.add_argument("--nodes", type=int, default=0, help="nodes per cluster (default: 1 for single, else 3)")
    ap.add_argument("--out", default=os.path.join(ROOT, "results/real/nemesis-failure"))
    a = ap.parse_args()
    runs = []
    for policy in a.policies.split(","):
        run = run_policy(a.kvlab, policy, a.scenario, a.out, nodes=a.nodes or None)
        print(policy, "exit", run["exit"], run.get("metrics", {}), file=sys.stderr)
        runs.append(run)
    json.dump(runs, open(a.out + ".json", "w"), indent=1)
    lines = [f"# `{a.scenario}` on real processes, through the nemesis (`bench/nemesis_compare.py`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this machine (loopback, fsync, "
             "peer traffic through the fault proxy with no link fault). Throughput in successful ops/s; before, "
             "during (first to last fault) and after; unavailable: from each kill to the first success of a "
             "request sent after it (worst); back to 95%: from the kill until a 100 ms window reaches 95% of "
             "before; catch-up: from the restart until the node applied what the others had then.", "",
             "| policy | nodes | exit | ops/s before | during | after | unavailable s | back to 95% s | catch-up s | "
             "errors | check |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        m = r.get("metrics", {})
        check = r.get("check", {})
        lines.append(f"| {r['policy']} | {r.get('nodes', '-')} | {r['exit']} | {fmt(m, 'throughput_before_ops_s')} | "
                     f"{fmt(m, 'throughput_during_ops_s')} | {fmt(m, 'throughput_after_ops_s')} | "
                     f"{fmt(m, 'unavailability_s')} | {fmt(m, 'recovery_95_s')} | {fmt(m, 'catch_up_s')} | "
                     f"{r.get('errors', '-')} | {check.get('model', '')} {'ok' if check.get('ok') else 'FAILED' if check else '-'} |")
        for p in r.get("problems", []):
            lines.append(f"|  | problem: {p} ||||||||||")
    open(a.out + ".md", "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
