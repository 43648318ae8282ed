#!/usr/bin/python3
"""View changes on real processes (issue 14's must-show): pb and chain under load, a member SIGKILLed
and restarted through the nemesis, the view service's epochs with their times.

For each policy, starts `kvlab cluster --nodes 3 --policy P --proxy` and runs `kvlab bench --cluster`
on a short failure scenario (open loop, node 1 -- the first primary or head -- SIGKILLed, then
restarted), and again with node 1's links held by the fault proxy from --hold-ms before the kill
(a replication lag that long when the primary dies). The bench polls the nodes' views (INFO's kvlab_view, through the cluster's status) and
reports each new epoch with the time it was first seen (within 100 ms), and judges the run by the
policy's promise: for pb async the acknowledged writes the read-back found lost are a figure, not a
failure.

Writes OUT.json (every run's report) and OUT.md. Recorded, not asserted.

Usage: bench/view_changes.py [--kvlab build/release/kvlab] [--policies chain,chain:reads=craq,pb:mode=sync,pb:mode=async]
       [--duration 12] [--kill-at 4] [--restart-at 8] [--rate 500] [--out results/real/view-changes]
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nemesis_compare import ROOT, fmt, run_policy  # noqa: E402

SCENARIO = """base = "failure"
name = "view_change"
duration = "{duration}ms"
rate = {rate}
keys = 500

{hold}[[faults]]
at = "{kill_at}ms"
kind = "crash"
node = 1

[[faults]]
at = "{restart_at}ms"
kind = "restart"
node = 1
"""


# The lagging variant: node 1's links held (its messages kept by the proxy, not delivered) from
# HOLD_MS before the kill until after it, so the replication lag at the kill is that long.
HOLD = """[[faults]]
at = "{at}ms"
kind = "hold"
node = 1
duration = "{duration}ms"

"""


def views_text(run):
    return "; ".join(f"{v['view']} @ {v['t_s']:.3f} s" for v in run.get("view_changes", [])) or "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvlab", default=os.path.join(ROOT, "build/release/kvlab"))
    ap.add_argument("--policies", default="chain,chain:reads=craq,pb:mode=sync,pb:mode=async")
    ap.add_argument("--duration", type=float, default=12)
    ap.add_argument("--kill-at", type=float, default=4)
    ap.add_argument("--restart-at", type=float, default=8)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--hold-ms", type=int, default=200,
                    help="the lagging variant: node 1's links held this long before the kill (0: no such variant)")
    ap.add_argument("--out", default=os.path.join(ROOT, "results/real/view-changes"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kvlab-views-")
    variants = [("kill", "")]
    if a.hold_ms > 0:
        variants.append(("lagging kill", HOLD.format(at=int(a.kill_at * 1000) - a.hold_ms,
                                                     duration=int((a.restart_at - a.kill_at) * 1000))))
    runs = []
    for name, hold in variants:
        scenario = os.path.join(tmp, name.replace(" ", "_") + ".toml")
        with open(scenario, "w") as f:
            f.write(SCENARIO.format(duration=int(a.duration * 1000), rate=a.rate, kill_at=int(a.kill_at * 1000),
                                    restart_at=int(a.restart_at * 1000), hold=hold))
        for policy in a.policies.split(","):
            run = run_policy(a.kvlab, policy, scenario, a.out, csv=False)
            run["variant"] = name
            print(name, policy, "exit", run["exit"], views_text(run), file=sys.stderr)
            runs.append(run)
    json.dump(runs, open(a.out + ".json", "w"), indent=1)
    lines = [f"# View changes on real processes (`bench/view_changes.py`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this machine (3 nodes on loopback, "
             f"fsync, peer traffic through the fault proxy with no link fault). Open loop {a.rate:.0f} ops/s "
             f"(50% GET / 50% SET) for {a.duration:g} s; node 1 (the first primary or head) SIGKILLed at "
             f"{a.kill_at:g} s and restarted at {a.restart_at:g} s through the nemesis. A view is "
             "EPOCH:members in order (primary or head first), '*' once the member is synced (a restarted member "
             "rejoins unsynced, and by design its mark shows only in the next view: the view service records "
             "the primary's ready report and recomputes the marks at the next change); its time is when "
             "the bench first saw it in a node's INFO (polled every 100 ms, so up to 100 ms late). new view: "
             "from the kill until a view of a higher epoch was seen. Lost acked writes: acknowledged writes the "
             "read-back found lost (pb async's promise allows them on failover: a figure, not a failure; for "
             "the others any lost write fails the check).", "",
             f"Variant 'lagging kill': node 1's peer links are also held by the fault proxy from {a.hold_ms} ms "
             "before the kill for as long as it stays down (its messages kept, not delivered), so the replication lag at "
             "the kill is that long: the writes pb async acknowledged in it are lost; sync and chain acknowledge "
             "nothing the backups or the tail lack.", "",
             "| variant | policy | exit | views seen (time since the measured start) | new view after kill s | "
             "unavailable s | back to 95% s | catch-up s | errors | lost acked writes | check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        m = r.get("metrics", {})
        check = r.get("check", {})
        lost = m.get("lost_acked_writes")
        cells = [r["variant"], r["policy"], str(r["exit"]), views_text(r), fmt(m, "view_change_s"), fmt(m, "unavailability_s"),
                 fmt(m, "recovery_95_s"), fmt(m, "catch_up_s"), str(r.get("errors", "-")),
                 "-" if lost is None else str(int(lost)),
                 f"{check.get('model', '')} {'ok' if check.get('ok') else 'FAILED'}" if check else "-"]
        lines.append("| " + " | ".join(cells) + " |")
        for p in r.get("problems", []):
            lines.append(f"|  |  | problem: {p} |||||||||")
    open(a.out + ".md", "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
