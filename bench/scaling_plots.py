"""bench/scaling.py's pictures: XY line charts drawn by gnuplot (pngcairo), one PNG per curve, each with
two or three panels. `kvlab plot` draws time series and CI bars, not XY curves, hence gnuplot here.
"""
import os
import subprocess
import tempfile

SIZE = "1200,520"  # pixels of one picture: two or three panels side by side.


def write_dat(work, name, rows):
    """A whitespace-separated data file for gnuplot; returns its path."""
    path = os.path.join(work, name + ".dat")
    with open(path, "w") as f:
        for row in rows:
            f.write(" ".join(str(v) for v in row) + "\n")
    return path


def plot_cmd(series, col, with_="linespoints"):
    """`plot` arguments: one line per (data file, title)."""
    return ", ".join(f"'{path}' using 1:{col} with {with_} lw 2 pt 7 title '{title}'" for path, title in series)


def panels(out, title, xlabel, logx, specs):
    """A multiplot script: specs = [(ylabel, logy, plot arguments)]."""
    lines = [f"set terminal pngcairo size {SIZE} font 'Sans,10' noenhanced", f"set output '{out}'",
             f"set multiplot layout 1,{len(specs)} title '{title}'", "set grid", "set key outside below font ',8'",
             f"set xlabel '{xlabel}'"] + (["set logscale x 2"] if logx else [])
    for ylabel, logy, args in specs:
        lines += [f"set ylabel '{ylabel}'", "set logscale y" if logy else "unset logscale y",
                  "set yrange [*:*]" if logy else "set yrange [0:*]", f"plot {args}"]
    return "\n".join(lines + ["unset multiplot"]) + "\n"


def run_gnuplot(work, name, script):
    path = os.path.join(work, name + ".gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], check=True)


def series_files(work, curve, x, series, medians, cols):
    """One data file per series present: x, then the median of each of `cols`."""
    out = []
    for i, (system, driver, label) in enumerate(series):
        pts = medians(curve["runs"], x, system, driver)
        if pts:
            out.append((write_dat(work, f"{x}-{i}", [[xv] + [pts[xv][c] for c in cols] for xv in sorted(pts)]), label))
    return out


def draw_clients(curve, work, plots, medians, series):
    files = series_files(work, curve, "clients", series, medians, ("ops_s", "p99_ms"))
    run_gnuplot(work, "clients", panels(os.path.join(plots, "scaling-clients.png"),
                                        "PUTs (100 B) vs clients, fsync, loopback, 2 CPUs", "clients", True,
                                        [("ops/s", False, plot_cmd(files, 2)), ("p99 ms", True, plot_cmd(files, 3))]))


def draw_values(curve, work, plots, medians, series):
    files = series_files(work, curve, "value_bytes", series, medians, ("ops_s", "p99_ms", "mb_s"))
    run_gnuplot(work, "values", panels(os.path.join(plots, "scaling-values.png"),
                                       f"PUTs vs value size, {curve['clients']} clients, fsync", "value bytes", True,
                                       [("ops/s", False, plot_cmd(files, 2)),
                                        ("MB/s of values", False, plot_cmd(files, 4)),
                                        ("p99 ms", True, plot_cmd(files, 3))]))


def draw_nodes(curve, work, plots, medians, _series):
    pts = medians(curve["runs"], "nodes", "raft")
    single = medians(curve["runs"], "nodes", "single")
    files = [(write_dat(work, "nodes", [[n, pts[n]["ops_s"], pts[n]["p99_ms"]] for n in sorted(pts)]), "kvlab raft")]
    if single:
        files.append((write_dat(work, "nodes-1", [[n, single[n]["ops_s"], single[n]["p99_ms"]] for n in single]),
                      "kvlab single"))
    run_gnuplot(work, "nodes", panels(os.path.join(plots, "scaling-nodes.png"),
                                      f"PUTs vs cluster size, {curve['clients']} clients, fsync", "nodes", False,
                                      [("ops/s", False, plot_cmd(files, 2)), ("p99 ms", False, plot_cmd(files, 3))]))


def draw_memory(curve, work, plots):
    files = []
    for system in ("kvlab", "redis"):
        rows = [[r["keys"], r["used_memory_per_key"], r["rss_per_key"], r["rss"] / 2**20]
                for r in curve["runs"] if r["system"] == system]
        files.append((write_dat(work, "mem-" + system, rows), system))
    # One colour per server in both panels; used_memory dashed, RSS solid.
    per_key = ", ".join(f"'{p}' using 1:{c} with linespoints lw 2 pt 7 lc {i + 1} dt {dt} title '{t} {what}'"
                        for i, (p, t) in enumerate(files) for c, what, dt in ((2, "used_memory", 2), (3, "RSS", 1)))
    rss = ", ".join(f"'{p}' using 1:4 with linespoints lw 2 pt 7 lc {i + 1} title '{t}'"
                    for i, (p, t) in enumerate(files))
    script = panels(os.path.join(plots, "scaling-memory.png"),
                    f"memory vs keys ({curve['key_bytes']} B keys, {curve['value_bytes']} B values)", "keys", True,
                    [("bytes per key", False, per_key), ("RSS MiB", True, rss)])
    run_gnuplot(work, "memory", script.replace("set logscale x 2", "set logscale x 10"))


def draw_sim(curve, work, plots):
    by_time = [(write_dat(work, "sim-" + p, [[r["virtual_s"], r["wall_s"]] for r in curve["by_time"]
                                             if r["policy"] == p]), p) for p in ("single", "raft")]
    by_nodes = [(write_dat(work, "sim-nodes", [[r["nodes"], r["wall_s"]] for r in curve["by_nodes"]]), "raft")]
    sweeps = [(write_dat(work, "sim-sweep", [[r["seeds"], r["wall_s"]] for r in curve["sweeps"]]),
               "sweep.toml, raft, random faults")]
    lines = [f"set terminal pngcairo size {SIZE} font 'Sans,10' noenhanced",
             f"set output '{os.path.join(plots, 'scaling-sim.png')}'",
             "set multiplot layout 1,3 title 'simulator wall time (whole kvlab sim runs, check included)'",
             "set grid", "set key outside below font ',8'", "set ylabel 'wall s'",
             "set logscale xy", "set xlabel 'simulated (virtual) s'", f"plot {plot_cmd(by_time, 2)}",
             "unset logscale xy", "set yrange [0:*]", f"set xlabel 'raft nodes ({curve['by_nodes'][0]['ops']:,} ops)'"
             if curve["by_nodes"] else "", f"plot {plot_cmd(by_nodes, 2)}",
             "set logscale xy", "set yrange [*:*]", "set xlabel 'seeds (2 shards at once)'",
             f"plot {plot_cmd(sweeps, 2)}",
             "unset multiplot"]
    run_gnuplot(work, "sim", "\n".join(lines) + "\n")


def draw(curves, plots, medians, series, values_series):
    with tempfile.TemporaryDirectory(prefix="kvlab-scaling-plots-") as work:
        for name, fn, s in (("clients", draw_clients, series), ("values", draw_values, values_series),
                            ("nodes", draw_nodes, series)):
            if name in curves:
                fn(curves[name], work, plots, medians, s)
        if "memory" in curves:
            draw_memory(curves["memory"], work, plots)
        if "sim" in curves:
            draw_sim(curves["sim"], work, plots)
