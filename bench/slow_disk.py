#!/usr/bin/env python3
"""A 3-node raft cluster on a slowed disk: do heartbeats and GETs keep flowing during slow fsyncs?

Starts three `kvlab node` processes on 127.0.0.1..3 with --debug-sync-delay-ms (every fdatasync
takes that much longer), lets writer connections SET continuously on the leader (so a sync is
almost always in flight), and meanwhile one reader issues GETs of an existing key one at a time,
timing each. Reports GET latency percentiles, the longest GET, SETs done, and whether elections
happened (INFO replication term on every node before and after; a leader change).

Each configuration is a "run": a kvlab binary plus extra node flags. By default:
  before = BIN --debug-inline-sync   (fdatasync blocks the event loop: the old behaviour)
  after  = BIN                        (fdatasync on the data dir's sync thread)
--before OTHER_BIN measures another binary instead (it must accept --debug-sync-delay-ms).
Writes results/real/slow_disk.{json,md}.

  bench/slow_disk.py --kvlab build/release/kvlab [--before OLD_KVLAB] [--delay-ms 200] [--seconds 10]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODES = 3
MAX_REPLY_BYTES = 1 << 20  # a reply larger than this is a protocol error here.


class Resp:
    """A minimal blocking RESP2 client (no dependency on redis-py)."""

    def __init__(self, host, port, timeout_s=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
            if len(self.buf) > MAX_REPLY_BYTES:
                raise ConnectionError("reply too large")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise ConnectionError("bad reply %r" % line)

    def close(self):
        self.sock.close()


def info(host, port):
    """INFO replication as a dict, or {} when the node does not answer."""
    try:
        c = Resp(host, port, timeout_s=2.0)
        text = c.call("INFO", "replication")
        c.close()
    except (OSError, ConnectionError):
        return {}
    if not isinstance(text, str):
        return {}
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


class Cluster:
    def __init__(self, binary, flags, delay_ms, election_ms, base_port, workdir):
        self.addrs = [("127.0.0.%d" % i, base_port + i - 1) for i in range(1, NODES + 1)]
        peers = ",".join("%d=%s:%d" % (i + 1, h, p + 1000) for i, (h, p) in enumerate(self.addrs))
        self.procs = []
        for i, (host, port) in enumerate(self.addrs, start=1):
            cmd = [binary, "node", "--id", str(i), "--port", str(port), "--bind", host,
                   "--data-dir", os.path.join(workdir, "node-%d" % i), "--cluster", peers,
                   "--debug-sync-delay-ms", str(delay_ms),
                   "--param", "raft.election_timeout_ms=" + election_ms] + flags
            log = open(os.path.join(workdir, "node-%d.log" % i), "w")
            self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))

    def leader(self, deadline_s=30.0):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            for i, (h, p) in enumerate(self.addrs):
                if info(h, p).get("kvlab_role") == "leader":
                    return i
            time.sleep(0.1)  # polling for a leader to appear, bounded by the deadline.
        raise SystemExit("no leader within %.0f s" % deadline_s)

    def terms(self):
        return [int(info(h, p).get("kvlab_term", "0") or 0) for h, p in self.addrs]

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def percentile(sorted_us, q):
    if not sorted_us:
        return None
    return sorted_us[min(len(sorted_us) - 1, int(q * len(sorted_us)))]


def writer(addr, stop, counts, idx):
    c = Resp(*addr, timeout_s=30.0)
    n = 0
    while not stop.is_set():
        r = c.call("SET", "w%d:%d" % (idx, n % 1000), "x" * 100)
        counts[idx] += 0 if isinstance(r, Exception) else 1
        n += 1
    c.close()


def measure(binary, flags, args, workdir):
    cluster = Cluster(binary, flags, args.delay_ms, args.election_ms, args.base_port, workdir)
    try:
        lead = cluster.leader()
        addr = cluster.addrs[lead]
        setup = Resp(*addr, timeout_s=30.0)
        assert setup.call("SET", "existing", "v") == "OK"
        setup.close()
        terms_before = cluster.terms()
        stop = threading.Event()
        counts = [0] * args.writers
        threads = [threading.Thread(target=writer, args=(addr, stop, counts, i)) for i in range(args.writers)]
        for t in threads:
            t.start()
        reader = Resp(*addr, timeout_s=30.0)
        lat_us, errors = [], 0
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            t0 = time.monotonic()
            r = reader.call("GET", "existing")
            lat_us.append(int((time.monotonic() - t0) * 1e6))
            errors += 0 if r == "v" else 1
        stop.set()
        for t in threads:
            t.join()
        reader.close()
        terms_after = cluster.terms()
        leader_after = cluster.leader()
    finally:
        cluster.stop()
    lat_us.sort()
    return {
        "binary": binary, "flags": flags, "gets": len(lat_us), "get_errors": errors,
        "get_latency_us": {"p50": percentile(lat_us, 0.5), "p90": percentile(lat_us, 0.9),
                           "p99": percentile(lat_us, 0.99), "p999": percentile(lat_us, 0.999),
                           "max": lat_us[-1] if lat_us else None,
                           "mean": int(sum(lat_us) / len(lat_us)) if lat_us else None},
        "gets_over_delay": sum(1 for x in lat_us if x >= args.delay_ms * 1000),
        "sets": sum(counts),
        "terms_before": terms_before, "terms_after": terms_after,
        "elections": max(terms_after) - max(terms_before),
        "leader_changed": leader_after != lead,
    }


def markdown(result):
    rows = ["| run | GETs | GET p50 µs | p99 µs | p99.9 µs | max µs | GETs ≥ delay | SETs | elections |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name in ("before", "after"):
        r = result.get(name)
        if not r:
            continue
        l = r["get_latency_us"]
        rows.append("| %s (%s%s) | %d | %s | %s | %s | %s | %d | %d | %d%s |" % (
            name, os.path.basename(r["binary"]), (" " + " ".join(r["flags"])) if r["flags"] else "",
            r["gets"], l["p50"], l["p99"], l["p999"], l["max"], r["gets_over_delay"], r["sets"],
            r["elections"], " (leader changed)" if r["leader_changed"] else ""))
    return "\n".join([
        "# GETs and heartbeats on a slowed disk (3-node raft)",
        "",
    ] + ([result["note"], ""] if result.get("note") else []) + [
        "Every fdatasync takes %d ms longer (`--debug-sync-delay-ms %d`); %d writer connections SET on the "
        "leader for %d s while one reader GETs an existing key one at a time on the leader. "
        "raft.election_timeout_ms=%s (with 200 ms syncs the default 150..300 never elects: a vote "
        "is synced before it is answered). Elections: highest term after minus before. "
        "Command: `%s`." % (result["delay_ms"], result["delay_ms"], result["writers"], result["seconds"],
                            result["election_timeout_ms"], result["command"]),
        "",
    ] + rows + [""])


def without_note(argv):
    out, skip = [], False
    for a in argv:
        if skip or a.startswith("--note="):
            skip = False
            continue
        skip = a == "--note"
        if not skip:
            out.append(a)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"), help="the 'after' binary")
    ap.add_argument("--before", help="the 'before' binary (default: --kvlab with --debug-inline-sync)")
    ap.add_argument("--only", choices=["before", "after"], help="measure one run only")
    ap.add_argument("--delay-ms", type=int, default=200)
    # A vote is durable before it is answered: with 200 ms syncs an election takes >= 400 ms (the
    # candidate's sync, then the voter's), so raft's default 150..300 ms timeouts never elect anyone
    # in either world. The measured question is whether an elected leader keeps its followers.
    ap.add_argument("--election-ms", default="1000..2000", help="raft.election_timeout_ms for every node")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--base-port", type=int, default=16380)
    ap.add_argument("--out", default=os.path.join(ROOT, "results/real"))
    ap.add_argument("--note", default="", help="a line written under the title (which build, which commit)")
    args = ap.parse_args()
    runs = {"before": (args.before or args.kvlab, [] if args.before else ["--debug-inline-sync"]),
            "after": (args.kvlab, [])}
    result = {"delay_ms": args.delay_ms, "seconds": args.seconds, "writers": args.writers,
              "election_timeout_ms": args.election_ms, "note": args.note,
              "command": " ".join(["bench/slow_disk.py"] + without_note(sys.argv[1:]))}
    for name, (binary, flags) in runs.items():
        if args.only and name != args.only:
            continue
        workdir = tempfile.mkdtemp(prefix="kvlab-slow-disk-")
        try:
            result[name] = measure(os.path.abspath(binary), flags, args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(name, json.dumps(result[name]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "slow_disk.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(args.out, "slow_disk.md"), "w") as f:
        f.write(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
