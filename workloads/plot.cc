#include "workloads/plot.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "workloads/confidence.h"

namespace kvlab::workloads {
namespace {

using nlohmann::json;

// A fault kind that starts a window of trouble, and the kinds that end one.
bool StartsWindow(const std::string& kind) {
  for (const char* k : {"crash", "torn_crash", "pause", "isolate", "partition", "block_link", "hold", "lossy",
                        "io_error", "crash_leader", "clock_jump", "disk_fail"}) {
    if (kind == k) return true;
  }
  return false;
}
bool EndsWindow(const std::string& kind) {
  for (const char* k : {"restart", "resume", "heal", "release", "calm", "restart_all", "quiesce", "disk_heal"}) {
    if (kind == k) return true;
  }
  return false;
}

struct Fault {
  double t_s;
  std::string kind;
  int node;
};

std::vector<Fault> FaultsOf(const json& run) {
  std::vector<Fault> faults;
  if (auto f = run.find("faults"); f != run.end() && f->is_array()) {
    for (const json& e : *f) {
      faults.push_back({e.value("t_s", 0.0), e.value("kind", std::string("?")), e.value("node", 0)});
    }
  }
  return faults;
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '_' ? ' ' : c;  // gnuplot's enhanced text would subscript after '_'.
  }
  return out;
}

// Shaded windows (a fault to the next event that undoes it on that node, or on any node for
// heal/calm/quiesce) and a marked, labelled line per event.
std::string FaultDecorations(const std::vector<Fault>& faults, double end_s) {
  std::string gp;
  int object = 1;
  for (size_t i = 0; i < faults.size(); ++i) {
    const Fault& f = faults[i];
    absl::StrAppendFormat(
        &gp,
        "set arrow from %.4f, graph 0 to %.4f, graph 1 nohead dt 2 lc rgb '#b03030'\n"
        "set label \"%s%s\" at %.4f, graph %.2f rotate by 90 right front font ',8' tc rgb '#b03030'\n",
        f.t_s, f.t_s, Escape(f.kind), f.node > 0 ? absl::StrCat(" n", f.node) : std::string(), f.t_s, 0.98);
    if (!StartsWindow(f.kind)) continue;
    double until = end_s;
    for (size_t j = i + 1; j < faults.size(); ++j) {
      if (EndsWindow(faults[j].kind) && (faults[j].node == f.node || faults[j].node <= 0)) {
        until = faults[j].t_s;
        break;
      }
    }
    absl::StrAppendFormat(&gp,
                          "set object %d rect from %.4f, graph 0 to %.4f, graph 1 behind fc rgb '#f4c7c3' "
                          "fs solid 0.5 noborder\n",
                          object++, f.t_s, until);
  }
  return gp;
}

std::string Header(const std::string& out_dir, const std::string& name, const std::string& title) {
  return absl::StrFormat(
      "set terminal pngcairo size 1000,560 font 'DejaVu Sans,11'\nset output '%s/%s.png'\n"
      "set title \"%s\"\nset grid lc rgb '#dddddd'\nset key outside right top box\n",
      out_dir, name, Escape(title));
}

double EndOf(const json& run) {
  double end = run.value("duration_s", 0.0);
  if (auto t = run.find("timeline"); t != run.end() && t->is_array() && !t->empty()) {
    end = std::max(end, t->back().value("t_s", 0.0));
  }
  return end;
}

// One inline data block per run: t_s and the chosen values per timeline window (throughput: ops/s;
// latency: p50 then p99, in ms).
std::string TimelineBlocks(const std::vector<const json*>& runs, bool throughput) {
  std::string gp;
  for (size_t i = 0; i < runs.size(); ++i) {
    absl::StrAppendFormat(&gp, "$run%d << EOD\n", i);
    const json& timeline = (*runs[i])["timeline"];
    for (size_t w = 0; w < timeline.size(); ++w) {
      const double t = timeline[w].value("t_s", 0.0);
      const double next = w + 1 < timeline.size() ? timeline[w + 1].value("t_s", 0.0) : EndOf(*runs[i]);
      const double width = next > t ? next - t : 0.1;
      if (throughput) {
        absl::StrAppendFormat(&gp, "%.4f %.6g\n", t, static_cast<double>(timeline[w].value("ops", 0)) / width);
      } else {
        absl::StrAppendFormat(&gp, "%.4f %.6g %.6g\n", t, timeline[w].value("p50_us", 0.0) / 1000.0,
                              timeline[w].value("p99_us", 0.0) / 1000.0);
      }
    }
    gp += "EOD\n";
  }
  return gp;
}

std::string PlotLines(const std::vector<const json*>& runs, const char* style) {
  std::string gp = "plot ";
  for (size_t i = 0; i < runs.size(); ++i) {
    absl::StrAppendFormat(&gp, "%s$run%d using 1:2 with %s lw 2 title \"%s\"", i ? ", " : "", i, style,
                          Escape(runs[i]->value("policy", std::string("?"))));
  }
  return gp + "\n";
}

// Latency over time: per run, p99 as a solid line and p50 dashed in the same colour.
std::string PercentileLines(const std::vector<const json*>& runs) {
  std::string gp = "plot ";
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string policy = Escape(runs[i]->value("policy", std::string("?")));
    absl::StrAppendFormat(&gp,
                          "%s$run%d using 1:3 with steps lw 2 lc %d title \"%s p99\", "
                          "$run%d using 1:2 with steps lw 2 dt 2 lc %d title \"%s p50\"",
                          i ? ", " : "", i, i + 1, policy, i, i + 1, policy);
  }
  return gp + "\n";
}

