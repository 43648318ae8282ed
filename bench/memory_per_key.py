#!/usr/bin/python3
"""Memory per key, kvlab vs Redis (issue 17): N keys of 16 bytes with 100-byte values.

Starts redis-server (no persistence) and `kvlab node` (single, durability none) on loopback,
loads the same N SETs into each through `redis-cli --pipe`, and reads INFO memory's used_memory
and the process's RSS (/proc/PID/status VmRSS) before and after. Writes
results/real/memory-per-key.{json,md}: bytes per key (after - before) / N for both and the ratio
kvlab / Redis (below 1.0: kvlab uses less). Deterministic enough to compare across days: no
timing is involved.

Usage: bench/memory_per_key.py [--kvlab build/release/kvlab] [--keys 1000000]
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

from vs_redis import free_port, wait_port  # this folder is on sys.path when a script here runs.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY_BYTES = 16
VALUE_BYTES = 100


def write_load(path, keys):
    value = b"v" * VALUE_BYTES
    with open(path, "wb") as f:
        for i in range(keys):
            key = b"key:%012d" % i
            assert len(key) == KEY_BYTES
            f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (KEY_BYTES, key, VALUE_BYTES, value))


def measure(port, pid):
    info = subprocess.run(["redis-cli", "-p", str(port), "info", "memory"], capture_output=True, text=True,
                          check=True).stdout
    used = next(int(line.split(":")[1]) for line in info.splitlines() if line.startswith("used_memory:"))
    with open(f"/proc/{pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return used, rss_kb * 1024


def run_server(name, args, port, load, keys):
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        used0, rss0 = measure(port, proc.pid)
        with open(load, "rb") as f:
            out = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f, capture_output=True, text=True,
                                 check=True).stdout
        if "errors: 0" not in out:
            raise RuntimeError(f"{name}: load failed: {out}")
        dbsize = int(subprocess.run(["redis-cli", "-p", str(port), "dbsize"], capture_output=True, text=True,
                                    check=True).stdout)
        if dbsize != keys:
            raise RuntimeError(f"{name}: {dbsize} keys, expected {keys}")
        used1, rss1 = measure(port, proc.pid)
        return {"used_memory_per_key": (used1 - used0) / keys, "rss_per_key": (rss1 - rss0) / keys,
                "used_memory": used1, "rss": rss1}
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--keys", type=int, default=1_000_000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kvlab-mem-")
    try:
        load = os.path.join(work, "load.resp")
        write_load(load, args.keys)
        port = free_port()
        redis = run_server("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", work,
                                     "--save", "", "--appendonly", "no"], port, load, args.keys)
        port = free_port()
        kvlab = run_server("kvlab", [args.kvlab, "node", "--id", "1", "--port", str(port), "--data-dir",
                                     os.path.join(work, "kv"), "--durability", "none"], port, load, args.keys)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "keys": args.keys,
              "key_bytes": KEY_BYTES, "value_bytes": VALUE_BYTES, "redis": redis, "kvlab": kvlab,
              "ratio_used_memory": kvlab["used_memory_per_key"] / redis["used_memory_per_key"],
              "ratio_rss": kvlab["rss_per_key"] / redis["rss_per_key"]}
    out = os.path.join(ROOT, "results/real")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "memory-per-key.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = (f"# Memory per key: kvlab vs Redis\n\n`bench/memory_per_key.py --keys {args.keys}` on {result['date'][:10]}: "
          f"{args.keys:,} SETs of {KEY_BYTES}-byte keys and {VALUE_BYTES}-byte values through `redis-cli --pipe`; "
          "kvlab single with durability none, Redis without persistence. Bytes per key = growth / keys.\n\n"
          "| server | used_memory per key | RSS per key |\n|---|---|---|\n"
          f"| redis-server | {redis['used_memory_per_key']:.0f} B | {redis['rss_per_key']:.0f} B |\n"
          f"| kvlab node | {kvlab['used_memory_per_key']:.0f} B | {kvlab['rss_per_key']:.0f} B |\n"
          f"| kvlab / Redis | {result['ratio_used_memory']:.2f} | {result['ratio_rss']:.2f} |\n")
    with open(os.path.join(out, "memory-per-key.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
