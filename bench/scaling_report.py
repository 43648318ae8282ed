"""bench/scaling.py's report: OUT/scaling.md (tables, where each curve bends and what saturates) and the
gnuplot pictures PLOTS/scaling-*.png. Reads only the JSON document scaling.py writes, so it can be rerun
on a recorded document: `python3 -c 'import scaling_report, json; ...'` from bench/.
"""
import os
import statistics

import scaling_plots  # the gnuplot pictures, apart: this file is about the text.

FLAT_GAIN = 1.25  # a step of the x axis (x4 clients, x16 value size) gaining less than 25% is "flat".
STEEP_FALL = 0.5  # vs value size, a step keeping under half the ops/s is where the bytes take over.
STALL_S = 1.0  # a driver process outliving its measured span by more than this stalled (start-up and check: less).
CPU_BUSY = 0.8  # a share of the cores (or of one core, for a thread) at which we call it saturated.
SERIES = (("single", "kvlab bench", "kvlab single, fsync (kvlab bench)"),
          ("raft", "kvlab bench", "kvlab raft 3, fsync (kvlab bench)"),
          ("redis", "kvlab bench", "redis appendfsync always (kvlab bench)"),
          ("raft", "python", "kvlab raft 3 (python driver)"),
          ("etcd", "python", "etcd 3 members (python driver)"))


# ---------------------------------------------------------------- summaries

def medians(runs, x, system, driver=None):
    """{x: median run} of one series: the median ops/s, p50, p99 and cores over its rounds."""
    out = {}
    for xv in sorted({r[x] for r in runs}):
        sel = [r for r in runs if r[x] == xv and r["system"] == system and (driver is None or r["driver"] == driver)]
        if not sel:
            continue
        keys = ("ops_s", "p50_ms", "p99_ms", "driver_cpu_cores", "machine_busy_cores")
        m = {k: statistics.median(r.get(k, float("nan")) for r in sel) for k in keys}
        m["errors"] = sum(r["errors"] for r in sel)
        wpf = [r["writes_per_fsync"] for r in sel if r.get("writes_per_fsync")]
        m["writes_per_fsync"] = statistics.median(wpf) if wpf else None
        m["elections"] = sum(r.get("elections", 0) for r in sel)
        m["cpu"] = {n: {k: statistics.median(r["cpu"][n][k] for r in sel) for k in ("cores", "busiest_thread_cores")}
                    for n in sel[0]["cpu"]}
        m["mb_s"] = statistics.median(r.get("mb_s", 0) for r in sel)
        m["load1"] = (min(r["load1_before"] for r in sel), max(r["load1_after"] for r in sel))
        m["rounds"] = len(sel)
        out[xv] = m
    return out


def bend(points, falling=False):
    """(x before the bend, x after it) or None. Rising curves (vs clients): the first step whose ops/s gain is
    under FLAT_GAIN with none gaining more after it (a flat step followed by a rise is not the bend). Falling
    ones (vs value size): the first step that loses more than half the ops/s."""
    xs = sorted(points)
    steps = list(zip(xs, xs[1:]))
    for i, (a, b) in enumerate(steps):
        lo, hi = points[a]["ops_s"], points[b]["ops_s"]
        if falling and hi < STEEP_FALL * lo:
            return a, b
        if not falling and all(points[d]["ops_s"] < FLAT_GAIN * points[c]["ops_s"] for c, d in steps[i:]):
            return a, b
    return None


def saturation(m, cpus, fsync):
    """What limits one median point: the machine's CPUs, one thread, the client, or latency (fsync, round trips)."""
    servers = sum(c["cores"] for c in m["cpu"].values())
    total = servers + m["driver_cpu_cores"]
    name, top = max(m["cpu"].items(), key=lambda kv: kv[1]["cores"])
    thread_name, thread = max(m["cpu"].items(), key=lambda kv: kv[1]["busiest_thread_cores"])
    parts = (f"server {servers:.2f} cores ({name}'s busiest thread {top['busiest_thread_cores']:.2f}), "
             f"driver {m['driver_cpu_cores']:.2f}")
    if total >= CPU_BUSY * cpus:
        return f"the CPUs: {total:.2f} of {cpus} cores busy with this run ({parts})"
    if m["machine_busy_cores"] >= CPU_BUSY * cpus:
        return (f"the CPUs: the machine was {m['machine_busy_cores']:.2f} of {cpus} cores busy, the run's own "
                f"processes {total:.2f} of them ({parts}); the rest is work not charged to them (the kernel's "
                "journal commits behind each fdatasync and loopback softirqs, the idle systems' timers) and other "
                f"users' jobs (load average {m['load1'][0]:.1f}-{m['load1'][1]:.1f})")
    if thread["busiest_thread_cores"] >= CPU_BUSY:
        return (f"one thread: {thread_name}'s busiest thread is on CPU {thread['busiest_thread_cores']:.0%} of the "
                f"time ({parts})")
    if m["driver_cpu_cores"] >= CPU_BUSY:
        return f"the client ({parts})"
    batch = f", {m['writes_per_fsync']:.1f} writes per leader fdatasync" if m["writes_per_fsync"] else ""
    return (f"no CPU ({total:.2f} of {cpus} cores: {parts}): waiting, on fdatasync (p50 {fsync['p50_ms']:.2f} ms "
            f"today{batch}) and round trips; p50 {m['p50_ms']:.2f} ms")


