#!/usr/bin/python3
"""The six DESIGN.md scenarios run by `kvlab bench` against a kvlab node and redis-server, same run.

For each durability pairing, starts on loopback a redis-server and a single `kvlab node`:
  none  : kvlab --durability none  vs Redis without persistence (save "" appendonly no)
  fsync : kvlab --durability fsync vs Redis appendonly yes appendfsync always
and runs every scenario with `kvlab bench --flush` against each (alternating which goes first), so
both servers see the identical workload (same seed, keys, values, mix, clients). Every run's
history is checked for linearizability by kvlab bench itself. Scenario faults (the failure
scenario's crash/restart) are not applied by kvlab bench: against real servers the failure
scenario is its steady open-loop load only.

Writes results/real/scenarios-vs-redis.json (every report + the table) and
results/real/scenarios-vs-redis.md (throughput, p50, p99 and the kvlab/Redis ratio per scenario).
Recorded, not asserted.

With --repeat N every scenario runs N times per server (alternating which goes first) and the
row shows, per server, the run with the median throughput: single runs on a shared machine vary a
lot (fsync latency especially, see results/real/vs-redis.md).

Usage: bench/scenarios_vs_redis.py [--kvlab build/release/kvlab] [--failure-duration 30s]
                                   [--repeat 1] [--scenarios latency,mixed] [--modes none,fsync]
"""
import argparse
import json
import statistics
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vs_redis import ROOT, start_kvlab, start_redis, stop  # noqa: E402

SCENARIOS = ["throughput", "latency", "hot_cold", "mixed", "high_concurrency", "failure"]


def run_bench(binary, port, scenario, label, extra, work):
    out_json = os.path.join(work, f"{label}-{scenario}.json")
    args = [binary, "bench", "--target", f"127.0.0.1:{port}", "--scenario", scenario, "--label", label,
            "--flush", "--json", out_json] + extra
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode == 2:
        raise RuntimeError(f"{' '.join(args)}: {proc.stderr.strip()}")
    with open(out_json) as f:
        report = json.loads(f.readline())
    report["exit_code"] = proc.returncode
    return report


def summary(report):
    lat = report["latency_us"]
    return dict(ops=report["ops"], errors=report["errors"], ops_s=report["throughput_ops_s"],
                p50_us=lat["p50"], p99_us=lat["p99"], check_ok=report["check"]["ok"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--failure-duration", default="30s", help="the failure scenario's length (its default: 30s)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per scenario and server; the median run is shown")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--modes", default="none,fsync")
    ap.add_argument("--out", default=os.path.join(ROOT, "results/real"))
    a = ap.parse_args()
    if shutil.which("redis-server") is None:
        subprocess.run(["bash", "-c", f"source {ROOT}/scripts/lib.sh && kvlab_install_deps"], check=True)
    reports, table = [], []
    for mode in a.modes.split(","):
        with tempfile.TemporaryDirectory(prefix="kvlab-scenarios-vs-redis-") as work:
            os.makedirs(os.path.join(work, "redis"))
            redis_proc, redis_port = start_redis(mode, os.path.join(work, "redis"))
            kvlab_proc, kvlab_port = start_kvlab(a.kvlab, mode, work)
            try:
                for i, scenario in enumerate(a.scenarios.split(",")):
                    extra = ["--duration", a.failure_duration] if scenario == "failure" else []
                    row = dict(mode=mode, scenario=scenario)
                    runs = {"kvlab": [], "redis": []}
                    for rep in range(a.repeat):
                        order = [("kvlab", kvlab_port), ("redis", redis_port)]
                        if (i + rep) % 2 == 1:
                            order.reverse()
                        for server, port in order:
                            label = f"{server}-{mode}"
                            report = run_bench(a.kvlab, port, scenario, label, extra, work)
                            reports.append(report)
                            s = summary(report)
                            runs[server].append(s)
                            print(f"{mode:5} {scenario:16} {server:5} {s['ops_s']:>10.0f} ops/s  p50 {s['p50_us']:>9.0f} us  "
                                  f"p99 {s['p99_us']:>9.0f} us  errors {s['errors']}  check {'ok' if s['check_ok'] else 'FAILED'}",
                                  flush=True)
                    for server, rs in runs.items():
                        median_ops = statistics.median_low([r["ops_s"] for r in rs])
                        row[server] = next(r for r in rs if r["ops_s"] == median_ops)
                        row[server]["check_ok"] = all(r["check_ok"] for r in rs)
                        row[server]["errors"] = sum(r["errors"] for r in rs)
                    row["ratio"] = row["kvlab"]["ops_s"] / row["redis"]["ops_s"] if row["redis"]["ops_s"] > 0 else None
                    table.append(row)
            finally:
                stop(kvlab_proc)
                stop(redis_proc)
    os.makedirs(a.out, exist_ok=True)
    meta = dict(host=socket.gethostname(), cpus=os.cpu_count(), failure_duration=a.failure_duration, repeat=a.repeat,
                load_avg_1m=os.getloadavg()[0],
                redis=subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip(),
                command="kvlab bench --target 127.0.0.1:PORT --scenario NAME --flush",
                note="scenario faults are not applied by kvlab bench (external servers): failure = steady load only")
    with open(os.path.join(a.out, "scenarios-vs-redis.json"), "w") as f:
        json.dump(dict(meta=meta, table=table, reports=reports), f, indent=1)
    runs_text = "one run" if a.repeat == 1 else f"median of {a.repeat} runs"
    lines = [f"# The six scenarios: kvlab node vs Redis (`kvlab bench`, loopback, {runs_text})", "",
             f"`kvlab bench --scenario NAME --flush` with each scenario's defaults (failure: {a.failure_duration}, "
             f"open loop at its fixed rate); {meta['redis']}; {meta['cpus']} CPUs, shared with other work, so "
             "numbers are indicative. One `kvlab node` (policy single). kvlab `--durability none` vs Redis without "
             "persistence; kvlab `--durability fsync` vs Redis `appendonly yes appendfsync always`. Ratio = kvlab "
             "ops/s / Redis ops/s. Every history was checked for linearizability. Scenario faults are not applied "
             "against real servers (kvlab bench does not control them): `failure` here is its steady load only. "
             "Client connections are opened before each measured run. "
             f"1-minute load average at the end: {meta['load_avg_1m']:.1f}.", "",
             "| durability | scenario | kvlab ops/s | Redis ops/s | ratio | kvlab p50 us | Redis p50 us | kvlab p99 us | "
             "Redis p99 us | errors (kvlab/Redis) | check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for t in table:
        k, r = t["kvlab"], t["redis"]
        ratio = f"{t['ratio']:.2f}" if t["ratio"] is not None else "n/a"
        check = "ok" if k["check_ok"] and r["check_ok"] else "FAILED"
        lines.append(f"| {t['mode']} | {t['scenario']} | {k['ops_s']:.0f} | {r['ops_s']:.0f} | {ratio} | "
                     f"{k['p50_us']:.0f} | {r['p50_us']:.0f} | {k['p99_us']:.0f} | {r['p99_us']:.0f} | "
                     f"{k['errors']}/{r['errors']} | {check} |")
    with open(os.path.join(a.out, "scenarios-vs-redis.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
