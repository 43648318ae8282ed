#!/usr/bin/env bash
# The checker on a large history (issue 17): a synthetic atomic-register history of OPS operations
# over KEYS keys (default 10 M over 100 k), written as JSON lines, then `kvlab check` on it, with
# wall time, CPU time and peak RSS from GNU time. Writes results/checker-large.{json,md}.
#   bench/check_large.sh [OPS] [KEYS]        (KVLAB_BUILD_DIR: default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KVLAB_BUILD_DIR:-$root/build/release}
ops=${1:-10000000}
keys=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/checker_bench" --write-history "$work/h.jsonl" --ops "$ops" --keys "$keys" >/dev/null
bytes=$(stat -c %s "$work/h.jsonl")
load_before=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$build/kvlab" check "$work/h.jsonl" --spill-dir "$work" >"$work/out"
load_after=$(cut -d' ' -f1 /proc/loadavg)
read -r wall user sys rss_kb <"$work/time"
verdict=$(sed -n 's/^verdict: //p' "$work/out")
buckets=$(sed -n 's/^checked in \([0-9]*\) key buckets/\1/p' "$work/out")
mkdir -p "$root/results"
cat >"$root/results/checker-large.json" <<JSON
{"date": "$(date -u +%FT%TZ)", "ops": $ops, "keys": $keys, "file_bytes": $bytes, "verdict": "$verdict",
 "buckets": ${buckets:-1}, "wall_s": $wall, "user_s": $user, "sys_s": $sys, "peak_rss_mb": $((rss_kb / 1024)),
 "cores": $(nproc), "load_before": $load_before, "load_after": $load_after}
JSON
cat >"$root/results/checker-large.md" <<MD
# kvlab check on a large history

\`bench/check_large.sh $ops $keys\` on $(date -u +%F): a synthetic atomic-register history, $ops ops over
$keys keys ($((bytes / 1048576)) MiB of JSON lines), checked for linearizability on $(nproc) cores
(load average $load_before before, $load_after after).

| ops | keys | verdict | buckets | wall | CPU (user + sys) | peak RSS |
|---|---|---|---|---|---|---|
| $ops | $keys | $verdict | ${buckets:-1} | ${wall} s | ${user} + ${sys} s | $((rss_kb / 1024)) MB |
MD
cat "$root/results/checker-large.md"
