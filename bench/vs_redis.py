#!/usr/bin/python3
"""kvlab vs Redis, side by side, with the same redis-benchmark commands.

Starts redis-server and `kvlab node` on loopback and runs, alternating which goes first,
`redis-benchmark -t set,get -n N -c 50 -P {1,16} --csv` against each, ROUNDS times, in two pairings:
  durability none  vs Redis without persistence (save "" appendonly no)
  durability fsync vs Redis appendonly yes appendfsync always
Writes results/real/vs-redis.json (every run + medians) and results/real/vs-redis.md (table of
median ops/s, p50, p99 and the kvlab/Redis ops ratio). Recorded, not asserted.

Robustness on a shared machine: both servers run side by side and every round runs them back to
back (alternating which goes first), so a burst of outside load hits both; each row is the median
of the rounds; and each run also records the server's own CPU time per request (summed over its
threads from /proc/PID/task/*/schedstat), which other load changes far less than ops/s.

Usage: bench/vs_redis.py [--kvlab build/release/kvlab] [--rounds 5] [--requests 200000]
"""
import argparse
import csv
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, deadline_s=30):
    end = time.time() + deadline_s
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not ready")


def start_redis(mode, workdir):
    port = free_port()
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", ""]
    if mode == "fsync":
        args += ["--appendonly", "yes", "--appendfsync", "always"]
    else:
        args += ["--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port


def start_kvlab(binary, mode, workdir):
    port = free_port()
    proc = subprocess.Popen([binary, "node", "--id", "1", "--port", str(port), "--data-dir",
                             os.path.join(workdir, "kvlab"), "--durability", mode],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port


def cpu_ns(pid):
    """CPU time of every thread of `pid` so far, in ns (schedstat: on-CPU time first)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # the thread ended.
    return total


def bench_one(port, pid, requests, clients, pipeline, test):
    """One redis-benchmark run of one test, with the server's CPU time per request."""
    before = cpu_ns(pid)
    rows = bench(port, requests, clients, pipeline, test)
    rows[test]["cpu_us_per_op"] = (cpu_ns(pid) - before) / 1000.0 / requests
    return rows


def bench(port, requests, clients, pipeline, tests="set,get"):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", tests, "-n", str(requests),
                          "-c", str(clients), "-P", str(pipeline), "--csv"],
                         check=True, capture_output=True, text=True).stdout
    rows = {}
    for row in csv.DictReader(io.StringIO(out)):
        rows[row["test"].lower()] = {"ops_s": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]),
                                     "p99_ms": float(row["p99_latency_ms"])}
    return rows


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--out", default=os.path.join(ROOT, "results/real"))
    a = ap.parse_args()
    if shutil.which("redis-server") is None or shutil.which("redis-benchmark") is None:
        subprocess.run(["bash", "-c", f"source {ROOT}/scripts/lib.sh && kvlab_install_deps"], check=True)
    runs = []
    load_before = os.getloadavg()[0]
    for mode in ("none", "fsync"):
        with tempfile.TemporaryDirectory(prefix="kvlab-vs-redis-") as work:
            os.makedirs(os.path.join(work, "redis"))
            redis_proc, redis_port = start_redis(mode, os.path.join(work, "redis"))
            kvlab_proc, kvlab_port = start_kvlab(a.kvlab, mode, work)
            try:
                for pipeline in (1, 16):
                    for rnd in range(a.rounds):
                        order = [("kvlab", kvlab_port, kvlab_proc.pid), ("redis", redis_port, redis_proc.pid)]
                        if rnd % 2 == 1:
                            order.reverse()
                        # SET then GET per server, so that both servers' GETs read the key the
                        # same benchmark wrote, and each pair of runs is close in time.
                        for test in ("set", "get"):
                            for server, port, pid in order:
                                r = bench_one(port, pid, a.requests, a.clients, pipeline, test)[test]
                                runs.append(dict(mode=mode, pipeline=pipeline, round=rnd, server=server, test=test, **r))
                                print(f"{mode:5} P={pipeline:<2} round {rnd} {server:5} {test}: {r['ops_s']:>10.0f} ops/s "
                                      f"p50 {r['p50_ms']:.3f} ms p99 {r['p99_ms']:.3f} ms cpu {r['cpu_us_per_op']:.2f} us/op",
                                      flush=True)
            finally:
                stop(kvlab_proc)
                stop(redis_proc)
    table = []
    for mode in ("none", "fsync"):
        for pipeline in (1, 16):
            for test in ("set", "get"):
                med = {}
                for server in ("kvlab", "redis"):
                    sel = [r for r in runs if (r["mode"], r["pipeline"], r["test"], r["server"]) == (mode, pipeline, test, server)]
                    med[server] = {k: statistics.median(r[k] for r in sel)
                                   for k in ("ops_s", "p50_ms", "p99_ms", "cpu_us_per_op")}
                # Rounds pair the two servers' runs, which ran back to back.
                paired = sorted(k["ops_s"] / r["ops_s"] for k, r in zip(
                    [x for x in runs if (x["mode"], x["pipeline"], x["test"], x["server"]) == (mode, pipeline, test, "kvlab")],
                    [x for x in runs if (x["mode"], x["pipeline"], x["test"], x["server"]) == (mode, pipeline, test, "redis")]))
                table.append(dict(mode=mode, pipeline=pipeline, test=test, kvlab=med["kvlab"], redis=med["redis"],
                                  ratio=med["kvlab"]["ops_s"] / med["redis"]["ops_s"],
                                  paired_ratios=paired, rounds_won=sum(1 for x in paired if x >= 1.0)))
    os.makedirs(a.out, exist_ok=True)
    load_after = os.getloadavg()[0]
    meta = dict(requests=a.requests, clients=a.clients, rounds=a.rounds, host=socket.gethostname(),
                load_avg_1m=[load_before, load_after],
                cpus=os.cpu_count(), redis=subprocess.run(["redis-server", "--version"], capture_output=True,
                                                          text=True).stdout.strip())
    with open(os.path.join(a.out, "vs-redis.json"), "w") as f:
        json.dump(dict(meta=meta, medians=table, runs=runs), f, indent=1)
    lines = ["# kvlab vs Redis (redis-benchmark, loopback, medians of %d rounds)" % a.rounds, "",
             f"`redis-benchmark -t set,get -n {a.requests} -c {a.clients} -P <P>`; {meta['redis']}; "
             f"{meta['cpus']} CPUs. kvlab `--durability none` vs Redis without persistence; kvlab "
             "`--durability fsync` vs Redis `appendonly yes appendfsync always`. "
             f"1-minute load average {load_before:.1f} before, {load_after:.1f} after (above ~1 on this "
             "machine, other jobs share the CPUs and single runs vary up to 2x). Ratio = median kvlab ops/s / "
             "median Redis ops/s; `won` = rounds in which kvlab's run beat the Redis run next to it; CPU = the "
             "server's own CPU time per request (all threads), the measure least moved by outside load.", "",
             "| durability | P | op | kvlab ops/s | Redis ops/s | ratio | won | kvlab CPU us/op | Redis CPU us/op | "
             "kvlab p50 ms | Redis p50 ms | kvlab p99 ms | Redis p99 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for t in table:
        k, r = t["kvlab"], t["redis"]
        lines.append(f"| {t['mode']} | {t['pipeline']} | {t['test'].upper()} | {k['ops_s']:.0f} | {r['ops_s']:.0f} | "
                     f"{t['ratio']:.2f} | {t['rounds_won']}/{len(t['paired_ratios'])} | {k['cpu_us_per_op']:.2f} | "
                     f"{r['cpu_us_per_op']:.2f} | {k['p50_ms']:.3f} | {r['p50_ms']:.3f} | {k['p99_ms']:.3f} | "
                     f"{r['p99_ms']:.3f} |")
    with open(os.path.join(a.out, "vs-redis.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
