#!/usr/bin/env bash
# Simulator speed (recorded, not asserted): runs bench/sim_bench from a Release build and writes
# results/sim/speed.json (Google Benchmark JSON) plus a summary line for results/README.md.
# KVLAB_BUILD_DIR overrides the build directory (default build/release), so a second checkout user
# can benchmark without rebuilding someone else's tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib.sh"
build_dir=${KVLAB_BUILD_DIR:-build/release}
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"
kvlab_install_deps
kvlab_build "$build_dir" sim_bench -DCMAKE_BUILD_TYPE=Release -DKVLAB_BENCH=ON
mkdir -p "$root/results/sim"
"$build_dir/bench/sim_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$root/results/sim/speed.json" --benchmark_out_format=json
python3 - "$root/results/sim/speed.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for b in data["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    if "events_per_s" in b:
        print(f"{b['run_name']}: {b['events_per_s']/1e6:.2f} M events/wall-s, "
              f"{b['virtual_s_per_s']:.1f} virtual s/wall-s, {b['ops_per_s']/1e3:.0f} k client ops/wall-s")
    elif "items_per_second" in b:
        print(f"{b['run_name']}: {b['items_per_second']/1e6:.2f} M push+pop/s")
PY