def bend_text(label, points, cpus, fsync, unit, falling=False):
    b = bend(points, falling)
    xs = sorted(points)
    peak = max(xs, key=lambda x: points[x]["ops_s"])
    if b is None:
        head = (f"no step loses half its ops/s up to {xs[-1]} {unit}" if falling else
                f"still rising at {xs[-1]} {unit} (peak {points[peak]['ops_s']:.0f} ops/s)")
        at = xs[-1]
    else:
        lo, hi = points[b[0]]["ops_s"], points[b[1]]["ops_s"]
        verb = "falls" if hi * FLAT_GAIN < lo else "flat"
        verb = "falls steeply" if falling else verb
        head = (f"{verb} from {b[0]} to {b[1]} {unit} ({lo:.0f} -> {hi:.0f} ops/s; "
                f"peak {points[peak]['ops_s']:.0f} at {peak})")
        at = b[1]
    return f"- **{label}**: {head}. At {at} {unit} the bound is {saturation(points[at], cpus, fsync)}."


# ---------------------------------------------------------------- markdown

def fmt(v):
    return "-" if v is None else f"{v:.1f}"


def cpu_per_op_us(m):
    """The servers' CPU per acknowledged request (all their processes and threads), in us."""
    return sum(c["cores"] for c in m["cpu"].values()) / m["ops_s"] * 1e6


def cores_cell(m):
    return ", ".join(f"{n} {c['cores']:.2f} ({c['busiest_thread_cores']:.2f})" for n, c in m["cpu"].items())


def meta_line(curve):
    m = curve["meta"]
    lb, la = m["load_avg_before"], m["load_avg_after"]
    return (f"`{m['command']}` on {m['date']} ({m['host']}, {m['cpus']} CPUs, {m['wall_s']:.0f} s"
            f"{', QUICK sizes' if m['quick'] else ''}); load average (1/5/15 min) "
            f"{lb[0]:.2f}/{lb[1]:.2f}/{lb[2]:.2f} before, {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f} after.")


def series_table(curve, x, xname, series, extra=None):
    rows = [f"| {xname} | system | ops/s | p50 ms | p99 ms | errors | server cores (busiest thread) | driver cores | "
            "server CPU us/op | machine busy cores | writes per fsync | elections | load 1 min |"
            + (" MB/s |" if extra else ""),
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if extra else "")]
    for system, driver, label in series:
        for xv, m in medians(curve["runs"], x, system, driver).items():
            rows.append(f"| {xv} | {label} | {m['ops_s']:.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {m['errors']} | "
                        f"{cores_cell(m)} | {m['driver_cpu_cores']:.2f} | {cpu_per_op_us(m):.0f} | "
                        f"{m['machine_busy_cores']:.2f} | {fmt(m['writes_per_fsync'])} | "
                        f"{m['elections'] if m['writes_per_fsync'] else '-'} | {m['load1'][0]:.1f}-{m['load1'][1]:.1f} |"
                        + (f" {m['mb_s']:.1f} |" if extra else ""))
    return rows


def stalls(curve, x, unit):
    """Runs that failed requests, saw an election, or whose driver took much longer than its measured span."""
    bad = [r for r in curve["runs"] if r["errors"] or r.get("elections")
           or r["wall_s"] - r.get("duration_s", r["wall_s"]) > STALL_S]
    if not bad:
        return ["", "Every run: 0 errors, 0 elections, no stall."]
    return ["", f"Runs with failed requests, elections or a stall (the driver's process outliving its measured span "
                f"by over {STALL_S:.0f} s), each round apart: "
            + "; ".join(f"{r['system']} ({r['driver']}) at {r[x]} {unit}, round {r['round']}: {r['errors']} errors, "
                        f"{r.get('elections', '-')} elections, {r['wall_s']:.1f} s for a "
                        f"{r.get('duration_s', r['wall_s']):.1f} s span" for r in bad) + "."]


