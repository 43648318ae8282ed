#!/usr/bin/python3
"""Failover time on real processes: how long after its leader is SIGKILLed a 3-node cluster takes
a write again, writing through a follower (issue 15).

Each run starts a fresh 3-node `kvlab node --policy raft --durability fsync` cluster on loopback,
writes SETs back to back through one follower (one connection, a new key each time), SIGKILLs the
leader, and records the time from the kill to the first acknowledged write that was SENT after the
kill (a write in flight at the kill is answered UNKNOWN or TRYAGAIN and retried at once on the same
follower, as a client library would). Which follower the writer uses alternates by run, so about
half the runs have the writer's own node win the election and half the other follower.

If Debian's etcd is installed, every run does the same against a 3-member etcd cluster (PUT through
a follower's gRPC gateway, 0.5 s per-request timeout, retried at once), so the two are measured
side by side on the same machine at the same time.

Writes results/real/failover.json (every run) and results/real/failover.md. Recorded, not asserted.

Usage: bench/failover_time.py [--kvlab build/release/kvlab] [--runs 20] [--no-etcd]
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raft_vs_etcd as common  # noqa: E402  (cluster start-up and RESP helpers)

ROOT = common.ROOT
# A run gives up waiting for the first write after the kill after this long (it is then recorded
# as a failure to fail over, not as a time).
GIVE_UP_S = 10.0
# Writes before the kill, so the cluster is warm and the writer's connection established.
WARM_WRITES = 200


def kvlab_role(port):
    """The node's raft role from INFO replication ('' if it does not answer)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(common.resp_cmd([b"INFO", b"replication"]))
            buf = b""
            while b"kvlab_role:" not in buf or b"\r\n" not in buf.split(b"kvlab_role:")[1]:
                chunk = s.recv(65536)
                if not chunk:
                    return ""
                buf += chunk
            return buf.split(b"kvlab_role:")[1].split(b"\r\n")[0].decode()
    except OSError:
        return ""


class Writer:
    """SETs back to back through one connection; reconnects on a closed connection."""

    def __init__(self, put_once):
        self.put_once = put_once
        self.seq = 0

    def first_ok_after(self, t_kill):
        """Writes until one SENT at or after t_kill is acknowledged; returns its completion time."""
        deadline = t_kill + GIVE_UP_S
        while time.monotonic() < deadline:
            self.seq += 1
            sent = time.monotonic()
            ok = self.put_once(b"failover%012d" % self.seq)
            if ok and sent >= t_kill:
                return time.monotonic()
        return None


def resp_putter(port):
    conn = [None]

    def put(key):
        try:
            if conn[0] is None:
                conn[0] = common.RespConn(port)
            return conn[0].put(key, b"v")
        except OSError:
            conn[0] = None
            return False
    return put


def etcd_putter(port):
    def put(key):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            body = json.dumps({"key": base64.b64encode(key).decode(), "value": "dg=="})
            c.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status == 200 and b"header" in r.read()
        except (OSError, http.client.HTTPException):
            return False
        finally:
            c.close()
    return put


def etcd_leader(ports):
    """Index of the etcd member that reports itself leader, or None."""
    for i, p in enumerate(ports):
        try:
            c = http.client.HTTPConnection("127.0.0.1", p, timeout=1)
            c.request("POST", "/v3/maintenance/status", "{}", {"Content-Type": "application/json"})
            st = json.loads(c.getresponse().read())
            c.close()
            if st.get("leader") == st.get("header", {}).get("member_id"):
                return i
        except (OSError, ValueError, http.client.HTTPException):
            continue
    return None


