#!/usr/bin/python3
"""Raft in the simulator (recorded, not asserted): leader failover and simulator speed.

For seeds 1..5: the failover scenario (the leader is killed at 10 s under 500 ops/s, restarted at
20 s) gives the unavailability window, against raft's 150-300 ms election timeout, plus peer
messages and fsyncs per acknowledged write; the mixed scenario gives simulated client operations
per wall-second for a 3-node cluster. Writes results/sim/raft.json and results/sim/raft.md.
Usage: bench/raft_sim.py [path/to/kvlab]   (default: build/release/kvlab)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KVLAB = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/release/kvlab")
SEEDS = range(1, 6)


def run(scenario, policy, seed):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([KVLAB, "sim", "--scenario", scenario, "--policy", policy, "--seed", str(seed),
                        "--json", out.name], check=True, stdout=subprocess.DEVNULL)
        return json.loads(open(out.name).read().splitlines()[0])


def main():
    failover = [run(os.path.join(ROOT, "scenarios/failover.toml"), "raft", s) for s in SEEDS]
    mixed = {p: [run("mixed", p, s) for s in SEEDS] for p in ("raft", "single")}
    med = statistics.median
    summary = {
        "command": "bench/raft_sim.py",
        "failover": {
            "unavailability_s": [r["metrics"]["unavailability_s"] for r in failover],
            "election_timeout_ms": [150, 300],
            "peer_messages_per_write": med(r["metrics"]["peer_messages_per_write"] for r in failover),
            "fsyncs_per_write": med(r["metrics"]["fsyncs_per_write"] for r in failover),
            "all_checks_ok": all(r["check"]["ok"] for r in failover),
        },
        "sim_speed_mixed": {
            p: {
                "client_ops_per_wall_s": med(r["ops"] / r["wall_s"] for r in runs),
                "events_per_wall_s": med(r["events"] / r["wall_s"] for r in runs),
                "virtual_throughput_ops_s": med(r["throughput_ops_s"] for r in runs),
            }
            for p, runs in mixed.items()
        },
        "runs": failover + mixed["raft"] + mixed["single"],
    }
    os.makedirs(os.path.join(ROOT, "results/sim"), exist_ok=True)
    with open(os.path.join(ROOT, "results/sim/raft.json"), "w") as f:
        json.dump(summary, f, indent=2)
    fo = summary["failover"]
    lines = [
        "# Raft in the simulator (`bench/raft_sim.py`, seeds 1-5)",
        "",
        "| figure | value |",
        "|---|---|",
        "| unavailability after the leader is killed (s), per seed | "
        + ", ".join(f"{u:.3f}" for u in fo["unavailability_s"]) + " |",
        "| election timeout | 150-300 ms (+ a PreVote round) |",
        f"| peer messages per acknowledged write (median) | {fo['peer_messages_per_write']:.2f} |",
        f"| fsyncs per acknowledged write, all nodes (median) | {fo['fsyncs_per_write']:.2f} |",
        f"| linearizable, no acknowledged write lost | {'yes' if fo['all_checks_ok'] else 'NO'} |",
    ]
    for p, s in summary["sim_speed_mixed"].items():
        lines.append(f"| simulator speed, mixed, {p}: client ops per wall-second | {s['client_ops_per_wall_s']:.0f} |")
        lines.append(f"| simulator speed, mixed, {p}: events per wall-second | {s['events_per_wall_s']:.0f} |")
    with open(os.path.join(ROOT, "results/sim/raft.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