def bends(curve, x, unit, series, cpus, fsync, falling=False):
    return [bend_text(label, medians(curve["runs"], x, system, driver), cpus, fsync, unit, falling)
            for system, driver, label in series if medians(curve["runs"], x, system, driver)]


def md_clients(curve, cpus, fsync):
    return (["## Throughput and p99 vs clients", "", meta_line(curve), "",
             "PUTs of 100-byte values: `kvlab bench --scenario throughput` (1000 keys, overwrites, history checked) "
             "for kvlab and Redis; bench/raft_vs_etcd.py's Python driver (fresh 16-byte keys, clients spread over up to "
             "4 processes and the 3 members) for kvlab raft and etcd. Medians over the rounds; cores = CPU seconds "
             "per wall second per system (summed over its processes), its busiest thread in brackets.", "",
             "![throughput and p99 vs clients](../plots/scaling-clients.png)", ""]
            + series_table(curve, "clients", "clients", SERIES) + stalls(curve, "clients", "clients") + ["", "Where each curve bends:", ""]
            + bends(curve, "clients", "clients", SERIES, cpus, fsync) + [""] + NOTES["clients"])


VALUES_SERIES = SERIES[:3] + (("raft-first-round", "kvlab bench", "kvlab raft 3, first round only"),)


def with_first_round(curve):
    """The values curve with raft's first-round runs also as their own series: rounds run the sizes in turn, so
    round 0 is the only one whose small values come before any 64 KiB write (see the notes)."""
    extra = [dict(r, system="raft-first-round") for r in curve["runs"] if r["system"] == "raft" and r["round"] == 0]
    return dict(curve, runs=curve["runs"] + extra)


def md_values(curve, cpus, fsync):
    curve, series = with_first_round(curve), VALUES_SERIES
    return (["## Throughput and p99 vs value size", "", meta_line(curve), "",
             f"`kvlab bench` with the throughput scenario's values resized, {curve['clients']} clients.", "",
             "![vs value size](../plots/scaling-values.png)", ""]
            + series_table(curve, "value_bytes", "value B", series, extra=True) + stalls(curve, "value_bytes", "B")
            + ["", "Where each curve bends:", ""]
            + bends(curve, "value_bytes", "B", series, cpus, fsync, falling=True) + [""] + NOTES["values"])


def md_nodes(curve, cpus, fsync):
    series = (("single", None, "kvlab single"), ("raft", None, "kvlab raft"))
    return (["## Throughput and p99 vs cluster size", "", meta_line(curve), "",
             f"`kvlab cluster --nodes N` (raft, fsync; N = 1 is `kvlab node`, single), `kvlab bench --scenario "
             f"throughput` at {curve['clients']} clients spread over every node (followers forward to the leader); "
             "a fresh cluster per point.", "", "![vs cluster size](../plots/scaling-nodes.png)", ""]
            + series_table(curve, "nodes", "nodes", series) + stalls(curve, "nodes", "nodes") + [""] + nodes_bend(curve, cpus, fsync) + [""]
            + NOTES["nodes"])


def nodes_bend(curve, cpus, fsync):
    raft = medians(curve["runs"], "nodes", "raft")
    if len(raft) < 2:
        return []
    xs = sorted(raft)
    lo, hi = raft[xs[0]], raft[xs[-1]]
    return [f"From {xs[0]} to {xs[-1]} nodes raft's ops/s go {lo['ops_s']:.0f} -> {hi['ops_s']:.0f} "
            f"({hi['ops_s'] / lo['ops_s']:.2f}x). At {xs[0]} nodes the bound is {saturation(lo, cpus, fsync)}; at "
            f"{xs[-1]}: {saturation(hi, cpus, fsync)}."]


def md_memory(curve):
    rows = ["| keys | server | used_memory B/key | RSS B/key | RSS MiB | load s | load 1 min |",
            "|---|---|---|---|---|---|---|"]
    for r in curve["runs"]:
        rows.append(f"| {r['keys']:,} | {r['system']} | {r['used_memory_per_key']:.0f} | {r['rss_per_key']:.0f} | "
                    f"{r['rss'] / 2**20:.0f} | {r['load_s']:.1f} | {r['load1_before']:.1f}-{r['load1_after']:.1f} |")
    return (["## Memory vs number of keys", "", meta_line(curve), "",
             f"bench/memory_per_key.py's method: SETs of {curve['key_bytes']}-byte keys and {curve['value_bytes']}-byte "
             "values through `redis-cli --pipe` into a fresh server (kvlab single, durability none; Redis without "
             f"persistence); bytes per key = growth / keys. Up to {curve['max_keys']:,} keys (`--max-keys`; 10 M needs "
             "a 1.6 GB load file and half a minute per server).", "", "![memory vs keys](../plots/scaling-memory.png)", ""]
            + rows + [""] + memory_bend(curve) + [""] + NOTES["memory"])