def one_run(system, binary, run):
    work = tempfile.mkdtemp(prefix=f"kvlab-failover-{system}-")
    procs = []
    try:
        if system == "kvlab":
            procs, ports = common.start_kvlab(binary, work)
            common.wait_until(lambda: any(kvlab_role(p) == "leader" for p in ports), "a kvlab leader")
            leader = next(i for i, p in enumerate(ports) if kvlab_role(p) == "leader")
        else:
            procs, ports = common.start_etcd(work)
            common.wait_until(lambda: etcd_leader(ports) is not None, "an etcd leader")
            leader = etcd_leader(ports)
        followers = [i for i in range(3) if i != leader]
        via = followers[run % 2]
        put = resp_putter(ports[via]) if system == "kvlab" else etcd_putter(ports[via])
        writer = Writer(put)
        for _ in range(WARM_WRITES):
            writer.seq += 1
            put(b"warm%012d" % writer.seq)
        t_kill = time.monotonic()
        procs[leader].send_signal(signal.SIGKILL)
        t_ok = writer.first_ok_after(t_kill)
        new_leader = None
        if system == "kvlab":
            roles = [kvlab_role(p) if i != leader else "" for i, p in enumerate(ports)]
            new_leader = roles.index("leader") if "leader" in roles else None
        return dict(system=system, run=run, leader=leader, via=via, new_leader=new_leader,
                    writer_node_won=(new_leader == via) if new_leader is not None else None,
                    failover_s=(t_ok - t_kill) if t_ok is not None else None)
    finally:
        common.stop_all([p for p in procs if p.poll() is None])
        shutil.rmtree(work, ignore_errors=True)


def summary(rows):
    times = [r["failover_s"] for r in rows if r["failover_s"] is not None]
    failed = len(rows) - len(times)
    if not times:
        return dict(runs=len(rows), failed=failed)
    q = statistics.quantiles(times, n=20, method="inclusive") if len(times) >= 2 else [times[0]] * 19
    return dict(runs=len(rows), failed=failed, min_s=min(times), median_s=statistics.median(times),
                p95_s=q[18], max_s=max(times), at_most_0_3_s=sum(t <= 0.3 for t in times))


def write_results(rows, out_dir, loadavg):
    systems = sorted({r["system"] for r in rows})
    sums = {s: summary([r for r in rows if r["system"] == s]) for s in systems}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "failover.json"), "w") as f:
        json.dump(dict(runs=rows, summary=sums, loadavg=loadavg), f, indent=1)
    lines = ["# Failover time: leader SIGKILLed, writes through a follower",
             "",
             "Produced by `bench/failover_time.py` (3 nodes on loopback, fsync on). Time from the kill to the",
             "first acknowledged write sent after it. Load average before/after: %s." % loadavg,
             "",
             "| system | runs | no failover | min | median | p95 | max | runs <= 0.3 s |",
             "|---|---|---|---|---|---|---|---|"]
    for s in systems:
        m = sums[s]
        if "min_s" not in m:
            lines.append(f"| {s} | {m['runs']} | {m['failed']} | - | - | - | - | 0 |")
            continue
        lines.append(f"| {s} | {m['runs']} | {m['failed']} | {m['min_s']:.3f} s | {m['median_s']:.3f} s | "
                     f"{m['p95_s']:.3f} s | {m['max_s']:.3f} s | {m['at_most_0_3_s']} of {m['runs']} |")
    kv = [r for r in rows if r["system"] == "kvlab" and r["failover_s"] is not None]
    for won in (True, False):
        t = [r["failover_s"] for r in kv if r["writer_node_won"] is won]
        if t:
            lines.append("")
            lines.append("kvlab runs where the writer's own node %s the election: %d, max %.3f s." %
                         ("won" if won else "did not win", len(t), max(t)))
    with open(os.path.join(out_dir, "failover.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-etcd", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "results/real"))
    a = ap.parse_args()
    if not os.access(a.kvlab, os.X_OK):
        sys.exit(f"failover_time.py: no kvlab binary at {a.kvlab} (build it, or pass --kvlab)")
    systems = ["kvlab"] + ([] if a.no_etcd or shutil.which("etcd") is None else ["etcd"])
    loadavg = [os.getloadavg()[0]]
    rows = []
    for run in range(a.runs):
        for system in systems:
            r = one_run(system, a.kvlab, run)
            rows.append(r)
            print(json.dumps(r), flush=True)
    loadavg.append(os.getloadavg()[0])
    write_results(rows, a.out, " / ".join("%.1f" % x for x in loadavg))


if __name__ == "__main__":
    main()