PlotScript OverTime(const std::string& scenario, const std::vector<const json*>& runs, const std::string& out_dir,
                    bool throughput) {
  const std::string name = absl::StrCat(scenario, throughput ? "-throughput" : "-latency");
  const uint64_t seed = runs.front()->value("seed", uint64_t{0});
  std::string gp = Header(out_dir, name,
                          absl::StrFormat("%s: %s over time (seed %d; shaded: fault windows)", scenario,
                                          throughput ? "throughput" : "p50 and p99 latency per 100 ms window", seed));
  gp += "set xlabel 'time since the measured run began (s)'\n";
  gp += throughput ? "set ylabel 'successful operations per second'\nset yrange [0:*]\n"
                   : "set ylabel 'latency (ms, log scale)'\nset logscale y\n";
  gp += FaultDecorations(FaultsOf(*runs.front()), EndOf(*runs.front()));
  gp += TimelineBlocks(runs, throughput);
  gp += throughput ? PlotLines(runs, "steps") : PercentileLines(runs);
  return {name, gp};
}

PlotScript Cdf(const std::string& scenario, const std::vector<const json*>& runs, const std::string& out_dir) {
  const std::string name = absl::StrCat(scenario, "-cdf");
  std::string gp = Header(out_dir, name, absl::StrCat(scenario, ": latency CDF (from the run's percentiles)"));
  gp +=
      "set xlabel 'latency (ms, log scale)'\nset ylabel 'fraction of requests at or below'\nset logscale x\n"
      "set yrange [0:1.02]\nset key inside right bottom box\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    absl::StrAppendFormat(&gp, "$run%d << EOD\n", i);
    const json latency = runs[i]->value("latency_us", json::object());
    for (const auto& [field, fraction] : std::vector<std::pair<const char*, double>>{
             {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"p9999", 0.9999}, {"max", 1.0}}) {
      const double us = latency.value(field, 0.0);
      if (us > 0) absl::StrAppendFormat(&gp, "%.6g %.4f\n", us / 1000.0, fraction);
    }
    gp += "EOD\n";
  }
  gp += PlotLines(runs, "steps");  // F holds until the next percentile: latency is never understated.
  return {name, gp};
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

PlotScript Bars(const std::vector<json>& runs, const std::vector<std::string>& scenarios,
                const std::vector<std::string>& policies, const std::string& out_dir) {
  std::map<std::pair<std::string, std::string>, std::vector<double>> values;
  int most = 0;
  for (const json& r : runs) {
    auto& v = values[{r.value("scenario", std::string("?")), r.value("policy", std::string("?"))}];
    v.push_back(r.value("throughput_ops_s", 0.0));
    most = std::max(most, static_cast<int>(v.size()));
  }
  std::string gp = Header(out_dir, "compare-throughput",
                          absl::StrFormat("throughput per scenario and policy: mean of up to %d seeds, 95%% CI", most));
  gp +=
      "set ylabel 'successful operations per second (log scale)'\nset logscale y\nset style data histogram\n"
      "set style histogram errorbars gap 1 lw 1.5\nset style fill solid 0.8 border -1\nset xtics rotate by -20\n"
      "set bars front\n$bars << EOD\n";
  for (const std::string& s : scenarios) {
    absl::StrAppend(&gp, "\"", Escape(s), "\"");
    for (const std::string& p : policies) {
      const auto& v = values[{s, p}];
      const double mean = Mean(v);
      const double half = MeanHalfWidth95(v);
      absl::StrAppendFormat(&gp, " %.6g %.6g %.6g", mean, std::max(mean - half, mean * 0.01), mean + half);
    }
    gp += "\n";
  }
  gp += "EOD\nplot ";
  for (size_t i = 0; i < policies.size(); ++i) {
    absl::StrAppendFormat(&gp, "%s$bars using %d:%d:%d:xtic(1) title \"%s\"", i ? ", " : "", 2 + 3 * i, 3 + 3 * i,
                          4 + 3 * i, Escape(policies[i]));
  }
  return {"compare-throughput", gp + "\n"};
}

// `items` in first-seen order, without repeats.
void AddOnce(std::vector<std::string>& items, const std::string& item) {
  if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
}

}  // namespace

double T95(int dof) {
  static constexpr double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof < 1) return 0;
  if (dof <= 30) return kTable[dof - 1];
  return 1.96;
}

std::vector<PlotScript> PlotScripts(const std::vector<json>& runs, const std::string& out_dir) {
  std::vector<std::string> scenarios, policies;
  std::map<std::pair<std::string, std::string>, const json*> first;  // (scenario, policy) -> lowest seed.
  for (const json& r : runs) {
    const std::string s = r.value("scenario", std::string("?")), p = r.value("policy", std::string("?"));
    AddOnce(scenarios, s);
    if (policies.size() < kMaxPlotLines) AddOnce(policies, p);
    const json*& slot = first[{s, p}];
    if (slot == nullptr || r.value("seed", uint64_t{0}) < slot->value("seed", uint64_t{0})) slot = &r;
  }
  std::vector<PlotScript> scripts;
  for (const std::string& s : scenarios) {
    std::vector<const json*> lines;
    for (const std::string& p : policies) {
      if (auto it = first.find({s, p}); it != first.end()) lines.push_back(it->second);
    }
    if (lines.empty()) continue;
    scripts.push_back(OverTime(s, lines, out_dir, true));
    scripts.push_back(OverTime(s, lines, out_dir, false));
    scripts.push_back(Cdf(s, lines, out_dir));
  }
  scripts.push_back(Bars(runs, scenarios, policies, out_dir));
  return scripts;
}

}  // namespace kvlab::workloads