def memory_bend(curve):
    """kvlab's bytes per key beside Redis's at each count: where the ratio turns."""
    by = {(r["system"], r["keys"]): r for r in curve["runs"]}
    counts = sorted({r["keys"] for r in curve["runs"]})
    ratios = [f"{k:,}: {by['kvlab', k]['used_memory_per_key'] / by['redis', k]['used_memory_per_key']:.2f} "
              f"({by['kvlab', k]['rss_per_key'] / by['redis', k]['rss_per_key']:.2f} RSS)"
              for k in counts if ("kvlab", k) in by and ("redis", k) in by]
    top = counts[-1]
    return [f"kvlab / Redis bytes per key (used_memory, RSS in brackets) by key count: {'; '.join(ratios)}. "
            f"At {top:,} keys kvlab holds {by['kvlab', top]['rss'] / 2**20:.0f} MiB RSS, Redis "
            f"{by['redis', top]['rss'] / 2**20:.0f} MiB; loading them took {by['kvlab', top]['load_s']:.1f} s and "
            f"{by['redis', top]['load_s']:.1f} s (one `redis-cli --pipe` each, the server's one event loop busy)."]


def md_sim(curve):
    t = ["| policy | nodes | ops | virtual s | wall s | virtual s per wall s | client ops per wall s | M events per wall s "
         "| verdict |", "|---|---|---|---|---|---|---|---|---|"]
    for r in curve["by_time"] + curve["by_nodes"]:
        t.append(f"| {r['policy']} | {r['nodes']} | {r['ops']:,} | {r['virtual_s']:.2f} | {r['wall_s']:.2f} | "
                 f"{r['virtual_s'] / r['wall_s']:.1f} | {r['ops'] / r['wall_s']:,.0f} | "
                 f"{r['events'] / r['sim_wall_s'] / 1e6:.2f} | {r['verdict']} |")
    s = ["| seeds | shards at once | wall s | CPU s | seeds per wall s | passed | load 1 min |",
         "|---|---|---|---|---|---|---|"]
    for r in curve["sweeps"]:
        s.append(f"| {r['seeds']:,} | {r['shards']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                 f"{r['seeds'] / r['wall_s']:.0f} | {r['passed']} | {r['load1_before']:.1f}-{r['load1_after']:.1f} |")
    if curve["sweeps"] and curve["sweeps"][-1]["seeds"] < 10_000:
        last = curve["sweeps"][-1]
        s += ["", f"10,000 seeds were not run (over the {curve['sweep_budget_s']:.0f} s budget or quick sizes); "
                  f"scaled from {last['seeds']:,} seeds they would take about {last['wall_s'] * 10_000 / last['seeds']:.0f} s."]
    return (["## Simulator wall time vs simulated time, cluster size and seeds", "", meta_line(curve), "",
             f"Whole `kvlab sim` runs (seed 1, mixed with {curve['clients']} closed-loop clients, history and "
             "linearizability check included; wall time measured around the process), then `kvlab sim --scenario "
             "scenarios/sweep.toml --policy raft --faults random --seeds 1..N --shard I/2`, both shards at once.", "",
             "![simulator](../plots/scaling-sim.png)", ""] + t + [""] + s + [""] + sim_bend(curve) + [""]
            + NOTES["sim"])


def sim_bend(curve):
    """Whether wall time stays linear in simulated time, how it grows with nodes, how well the sweep uses 2 cores."""
    out = []
    for policy in ("single", "raft"):
        runs = sorted((r for r in curve["by_time"] if r["policy"] == policy), key=lambda r: r["virtual_s"])
        if len(runs) >= 2:
            per = [r["wall_s"] / r["virtual_s"] for r in runs]
            out.append(f"- {policy}: wall s per simulated s {' -> '.join(f'{x:.2f}' for x in per)} from "
                       f"{runs[0]['virtual_s']:.1f} to {runs[-1]['virtual_s']:.1f} simulated s (flat = linear; a fall "
                       "is the fixed start-up cost spread thinner, a rise a cost that grows faster than the run).")
    n = curve["by_nodes"]
    if len(n) >= 2:
        wall, events = n[-1]["wall_s"] / n[0]["wall_s"], n[-1]["events"] / n[0]["events"]
        verdict = ("wall time follows the events" if abs(wall / events - 1) < 0.2 else
                   "wall time grows faster than the events (each event costs more)" if wall > events else
                   "wall time grows slower than the events (fixed costs weigh less)")
        out.append(f"- raft nodes {n[0]['nodes']} -> {n[-1]['nodes']}: wall {n[0]['wall_s']:.2f} -> "
                   f"{n[-1]['wall_s']:.2f} s ({wall:.2f}x), events {n[0]['events']:,} -> {n[-1]['events']:,} "
                   f"({events:.2f}x): {verdict}.")
    for r in curve["sweeps"]:
        out.append(f"- sweep of {r['seeds']:,} seeds: {r['cpu_s'] / r['wall_s']:.2f} cores busy on average over its "
                   f"{r['wall_s']:.1f} s ({r['shards']} shards; 2.0 = both cores all the time).")
    return out



def run_notes(doc, name):
    """Notes written by hand about one recorded run of a curve (doc["notes"][name]: its date and text); shown
    only while the curve still holds that run."""
    note = doc.get("notes", {}).get(name)
    if not note or note["date"] != doc["curves"][name]["meta"]["date"]:
        return []
    return ["", f"Notes on this run (by hand, after reading it): {note['text']}"]


def write(doc, out, plots):
    curves, cpus, fsync = doc["curves"], os.cpu_count(), doc["fsync"]
    lines = ["# Scaling curves (issue 17)", "",
             "How cost grows as the work grows, on this project's shared 2-CPU machine; written by `bench/scaling.py` "
             "(each section names its command; sections may come from different runs). Recorded, not asserted. "
             f"fdatasync on this disk at report time (`kvlab calibrate --budget 1`): p50 {fsync['p50_ms']:.2f} ms, "
             f"p99 {fsync['p99_ms']:.2f} ms ({fsync['samples']} samples).", ""]
    makers = dict(clients=lambda c: md_clients(c, cpus, fsync), values=lambda c: md_values(c, cpus, fsync),
                  nodes=lambda c: md_nodes(c, cpus, fsync), memory=md_memory, sim=md_sim)
    for name in ("clients", "values", "nodes", "memory", "sim"):
        if name in curves:
            lines += makers[name](curves[name]) + run_notes(doc, name) + [""]
    with open(os.path.join(out, "scaling.md"), "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    os.makedirs(plots, exist_ok=True)
    scaling_plots.draw(dict(curves, values=with_first_round(curves["values"])) if "values" in curves else curves,
                       plots, medians, SERIES, VALUES_SERIES)
    print(f"wrote {os.path.join(out, 'scaling.md')} and {plots}/scaling-*.png")


# Mechanisms behind the bends, stated once; the measured figures above say which one holds in a run.
NOTES = dict(
    clients=["How to read it: with one client every system is latency-bound (one request in flight waits for its "
             "fdatasync, and for raft a round trip to a follower and its fdatasync too), so ops/s = 1 / latency. More "
             "clients share one fdatasync (group commit in kvlab's WAL, Redis's appendfsync always writes the AOF "
             "once per event-loop iteration), so throughput rises until a CPU saturates: on 2 cores the client, the "
             "server's event loop and the sync thread compete for them, and past that point more clients only queue "
             "(p99 grows with the clients, ops/s do not)."],
    values=["How to read it: each request costs a fixed part (syscalls, parsing, an event-loop turn, a log record's "
            "header, a share of an fdatasync) and a part per byte (copying the value into the log and writing it, for "
            "raft sending it to each follower, the page-cache pages each fdatasync flushes). While the fixed part "
            "dominates, ops/s hold and MB/s grow with the size; once the bytes dominate, ops/s fall and MB/s level off "
            "at what the slowest per-byte stage sustains."],
    nodes=["How to read it: every raft write goes to every follower and is synced by a majority, so the leader's "
           "CPU per write grows with the followers (one peer frame out and one ack in per follower), and all the "
           "nodes share the same 2 cores and one disk: throughput falls with the cluster size."],
    memory=["How to read it: both servers grow linearly; the steps come from hash-table doubling (kvlab's slots, "
            "Redis's dict buckets), visible as bytes per key that rise right after a doubling and fall as the table "
            "fills. At small counts the per-key figure is noisy: the growth is small beside allocator arenas."],
    sim=["How to read it: a simulated run's wall time is linear in its events (ops x messages per op), so linear in "
         "simulated time for a fixed load; a larger raft cluster sends more peer messages per write (2 (n-1)), so "
         "wall time grows with n. The seed sweep is embarrassingly parallel: its shards run on both cores at once."],
)
